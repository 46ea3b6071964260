"""Are a run's top candidates credible? The checks of issue 19 on any candidates file and any series.

For the top ``--top`` (100) rows of a ranked candidates table and the series of measured
molecules they were optimized for, this reports:

1. structural alerts: the share of candidates that match any alert of REINVENT 4's standard
   custom alerts, PAINS or Brenk (``molgen.chem.structural_alerts``), and each catalog alone;
2. distinct Bemis-Murcko scaffolds (``molgen.chem.murcko_scaffold``; acyclic molecules, which
   have none, are counted apart);
3. the median nearest-neighbour Tanimoto similarity to the series (Morgan r=2, 2048 bits);
4. a control model fitted here with scikit-learn directly (not molgen's control module, so the
   check is independent): a random forest of 500 trees on Morgan count fingerprints (r=2,
   2048 bits) of every valid, labelled series molecule. Its mean prediction for the candidates
   against the candidates' own ``prediction`` column, the gap (prediction minus control) and
   the series' mean. A large positive gap means the optimizer found the model's blind spot
   (Renz et al. 2019, "On failure modes in molecule generation and optimization");
5. the median 90 % interval width (``upper - lower``), when the table has those columns.

Each is printed against the issue's target (alerts <= 5 %; at least 30 scaffolds per 100
candidates; median similarity in [0.45, 0.75]; control mean within 0.5 of the prediction mean
and above the series' mean; median interval width <= 2.5) as ``met`` or ``missed``.
Candidates are ranked by ``--rank-by`` (default ``score``, descending, when the table has it;
otherwise file order). Invalid SMILES among the top rows are counted and left out of the
shares and medians.

Usage::

    python benchmarks/candidates.py --candidates runs/default/tables/candidates.csv
    python benchmarks/candidates.py --candidates my.csv --series my_assay.csv --smiles-col smiles \\
        --target-col pIC50 --top 100 --out benchmarks/results/candidates.json --markdown
"""

from __future__ import annotations

import argparse
import datetime
import math
import platform
import sys
import time

import numpy as np
import pandas as pd

CATALOGS = ("pains", "brenk", "reinvent")
N_TREES, RADIUS, N_BITS = 500, 2, 2048


def load_candidates(path, smiles_col: str, rank_by: str | None, top: int) -> tuple[pd.DataFrame, str | None]:
    """The first ``top`` rows after ranking, and the column ranked by (``None``: file order)."""
    from molgen.data import read_table

    frame = read_table(path)
    if smiles_col not in frame.columns:
        raise SystemExit(f"{path}: no column {smiles_col!r}; columns: {', '.join(map(str, frame.columns))}")
    if rank_by is not None and rank_by not in frame.columns:
        if rank_by != "score":  # the default ranks by score only where there is one
            raise SystemExit(f"{path}: no column {rank_by!r} to rank by")
        rank_by = None
    if rank_by is not None:
        key = pd.to_numeric(frame[rank_by], errors="coerce")
        frame = frame.assign(_key=key).sort_values("_key", ascending=False, kind="mergesort", na_position="last").drop(columns="_key")
    return frame.head(top).reset_index(drop=True).rename(columns={smiles_col: "smiles"}), rank_by


def load_series(spec: str, smiles_col: str | None, target_col: str | None) -> tuple[pd.DataFrame, str, str]:
    from molgen.data import list_datasets, load_dataset, read_table

    if spec in list_datasets():
        data = load_dataset(spec)
        frame, smiles_col = data.frame, smiles_col or data.smiles_col
        target_col = target_col or (data.target_cols[0] if data.target_cols else None)
        source = f"built-in data set {data.name}"
    else:
        frame, source = read_table(spec), str(spec)
        smiles_col = smiles_col or "smiles"
    if target_col is None:
        raise SystemExit(f"series {spec}: give --target-col (the measured value)")
    for col in (smiles_col, target_col):
        if col not in frame.columns:
            raise SystemExit(f"series {spec}: no column {col!r}; columns: {', '.join(map(str, frame.columns))}")
    values = pd.to_numeric(frame[target_col], errors="coerce").to_numpy(float)
    return pd.DataFrame({"smiles": frame[smiles_col].tolist(), "value": values}), source, target_col


def fingerprints(smiles, counts: bool) -> tuple[np.ndarray, np.ndarray]:
    from molgen.featurize import morgan_fingerprints

    batch = morgan_fingerprints(list(smiles), radius=RADIUS, n_bits=N_BITS, counts=counts)
    return batch.array, batch.valid_mask


def _median(values) -> float:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return float(np.median(values)) if len(values) else float("nan")


def measure(candidates: pd.DataFrame, series: pd.DataFrame, *, prediction_col: str, seed: int, n_jobs: int) -> dict:
    from sklearn.ensemble import RandomForestRegressor

    from molgen.chem import murcko_scaffold, parse_smiles_batch, structural_alerts
    from molgen.metrics import max_tanimoto
    from molgen.utils.quiet import rdkit_quiet

    parsed = parse_smiles_batch(candidates["smiles"].tolist())
    mols = [m for m in parsed.mols if m is not None]
    n = len(mols)
    out = {"top": int(len(candidates)), "valid": n, "invalid": int(len(candidates) - n)}

    with rdkit_quiet():
        hits = {name: np.array([bool(structural_alerts(m, (name,))) for m in mols], dtype=bool) for name in CATALOGS}
        scaffolds = [murcko_scaffold(m) for m in mols]
    any_alert = np.logical_or.reduce([hits[c] for c in CATALOGS]) if n else np.zeros(0, bool)
    out["alerts_any"] = float(any_alert.mean()) if n else float("nan")
    out.update({f"alerts_{name}": float(hits[name].mean()) if n else float("nan") for name in CATALOGS})
    out["scaffolds"] = len({s for s in scaffolds if s})  # an acyclic molecule has none
    out["acyclic"] = sum(1 for s in scaffolds if not s)

    query, query_ok = fingerprints(candidates["smiles"], counts=False)
    series_bits, series_ok = fingerprints(series["smiles"], counts=False)
    nn = max_tanimoto(query, series_bits[series_ok], valid=query_ok) if series_ok.any() and len(query) else np.full(len(query), np.nan)
    out["median_nn_similarity"] = _median(nn)
    out["nn_similarity_at_least_0.5"] = float(np.mean(nn[np.isfinite(nn)] >= 0.5)) if np.isfinite(nn).any() else float("nan")

    counts, counts_ok = fingerprints(series["smiles"], counts=True)
    train = counts_ok & np.isfinite(series["value"].to_numpy(float))
    out["series_molecules"] = int(train.sum())
    out["series_mean"] = float(series["value"].to_numpy(float)[train].mean()) if train.any() else float("nan")
    if train.sum() >= 2 and len(query):
        t0 = time.perf_counter()
        forest = RandomForestRegressor(n_estimators=N_TREES, random_state=seed, n_jobs=n_jobs)
        forest.fit(counts[train].astype(np.float32), series["value"].to_numpy(float)[train])
        cand_counts, cand_ok = fingerprints(candidates["smiles"], counts=True)
        control = np.full(len(candidates), np.nan)
        if cand_ok.any():
            control[cand_ok] = forest.predict(cand_counts[cand_ok].astype(np.float32))
        out["control_seconds"] = round(time.perf_counter() - t0, 1)
    else:
        control = np.full(len(candidates), np.nan)
    out["control_mean"] = float(np.nanmean(control)) if np.isfinite(control).any() else float("nan")
    if prediction_col in candidates.columns:
        prediction = pd.to_numeric(candidates[prediction_col], errors="coerce").to_numpy(float)
        both = np.isfinite(prediction) & np.isfinite(control)
        out["compared"] = int(both.sum())
        out["prediction_mean"] = float(prediction[both].mean()) if both.any() else float("nan")
        out["control_mean_compared"] = float(control[both].mean()) if both.any() else float("nan")
        out["gap"] = out["prediction_mean"] - out["control_mean_compared"]
    else:
        out.update(compared=0, prediction_mean=float("nan"), control_mean_compared=out["control_mean"], gap=float("nan"))
    if {"upper", "lower"} <= set(candidates.columns):
        width = pd.to_numeric(candidates["upper"], errors="coerce") - pd.to_numeric(candidates["lower"], errors="coerce")
        out["median_interval_width"] = _median(width)
    else:
        out["median_interval_width"] = None  # not measured: the table has no interval
    return out


def targets(m: dict) -> list[tuple[str, str, str, str]]:
    """(check, value, target, met / missed / not measured) rows."""

    def row(name, value, target, ok, digits=3):
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return name, "n/a", target, "not measured"
        shown = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
        return name, shown, target, "" if target == "(info)" else "met" if ok else "missed"

    need = math.ceil(0.3 * m["top"])  # 30 of the top 100
    gap, control, series = m["gap"], m["control_mean_compared"], m["series_mean"]
    width = m["median_interval_width"]
    return [
        row("alerts (REINVENT, PAINS or Brenk)", m["alerts_any"], "<= 0.05", m["alerts_any"] <= 0.05),
        *[row(f"  alerts: {c} alone", m[f"alerts_{c}"], "(info)", True) for c in CATALOGS],
        row("distinct Bemis-Murcko scaffolds", m["scaffolds"], f">= {need}", m["scaffolds"] >= need),
        row("  acyclic (no scaffold)", m["acyclic"], "(info)", True),
        row("median NN Tanimoto to the series", m["median_nn_similarity"], "0.45 - 0.75", 0.45 <= m["median_nn_similarity"] <= 0.75),
        row("  share with NN Tanimoto >= 0.5", m["nn_similarity_at_least_0.5"], "(info)", True),
        row("mean prediction (candidates' model)", m["prediction_mean"], "(info)", True, 2),
        row("mean control prediction", control, f"> series mean {series:.2f}", control > series, 2),
        row("gap (prediction - control)", gap, "abs(gap) <= 0.5", abs(gap) <= 0.5 if math.isfinite(gap) else False, 2),
        row("series mean", series, "(info)", True, 2),
        row("median 90 % interval width", width, "<= 2.5", width is not None and width <= 2.5, 2),
    ]


def text_table(rows, markdown: bool) -> str:
    header = ("check", "value", "target", "result")
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", required=True, help="candidates table (CSV/TSV/Parquet) with a SMILES column")
    parser.add_argument("--candidates-smiles-col", default="smiles")
    parser.add_argument("--rank-by", default="score", help="column to sort by, descending (default: score, if present); 'none': file order")
    parser.add_argument("--prediction-col", default="prediction", help="the candidates' own model prediction")
    parser.add_argument("--series", default="chembl2321810", help="series file (SMILES + measured value) or built-in data set name")
    parser.add_argument("--smiles-col", default=None, help="series SMILES column (default: the data set's, or 'smiles')")
    parser.add_argument("--target-col", default=None, help="series measured value (default: the data set's first target)")
    parser.add_argument("--top", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0, help="random_state of the control forest")
    parser.add_argument("--n-jobs", type=int, default=-1, help="jobs for the control forest (-1: every CPU)")
    parser.add_argument("--out", default=None, help="write the measurements as JSON here")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    if args.top < 1:
        parser.error("--top must be >= 1")

    rank_by = None if args.rank_by.lower() == "none" else args.rank_by
    candidates, ranked = load_candidates(args.candidates, args.candidates_smiles_col, rank_by, args.top)
    series, source, target = load_series(args.series, args.smiles_col, args.target_col)
    t0 = time.perf_counter()
    measured = measure(candidates, series, prediction_col=args.prediction_col, seed=args.seed, n_jobs=args.n_jobs)
    rows = targets(measured)
    print(f"candidates: {args.candidates} (top {measured['top']}, ranked by {ranked or 'file order'}; {measured['invalid']} invalid)")
    print(f"series: {source}, target {target}, {measured['series_molecules']} valid labelled molecules")
    print(text_table(rows, args.markdown))
    if args.out:
        from molgen.utils.files import write_json

        record = {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "host": platform.node(),
            "python": sys.version.split()[0],
            "candidates": str(args.candidates),
            "ranked_by": ranked,
            "series": source,
            "target": target,
            "seconds": round(time.perf_counter() - t0, 1),
            "control": f"RandomForestRegressor({N_TREES} trees, random_state={args.seed}) on Morgan counts r={RADIUS} {N_BITS} bits",
            "measurements": {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in measured.items()},
            "targets": [dict(zip(("check", "value", "target", "result"), r)) for r in rows],
        }
        write_json(args.out, record)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
