"""MoleculeACE development benchmark: molgen's default CLI on 22 activity-cliff series.

For each series, the default command line is run exactly as a user would run it::

    molgen train --data train.csv --smiles-col smiles --target-col y --out MODEL
    molgen predict --model MODEL --data test.csv --smiles-col smiles --out pred.csv

on the series' ``train`` split (all of it, no other flags; molgen splits off its own
valid / calibration / test parts) and its ``test`` split (SMILES only). Reported per series
and on average:

- RMSE on the test split, and on its activity-cliff molecules (``cliff_mol == 1``);
- coverage and mean width of the 90 % conformal intervals (``lower`` / ``upper``);
- Spearman correlation of ``uncertainty`` with the absolute error, and of
  ``1 - ad_similarity`` (molgen's applicability-domain score) for comparison;
- coverage in the third of the test molecules least similar to the training split
  (maximum Tanimoto on Morgan bits, radius 2, 2048 bits, computed here with RDKit);
- training wall time of ``molgen train`` (the CPU may be shared: indicative);
- beside them, the SVR, random forest and Chemprop 2.3.1 baselines of the reference table.

Targets (issue 18), printed beside the means: mean RMSE and mean cliff RMSE below SVR's,
mean Spearman(uncertainty, |error|) >= 0.30, mean 90 % coverage in [0.88, 0.93], coverage
>= 0.85 in the least-similar third, mean interval width <= 2.5.

Data: MoleculeACE 3.0 (van Tilborg, Alenicheva and Grisoni, "Exposing the limitations of
molecular machine learning with activity cliffs", J. Chem. Inf. Model. 2022, 62, 5938-5951),
the CSV files ``MoleculeACE/Data/benchmark_data/<series>.csv`` (columns ``smiles``, ``y`` =
-log10 of Ki or EC50 in nM, i.e. pKi / pEC50 minus 9, ``cliff_mol``, ``split``) read straight from the PyPI wheel
``moleculeace==3.0.0`` (MIT license); its code is never imported. The wheel is fetched with
``python -m pip download --no-deps moleculeace==3.0.0`` into ``--cache`` when it is not there,
and checked against its SHA-256.

Only the 22 development series of ``moleculeace_dev.csv`` (see ``--dev-csv``) are used. The
benchmark's other series are kept for an independent check: the script refuses any series
that is not in that table, and never reads their files.

SVR baseline (``--baseline svr``), as MoleculeACE runs it (``MoleculeACE/models/ml.py``,
``Data/configures/default/SVM.yml``, ``benchmark/utils.py``): scikit-learn ``SVR`` with an RBF
kernel on Morgan bits (radius 2, 2048 bits), ``epsilon=0.1``, C and gamma chosen from
C in {1, 10, 100, 1000, 10000} x gamma in {1e-6, ..., 0.1} by 5-fold cross-validation on the
train split (``StratifiedKFold(shuffle=True, random_state=42)`` on ``y >= median(y)``),
refitted on the whole train split. It reproduces the table's ``svr_ecfp_rmse``.

Results: one JSON line per (series, label) in ``--results``, written atomically after each
series; series already there for the label are skipped, so an interrupted run resumes.
Each molgen run works in ``--work``/LABEL/SERIES (emptied first), where its CSV files, model
and ``train.log`` / ``predict.log`` stay for inspection. The commands run with that folder as
their working directory and this process's environment, so ``PYTHONPATH`` chooses the molgen
checkout (a checkout as working directory would shadow it under ``python -m``).

Usage::

    python benchmarks/moleculeace.py --quick --label before      # 6 series, about an hour on 2 cores
    python benchmarks/moleculeace.py --label after               # all 22 series
    python benchmarks/moleculeace.py --series CHEMBL1862_Ki --label try1
    PYTHONPATH=/path/to/other/checkout python benchmarks/moleculeace.py --quick --label other
    python benchmarks/moleculeace.py --baseline svr --series CHEMBL1862_Ki CHEMBL2835_Ki
    python benchmarks/moleculeace.py --summary --label before --label after
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import io
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = ROOT / "benchmarks" / "results" / "moleculeace.jsonl"
DEFAULT_CACHE = Path.home() / ".cache" / "molgen" / "moleculeace"
DEFAULT_WORK = Path(tempfile.gettempdir()) / "molgen_moleculeace"
#: The reference table: a copy in benchmarks/ when there is one, else the project's shared folder.
DEV_CSV_CANDIDATES = (ROOT / "benchmarks" / "moleculeace_dev.csv", ROOT.parent / "shared" / "benchmarks" / "moleculeace_dev.csv")

WHEEL_SPEC = "moleculeace==3.0.0"
WHEEL_NAME = "MoleculeACE-3.0.0-py3-none-any.whl"
WHEEL_SHA256 = "c2028c9a75281eab53d3b3e7dc11cbc8ac970d008bac4a0d3927f11ac2024bdc"
DATA_FOLDER = "MoleculeACE/Data/benchmark_data"

#: Six varied development series for iteration: 489-1374 training molecules, Ki and EC50,
#: SVR RMSE from 0.41 to 0.83; all but the first have a Chemprop figure.
QUICK_SERIES = ("CHEMBL2835_Ki", "CHEMBL2047_EC50", "CHEMBL4203_Ki", "CHEMBL1862_Ki", "CHEMBL237_EC50", "CHEMBL239_EC50")

FP_RADIUS, FP_BITS = 2, 2048
COVERAGE = 0.9
SVR_C = (1.0, 10.0, 100.0, 1000.0, 10000.0)
SVR_GAMMA = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
SVR_EPSILON = 0.1
SVR_FOLDS, SVR_SEED = 5, 42

TARGETS = {"spearman": 0.30, "coverage": (0.88, 0.93), "coverage_far": 0.85, "width": 2.5}
#: Metric columns of the summary: (record key, header, decimals).
METRICS = (
    ("rmse", "RMSE", 3),
    ("rmse_cliff", "cliff RMSE", 3),
    ("coverage", "cov 90", 3),
    ("width", "width", 2),
    ("spearman_uncertainty", "ρ unc", 2),
    ("spearman_ad", "ρ 1−AD", 2),
    ("coverage_far", "cov far ⅓", 3),
    ("train_s", "train s", 0),
)


# ----------------------------------------------------------------------------- data


def find_dev_csv(path: str | None) -> Path:
    """The reference table of the development series: ``path``, or the first default that exists."""
    candidates = [Path(path)] if path else list(DEV_CSV_CANDIDATES)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise SystemExit(f"moleculeace_dev.csv not found (looked at {', '.join(map(str, candidates))}); pass --dev-csv")


def read_dev_table(path: Path) -> pd.DataFrame:
    """The development series and their baselines, indexed by series name."""
    table = pd.read_csv(path).set_index("dataset")
    expected = {"n_train", "n_test", "svr_ecfp_rmse", "svr_ecfp_rmse_cliff", "rf_ecfp_rmse"}
    if not expected <= set(table.columns):
        raise SystemExit(f"{path} lacks the columns {sorted(expected - set(table.columns))}")
    return table


def check_series(names: list[str], dev: pd.DataFrame) -> None:
    """Refuse any series that is not a development series."""
    unknown = [name for name in names if name not in dev.index]
    if unknown:
        raise SystemExit(
            f"not development series: {', '.join(unknown)}. Only the {len(dev)} series of the "
            f"reference table may be used: {', '.join(dev.index)}"
        )


def fetch_wheel(cache: Path) -> Path:
    """The MoleculeACE wheel in ``cache``, downloaded with pip when missing; checked by SHA-256."""
    wheel = cache / WHEEL_NAME
    if not wheel.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        print(f"downloading {WHEEL_SPEC} into {cache}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", WHEEL_SPEC, "-d", str(cache)], check=True)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel} has SHA-256 {digest}, expected {WHEEL_SHA256}")
    return wheel


def read_series(wheel: Path, name: str) -> pd.DataFrame:
    """One series' table (``smiles``, ``y``, ``cliff_mol``, ``split``) from the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        frame = pd.read_csv(io.BytesIO(archive.read(f"{DATA_FOLDER}/{name}.csv")))
    return frame[["smiles", "y", "cliff_mol", "split"]]


def split_parts(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``train`` and ``test`` rows, each with a fresh index."""
    train = frame[frame["split"] == "train"].reset_index(drop=True)
    test = frame[frame["split"] == "test"].reset_index(drop=True)
    return train, test


# ----------------------------------------------------------------------------- fingerprints


def morgan_generator():
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetMorganGenerator(radius=FP_RADIUS, fpSize=FP_BITS)


def parse(smiles: list[str]) -> list:
    from rdkit import Chem

    mols = [Chem.MolFromSmiles(s) for s in smiles]
    bad = [s for s, mol in zip(smiles, mols) if mol is None]
    if bad:
        raise ValueError(f"RDKit cannot parse {len(bad)} SMILES, e.g. {bad[0]!r}")
    return mols


def morgan_bits(smiles: list[str]) -> np.ndarray:
    """``n x FP_BITS`` array of Morgan bits (0.0 / 1.0)."""
    generator = morgan_generator()
    return np.array([generator.GetFingerprintAsNumPy(mol) for mol in parse(smiles)], dtype=float)


def max_train_similarity(train_smiles: list[str], test_smiles: list[str]) -> np.ndarray:
    """Each test molecule's largest Tanimoto similarity to the training molecules (Morgan bits)."""
    from rdkit import DataStructs

    generator = morgan_generator()
    train = [generator.GetFingerprint(mol) for mol in parse(train_smiles)]
    return np.array([max(DataStructs.BulkTanimotoSimilarity(generator.GetFingerprint(mol), train)) for mol in parse(test_smiles)])


# ----------------------------------------------------------------------------- metrics


def rmse(pred: np.ndarray, true: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pred - true) ** 2))) if len(true) else float("nan")


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman correlation; NaN when either side is constant."""
    from scipy.stats import spearmanr

    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def least_similar_third(similarity: np.ndarray) -> np.ndarray:
    """Indices of the round(n / 3) molecules with the lowest similarity (ties in input order)."""
    return np.argsort(similarity, kind="stable")[: int(round(len(similarity) / 3))]


def prediction_metrics(test: pd.DataFrame, pred: pd.DataFrame, similarity: np.ndarray) -> dict:
    """The benchmark's figures for one series from molgen's prediction table.

    Rows whose state is not ``valid`` or whose prediction is not finite are counted in
    ``n_failed`` and left out of every figure.
    """
    ok = (pred["state"] == "valid").to_numpy() & np.isfinite(pred["prediction"].to_numpy(dtype=float))
    y = test["y"].to_numpy()[ok]
    cliff = (test["cliff_mol"].to_numpy() == 1)[ok]
    p = pred["prediction"].to_numpy(dtype=float)[ok]
    lower, upper = pred["lower"].to_numpy(dtype=float)[ok], pred["upper"].to_numpy(dtype=float)[ok]
    uncertainty = pred["uncertainty"].to_numpy(dtype=float)[ok]
    ad = pred["ad_similarity"].to_numpy(dtype=float)[ok]
    error = np.abs(p - y)
    inside = (lower <= y) & (y <= upper)
    far = least_similar_third(similarity[ok])
    return {
        "n_failed": int((~ok).sum()),
        "rmse": rmse(p, y),
        "rmse_cliff": rmse(p[cliff], y[cliff]),
        "coverage": float(inside.mean()),
        "width": float(np.mean(upper - lower)),
        "spearman_uncertainty": spearman(uncertainty, error),
        "spearman_ad": spearman(1.0 - ad, error),
        "coverage_far": float(inside[far].mean()),
        "width_far": float(np.mean(upper[far] - lower[far])),
        "rmse_far": rmse(p[far], y[far]),
        "similarity_far_max": float(similarity[ok][far].max()),
    }


# ----------------------------------------------------------------------------- molgen


def run_logged(command: list[str], log: Path, cwd: Path) -> float:
    """Run ``command`` with its output in ``log``; return its wall time in seconds.

    Raises
    ------
    RuntimeError
        When the command fails; the message holds the end of its log.
    """
    start = time.perf_counter()
    with open(log, "w") as handle:
        # cwd is the scratch folder: a molgen checkout as cwd would shadow PYTHONPATH under ``-m``.
        done = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, cwd=cwd, env=os.environ.copy())
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise RuntimeError(f"{shlex.join(command)} exited with {done.returncode}:\n{tail}")
    return seconds


def run_molgen(molgen: list[str], train: pd.DataFrame, test: pd.DataFrame, work: Path) -> tuple[pd.DataFrame, float, float]:
    """Train and predict with the molgen CLI; return the prediction table and both wall times."""
    train[["smiles", "y"]].to_csv(work / "train.csv", index=False)
    test[["smiles"]].to_csv(work / "test.csv", index=False)
    train_s = run_logged(
        [*molgen, "train", "--data", "train.csv", "--smiles-col", "smiles", "--target-col", "y", "--out", "model"], work / "train.log", work
    )
    predict_s = run_logged(
        [*molgen, "predict", "--model", "model", "--data", "test.csv", "--smiles-col", "smiles", "--out", "pred.csv"],
        work / "predict.log",
        work,
    )
    pred = pd.read_csv(work / "pred.csv")
    missing = {"prediction", "uncertainty", "lower", "upper", "ad_similarity", "state"} - set(pred.columns)
    if missing or len(pred) != len(test):
        raise RuntimeError(f"pred.csv has {len(pred)} rows for {len(test)} test molecules; missing columns: {sorted(missing)}")
    return pred, train_s, predict_s


def evaluate_molgen(name: str, frame: pd.DataFrame, molgen: list[str], work: Path) -> dict:
    """One series through the molgen CLI in the scratch folder ``work`` (emptied first), as a
    result record (without run metadata). The files, model and logs stay there for inspection."""
    train, test = split_parts(frame)
    similarity = max_train_similarity(train["smiles"].tolist(), test["smiles"].tolist())
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    pred, train_s, predict_s = run_molgen(molgen, train, test, work)
    record = {"n_train": len(train), "n_test": len(test), "n_cliff": int((test["cliff_mol"] == 1).sum())}
    record.update(prediction_metrics(test, pred, similarity))
    record.update(train_s=round(train_s, 1), predict_s=round(predict_s, 1))
    return record


# ----------------------------------------------------------------------------- SVR baseline


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``len(a) x len(b)`` squared Euclidean distances."""
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


def svr_folds(y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """MoleculeACE's folds: stratified on ``y >= median(y)``, shuffled with seed 42."""
    from sklearn.model_selection import StratifiedKFold

    labels = (y >= np.median(y)).astype(int)
    folds = StratifiedKFold(n_splits=SVR_FOLDS, shuffle=True, random_state=SVR_SEED)
    return list(folds.split(labels, labels))


def fit_svr(train: pd.DataFrame, test: pd.DataFrame) -> tuple[np.ndarray, dict]:
    """Test predictions of the grid-searched RBF SVR and its chosen ``{"C", "gamma"}``.

    The RBF kernel ``exp(-gamma * |x - x'|^2)`` is computed here from the squared distances
    (once for all gammas) and given to ``SVR(kernel="precomputed")``; ties in the
    cross-validated RMSE go to the first grid point (C outer, gamma inner).
    """
    from sklearn.svm import SVR

    x_train, x_test = morgan_bits(train["smiles"].tolist()), morgan_bits(test["smiles"].tolist())
    y = train["y"].to_numpy()
    d_train, d_test = squared_distances(x_train, x_train), squared_distances(x_test, x_train)
    folds = svr_folds(y)
    best = (math.inf, None)
    for c in SVR_C:
        for gamma in SVR_GAMMA:
            k = np.exp(-gamma * d_train)
            scores = [
                rmse(SVR(kernel="precomputed", C=c, epsilon=SVR_EPSILON).fit(k[np.ix_(a, a)], y[a]).predict(k[np.ix_(b, a)]), y[b])
                for a, b in folds
            ]
            if np.mean(scores) < best[0]:
                best = (float(np.mean(scores)), {"C": c, "gamma": gamma})
    params = best[1]
    model = SVR(kernel="precomputed", C=params["C"], epsilon=SVR_EPSILON).fit(np.exp(-params["gamma"] * d_train), y)
    return model.predict(np.exp(-params["gamma"] * d_test)), params


def evaluate_svr(name: str, frame: pd.DataFrame) -> dict:
    """One series with the SVR baseline, as a result record (without run metadata)."""
    train, test = split_parts(frame)
    start = time.perf_counter()
    pred, params = fit_svr(train, test)
    y, cliff = test["y"].to_numpy(), test["cliff_mol"].to_numpy() == 1
    return {
        "n_train": len(train),
        "n_test": len(test),
        "n_cliff": int(cliff.sum()),
        "rmse": rmse(pred, y),
        "rmse_cliff": rmse(pred[cliff], y[cliff]),
        "svr_params": params,
        "train_s": round(time.perf_counter() - start, 1),
    }


# ----------------------------------------------------------------------------- results file


def read_results(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def nan_to_none(record: dict) -> dict:
    """NaN figures (e.g. a Spearman correlation with a constant side) as JSON null."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in record.items()}


def write_results(path: Path, records: list[dict]) -> None:
    """Rewrite the JSON lines file atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(nan_to_none(r), allow_nan=False) + "\n" for r in records))
    os.replace(tmp, path)


def add_result(path: Path, record: dict) -> None:
    """Add ``record``, replacing an earlier one with the same series and label."""
    keep = [r for r in read_results(path) if (r["series"], r["label"]) != (record["series"], record["label"])]
    write_results(path, keep + [record])


# ----------------------------------------------------------------------------- summary


def fmt(value, decimals: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{decimals}f}"


def mean_of(records: list[dict], key: str) -> float:
    values = [r.get(key) for r in records]
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return float(np.mean(values)) if values else float("nan")


def summary_table(by_label: dict[str, dict[str, dict]], series: list[str], dev: pd.DataFrame) -> list[str]:
    """Markdown rows: one per series, then the means; two labels share a cell as ``a → b``."""
    labels = list(by_label)
    metrics = [m for m in METRICS if any(m[0] in r for recs in by_label.values() for r in recs.values())]
    header = ["series", "n train"] + [h for _, h, _ in metrics] + ["SVR", "SVR cliff", "RF", "Chemprop"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    chemprop = "chemprop_2.3.1_rmse"

    def row(title, n_train, values, ref):
        cells = [title, n_train]
        for key, _, decimals in metrics:
            cells.append(" → ".join(fmt(values[label].get(key), decimals) for label in labels))
        cells += [fmt(ref["svr_ecfp_rmse"], 3), fmt(ref["svr_ecfp_rmse_cliff"], 3), fmt(ref["rf_ecfp_rmse"], 3), fmt(ref.get(chemprop), 3)]
        return "| " + " | ".join(cells) + " |"

    for name in series:
        values = {label: by_label[label][name] for label in labels}
        lines.append(row(name, str(int(dev.loc[name, "n_train"])), values, dev.loc[name].to_dict()))
    means = {label: {key: mean_of([by_label[label][n] for n in series], key) for key, _, _ in metrics} for label in labels}
    ref = {col: float(dev.loc[series, col].mean()) for col in ("svr_ecfp_rmse", "svr_ecfp_rmse_cliff", "rf_ecfp_rmse")}
    ref[chemprop] = float(dev.loc[series, chemprop].mean()) if chemprop in dev else float("nan")
    lines.append(row(f"**mean ({len(series)})**", "", means, ref))
    n_chemprop = int(dev.loc[series, chemprop].notna().sum()) if chemprop in dev else 0
    lines.append(
        "\nρ unc, ρ 1−AD: Spearman correlation of the uncertainty, and of 1 − ad_similarity, with the absolute "
        "error. cov far ⅓: coverage in the third of the test molecules least similar to the train split. "
        f"Chemprop: mean over the {n_chemprop} of these series where it was run."
    )
    for label in labels:
        failed = [f"{n} ({by_label[label][n]['n_failed']})" for n in series if by_label[label][n].get("n_failed")]
        if failed:
            lines.append(f"{label}: test molecules without a prediction, left out of the figures: {', '.join(failed)}.")
    return lines


def target_lines(label: str, records: list[dict], dev: pd.DataFrame) -> list[str]:
    """Each target of issue 18 with this label's mean and whether it is met."""
    series = [r["series"] for r in records]
    svr, svr_cliff = dev.loc[series, "svr_ecfp_rmse"].mean(), dev.loc[series, "svr_ecfp_rmse_cliff"].mean()
    svr_all, svr_cliff_all = dev["svr_ecfp_rmse"].mean(), dev["svr_ecfp_rmse_cliff"].mean()
    m = {key: mean_of(records, key) for key, _, _ in METRICS}
    far_min = min((r.get("coverage_far", math.nan) for r in records), default=math.nan)
    low, high = TARGETS["coverage"]

    def check(ok):
        return "met" if ok else "NOT met"

    lines = [
        f"Targets, {label} ({len(series)} series):",
        f"- mean RMSE {m['rmse']:.3f} < SVR {svr:.3f} on these series ({len(dev)} series: {svr_all:.3f}): {check(m['rmse'] < svr)}",
        f"- mean cliff RMSE {m['rmse_cliff']:.3f} < SVR {svr_cliff:.3f} ({len(dev)} series: {svr_cliff_all:.3f}): "
        f"{check(m['rmse_cliff'] < svr_cliff)}",
    ]
    if "coverage" in records[0]:
        lines += [
            f"- mean Spearman(uncertainty, |error|) {m['spearman_uncertainty']:.2f} >= {TARGETS['spearman']:.2f}: "
            f"{check(m['spearman_uncertainty'] >= TARGETS['spearman'])} (1 - AD similarity: {m['spearman_ad']:.2f})",
            f"- mean 90 % coverage {m['coverage']:.3f} in [{low}, {high}]: {check(low <= m['coverage'] <= high)}",
            f"- coverage in the least-similar third: mean {m['coverage_far']:.3f}, lowest {far_min:.3f} >= "
            f"{TARGETS['coverage_far']}: {check(m['coverage_far'] >= TARGETS['coverage_far'])} (mean)",
            f"- mean interval width {m['width']:.2f} <= {TARGETS['width']}: {check(m['width'] <= TARGETS['width'])}",
        ]
    return lines


def print_summary(results: Path, labels: list[str], dev: pd.DataFrame) -> None:
    """Print the Markdown table for one or two labels (their common series) and the targets."""
    records = read_results(results)
    if not labels:
        labels = sorted({r["label"] for r in records})[:1]
    by_label = {label: {r["series"]: r for r in records if r["label"] == label} for label in labels}
    series = [name for name in dev.index if all(name in by_label[label] for label in labels)]
    if not series:
        raise SystemExit(f"no series in {results} with results for every label of {labels}")
    print(f"MoleculeACE development series, labels: {' → '.join(labels)}\n")
    print("\n".join(summary_table(by_label, series, dev)))
    for label in labels:
        print()
        print("\n".join(target_lines(label, [by_label[label][name] for name in series], dev)))


# ----------------------------------------------------------------------------- main


def run_series(names: list[str], args, wheel: Path, results: Path) -> int:
    """Run every series not yet in ``results`` for the label; return the number of failures."""
    molgen = shlex.split(args.molgen) if args.molgen else [sys.executable, "-m", "molgen"]
    done = {r["series"] for r in read_results(results) if r["label"] == args.label}
    failures = 0
    for name in names:
        if name in done:
            print(f"{name}: already in {results} for label {args.label!r}, skipped", file=sys.stderr)
            continue
        print(f"{name}: running ({args.baseline or 'molgen'})", file=sys.stderr, flush=True)
        frame = read_series(wheel, name)
        try:
            if args.baseline == "svr":
                record = evaluate_svr(name, frame)
            else:
                record = evaluate_molgen(name, frame, molgen, Path(args.work) / args.label / name)
        except (RuntimeError, ValueError) as error:
            print(f"{name}: FAILED\n{error}", file=sys.stderr)
            failures += 1
            continue
        meta = {
            "series": name,
            "label": args.label,
            "method": args.baseline or "molgen",
            "command": None if args.baseline else shlex.join(molgen),
            "pythonpath": os.environ.get("PYTHONPATH"),
            "cpu_count": os.cpu_count(),
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
        }
        add_result(results, {**meta, **record})
        shown = [f"{key} {record[key]:.3f}" for key, _, _ in METRICS if key in record]
        print(f"{name}: " + ", ".join(shown), file=sys.stderr, flush=True)
    return failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", nargs="+", metavar="NAME", help="development series to run (default: all 22)")
    parser.add_argument("--quick", action="store_true", help=f"the 6 series {', '.join(QUICK_SERIES)}")
    parser.add_argument(
        "--label",
        action="append",
        help="run label stored with each result (default: 'run', or 'svr' with --baseline svr); --summary takes one or two",
    )
    parser.add_argument("--baseline", choices=["svr"], help="run the SVR baseline instead of molgen")
    parser.add_argument("--molgen", help="molgen command line (default: this Python with -m molgen)")
    parser.add_argument("--results", default=str(DEFAULT_RESULTS), help="JSON lines results file")
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="folder holding the MoleculeACE wheel")
    parser.add_argument(
        "--work",
        default=str(DEFAULT_WORK),
        help="scratch folder: WORK/LABEL/SERIES holds each run's files, model and logs (default: %(default)s)",
    )
    parser.add_argument(
        "--dev-csv", help=f"reference table of the development series (default: {' or '.join(str(p) for p in DEV_CSV_CANDIDATES)})"
    )
    parser.add_argument("--summary", action="store_true", help="print the Markdown table of --results and exit")
    args = parser.parse_args(argv)

    dev = read_dev_table(find_dev_csv(args.dev_csv))
    results = Path(args.results)
    if args.summary:
        if args.label and len(args.label) > 2:
            raise SystemExit("--summary compares at most two labels")
        print_summary(results, args.label or [], dev)
        return 0
    if args.label and len(args.label) > 1:
        raise SystemExit("give one --label for a run")
    args.label = args.label[0] if args.label else ("svr" if args.baseline else "run")
    names = args.series or list(QUICK_SERIES if args.quick else dev.index)
    check_series(names, dev)
    wheel = fetch_wheel(Path(args.cache).expanduser())
    failures = run_series(names, args, wheel, results)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
