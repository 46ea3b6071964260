"""The stages of ``molgen run``. Each takes its inputs' folders and writes into its own folder."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from molgen.pipeline.config import EFFICACY_REF, RunConfig


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, allow_nan=False, default=_plain) + "\n")


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if not np.isfinite(value) else float(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _clean(value):
    """NaN to None, recursively (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


# ----------------------------------------------------------------------------- data


def data_stage(config: RunConfig, out: Path) -> dict:
    """Load, standardize and deduplicate the efficacy data; write ``data.parquet`` and ``summary.json``."""
    from molgen.data import MoleculeTable, load_dataset, read_table, summarize

    section = config.data
    if section.dataset is not None:
        data = load_dataset(section.dataset)
        frame, smiles_col = data.frame, data.smiles_col
        target = section.target_col or (data.target_cols[0] if data.target_cols else None)
        if target is None:
            raise ValueError(f"data set {section.dataset!r} has no target column; choose a labelled data set")
        source = f"built-in data set {data.name}"
    else:
        frame, smiles_col, target = read_table(section.file), section.smiles_col, section.target_col
        source = section.file
    table = MoleculeTable.from_frame(frame, smiles_col, [target], source=source, progress=True)
    summary = summarize(table)
    unique, _ = table.deduplicate("mean")
    unique = unique.dropna(subset=[target]).reset_index(drop=True)
    unique[["smiles_std", target]].rename(columns={"smiles_std": "smiles"}).to_parquet(out / "data.parquet", index=False)
    _write_json(out / "summary.json", _clean({"source": source, "target": target, "summary": summary}))
    return {"rows": int(table.n_rows), "molecules": int(len(unique)), "target": target}


def read_data(folder: Path) -> tuple[pd.DataFrame, str]:
    target = json.loads((folder / "summary.json").read_text())["target"]
    return pd.read_parquet(folder / "data.parquet"), target


# ----------------------------------------------------------------------------- model


def model_stage(config: RunConfig, data_dir: Path, out: Path) -> dict:
    """Train the ensemble; write ``model/``, ``test_predictions.parquet`` and ``metrics.json``."""
    from molgen.efficacy import fit_efficacy_model
    from molgen.train import TrainConfig

    frame, target = read_data(data_dir)
    section = config.model
    train_config = TrainConfig(epochs=section.epochs, patience=section.patience, seed=config.run.seed)
    model = fit_efficacy_model(
        frame["smiles"].tolist(), frame[[target]], ensemble_size=section.ensemble_size, split_method=section.split,
        coverage=section.coverage, train_config=train_config, progress=True,
        kernel=section.kernel, forest=section.forest, refit=section.refit,
    )  # fmt: skip
    model.save(out / "model")
    if model.test_table is not None:
        model.test_table.to_parquet(out / "test_predictions.parquet", index=False)
    _write_json(out / "metrics.json", _clean(model.metrics))
    return {"test": _clean(model.metrics.get("test", {}).get(target, {}))}


# ----------------------------------------------------------------------------- scorer


def build_scorer(config: RunConfig, model_dir: Path):
    """The run's Scorer, with ``@efficacy`` bound to the trained model."""
    from molgen.efficacy import load_model
    from molgen.scoring import Scorer

    model = load_model(model_dir)

    def loader(ref: str):
        if ref != EFFICACY_REF:  # the config validator allows nothing else
            raise ValueError(f"unknown model reference {ref!r}")
        return model

    return Scorer.from_config(config.scorer, model_loader=loader), model


def bound_scorer_config(config: RunConfig, model_dir: Path) -> dict:
    """The scorer section with ``@efficacy`` replaced by the model folder's absolute path."""
    import copy

    scorer = copy.deepcopy(config.scorer)
    for objective in scorer.get("objectives", []):
        if objective.get("model") == EFFICACY_REF:
            objective["model"] = str(Path(model_dir).resolve())
    return scorer


# ----------------------------------------------------------------------------- control

#: What the control model is, in words (the report and ``control.json`` say it).
CONTROL_DESCRIPTION = "random forest ({n} trees) on Morgan count fingerprints (radius 2, 2048 bits) of every labelled series molecule"


def control_stage(config: RunConfig, data_dir: Path, generate_dir: Path, out: Path) -> dict:
    """Fit the control model on the series and predict the candidates.

    Writes ``control_predictions.parquet`` (``rank``, ``smiles``, ``control_prediction``,
    ``control_state``, one row per row of the generate stage's ``candidates.parquet``) and
    ``control.json`` (the comparison of :func:`molgen.efficacy.control_summary`). A candidates
    table without one ``prediction`` column (several targets) is not compared: ``control.json``
    then says why in ``skipped`` and no predictions are written.
    """
    from molgen.efficacy import ControlModel, control_summary

    data, target = read_data(data_dir)
    candidates = pd.read_parquet(generate_dir / "candidates.parquet")
    section = config.control
    record = {"model": CONTROL_DESCRIPTION.format(n=section.n_estimators), "target": target}
    if "prediction" not in candidates.columns:
        record["skipped"] = "the candidates have no single 'prediction' column (a control model is fitted for one regression target only)"
        _write_json(out / "control.json", record)
        return {"skipped": record["skipped"]}
    control = ControlModel(n_estimators=section.n_estimators, random_state=config.run.seed, n_jobs=-1)
    control.fit(data["smiles"].tolist(), data[target].to_numpy(float))
    predicted = control.predict(candidates["smiles"].tolist())
    table = pd.DataFrame(
        {"rank": candidates["rank"].to_numpy(), "smiles": candidates["smiles"].to_numpy(),
         "control_prediction": predicted["prediction"].to_numpy(), "control_state": predicted["state"].to_numpy()}
    )  # fmt: skip
    table.to_parquet(out / "control_predictions.parquet", index=False)
    summary = control_summary(candidates["prediction"], table["control_prediction"], data[target], top_n=section.top_n)
    states = predicted["state"].value_counts().to_dict()
    record.update(training_molecules=control.n_train_, candidates=int(len(table)), candidate_states=states, **summary)
    _write_json(out / "control.json", _clean(record))
    return _clean(summary)


def read_control(folder: Path | None) -> tuple[dict, pd.DataFrame | None]:
    """The control stage's ``control.json`` and predictions (``None`` where it wrote none)."""
    if folder is None:
        return {}, None
    record = json.loads((folder / "control.json").read_text())
    path = folder / "control_predictions.parquet"
    return record, pd.read_parquet(path) if path.is_file() else None


# ----------------------------------------------------------------------------- screen


def library_path(spec: str) -> Path:
    """A built-in data set name or a file/folder path."""
    from molgen.data import list_datasets
    from molgen.data.datasets import dataset_path

    if spec in list_datasets():
        return dataset_path(spec)
    path = Path(spec).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"screening library {spec!r} is neither a built-in data set nor an existing file or folder")
    return path


def screen_stage(config: RunConfig, model_dir: Path, candidates: Path, out: Path) -> dict:
    """Screen the generated candidates and the library with Ray; one output folder each."""
    from molgen.distributed import screen

    section = config.screen
    scorer = bound_scorer_config(config, model_dir)
    library = library_path(section.library)
    smiles_col = "smiles" if library.suffix == ".smi" else section.smiles_col
    common = dict(scorer=scorer, top_k=section.top_k, num_workers=section.num_workers, progress=True)
    lib = screen(model_dir, library, out_dir=out / "library", smiles_col=smiles_col, id_col=section.id_col, **common)
    cand = screen(model_dir, candidates, out_dir=out / "candidates", smiles_col="smiles", **common)
    return {"library": _clean(lib.summary), "candidates": _clean(cand.summary), "library_path": str(library)}


# ----------------------------------------------------------------------------- focus


def focus_stage(config: RunConfig, data_dir: Path, out: Path) -> dict:
    """Transfer-learn the prior on the series' SMILES; write ``prior/`` and ``focus.json``.

    REINVENT 4's standard workflow: a prior trained on a general library (MOSES here) is
    fine-tuned on the project's molecules, so that RL starts from their chemistry instead of
    from MOSES's (MW 250-400). ``focus.json`` compares ``samples`` molecules drawn from the
    prior before and after: validity, uniqueness, novelty against the series, median
    nearest-neighbour Tanimoto to the series, and mean MW / cLogP / QED beside the series'.
    """
    from molgen.generate import load_prior
    from molgen.generate.prior import shipped_prior_path
    from molgen.generate.train import train_prior

    section, seed = config.focus, config.run.seed
    data, _ = read_data(data_dir)
    series = data["smiles"].tolist()
    smi = out / "series.smi"
    smi.write_text("".join(f"{s}\n" for s in series))
    before = load_prior(config.generate.prior, device="cpu")
    prior = train_prior(
        out / "prior", data=smi, init_from=config.generate.prior or shipped_prior_path(),
        epochs=section.epochs, learning_rate=section.learning_rate, lr_decay=1.0, batch_size=section.batch_size,
        val_size=max(1, len(series) // 10), checkpoint_every=10**9, device="cpu", seed=seed, progress=True,
    )  # fmt: skip
    (out / "prior" / "checkpoint.pt").unlink(missing_ok=True)
    record = {
        "series": sample_profile(series, series),
        "before": sample_profile(before.sample(section.samples, seed=seed)["smiles"].tolist(), series, sampled=True),
        "after": sample_profile(prior.sample(section.samples, seed=seed)["smiles"].tolist(), series, sampled=True),
        "epochs": section.epochs,
        "learning_rate": section.learning_rate,
        "validation_nll": prior.metadata["training"]["final_val_nll"],
    }
    _write_json(out / "focus.json", _clean(record))
    return _clean({k: record[k] for k in ("before", "after")})


def sample_profile(smiles: list[str], series: list[str], *, sampled: bool = False) -> dict:
    """Validity, uniqueness, novelty, nearness to ``series`` and mean properties of ``smiles``."""
    from rdkit import Chem

    from molgen.chem import descriptor_table
    from molgen.featurize.fingerprints import fingerprint_matrix
    from molgen.generate.moses import canonical_smiles
    from molgen.utils.quiet import rdkit_quiet
    from molgen.utils.tanimoto import max_tanimoto, tanimoto_matrix

    with rdkit_quiet():
        canonical = [canonical_smiles(s) for s in smiles]
        valid = [c for c in canonical if c is not None]
        unique = list(dict.fromkeys(valid))
        known = {c for c in (canonical_smiles(s) for s in series) if c is not None}
        table = descriptor_table(unique)
        ok = table["state"] == "valid"
        fps = fingerprint_matrix([Chem.MolFromSmiles(s) for s in np.array(unique)[ok.to_numpy()]])
        ref = fingerprint_matrix([m for m in (Chem.MolFromSmiles(s) for s in known) if m is not None])
    if sampled:
        nn = max_tanimoto(fps, ref) if len(fps) and len(ref) else np.zeros(0)
    else:  # the series against itself: each molecule's nearest other member
        packed = np.packbits(fps, axis=1)
        K = tanimoto_matrix(packed, packed)
        np.fill_diagonal(K, -1.0)
        nn = K.max(axis=1) if len(K) > 1 else np.zeros(0)
    profile = {
        "n": len(smiles),
        "valid": len(valid) / len(smiles) if smiles else None,
        "unique": len(unique) / len(valid) if valid else None,
        "median_nn_similarity": float(np.median(nn)) if len(nn) else None,
        "mw": float(table.loc[ok, "mw"].mean()) if ok.any() else None,
        "clogp": float(table.loc[ok, "clogp"].mean()) if ok.any() else None,
        "qed": float(table.loc[ok, "qed"].mean()) if ok.any() else None,
    }
    if sampled:
        profile["novel"] = sum(c not in known for c in unique) / len(unique) if unique else None
    return profile


# ----------------------------------------------------------------------------- generate


def generate_stage(config: RunConfig, data_dir: Path, model_dir: Path, out: Path, prior_dir: Path | None = None) -> dict:
    """Optimize toward the run's scorer; write ``history.parquet``, ``candidates.*``, ``generation.json``.

    ``prior_dir``: the focus stage's prior (RL starts from it instead of ``generate.prior``).
    """
    from molgen.generate.optimize import GraphGA, Reinvent, candidate_table

    section, seed = config.generate, config.run.seed
    scorer, model = build_scorer(config, model_dir)
    data, target = read_data(data_dir)
    if section.method == "rl":
        from molgen.generate import load_prior

        optimizer = Reinvent(load_prior(prior_dir or section.prior), batch_size=section.batch_size, seed=seed)
    else:
        optimizer = GraphGA(data["smiles"].tolist(), seed=seed)
    result = optimizer.run(scorer, section.budget, checkpoint_dir=out / "checkpoint", progress=True)
    result.history.to_parquet(out / "history.parquet", index=False)
    actives = data.rename(columns={target: "activity"})
    table = candidate_table(
        result, model=model, training_smiles=data["smiles"].tolist(), actives=actives, activity_col="activity", top_n=section.keep
    )  # fmt: skip
    table.to_parquet(out / "candidates.parquet", index=False)
    table.to_csv(out / "candidates.csv", index=False)
    metrics = generation_metrics(result.history["smiles"].tolist(), data["smiles"].tolist())
    steps = result.info.get("log") or []
    if steps:  # RL: the share of sampled strings that were valid molecules, over all steps
        metrics = {"sampled_validity": float(np.mean([s["valid"] for s in steps])), **metrics}
    _write_json(out / "generation.json", _clean({"method": result.method, "scorer_calls": int(len(result.history)), **metrics}))
    return {"candidates": int(len(table)), "scorer_calls": int(len(result.history)), **_clean(metrics)}


def generation_metrics(generated: list[str], reference: list[str]) -> dict:
    """Validity, uniqueness, novelty vs the efficacy data and IntDiv of everything generated."""
    from molgen.generate.moses import (
        canonical_smiles,
        fraction_unique,
        fraction_valid,
        internal_diversity,
        morgan_bits,
        novelty,
    )
    from molgen.utils.quiet import rdkit_quiet

    with rdkit_quiet():
        canonical = [c for c in (canonical_smiles(s) for s in generated) if c is not None]
        known = {c for c in (canonical_smiles(s) for s in reference) if c is not None}
        unique = list(dict.fromkeys(canonical))
        from rdkit import Chem

        bits = np.array([morgan_bits(Chem.MolFromSmiles(s)) for s in unique]) if unique else np.zeros((0, 1024), np.uint8)
    return {
        "scored_molecules": len(generated),
        "scored_valid": fraction_valid(generated) if generated else None,
        "uniqueness": fraction_unique(canonical) if canonical else None,
        "novelty_vs_data": novelty(canonical, known) if canonical else None,
        "int_div1": internal_diversity(bits, p=1) if len(unique) > 1 else None,
    }
