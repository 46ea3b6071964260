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
    from molgen.predict import fit_efficacy_model
    from molgen.train import TrainConfig

    frame, target = read_data(data_dir)
    section = config.model
    train_config = TrainConfig(epochs=section.epochs, patience=section.patience, seed=config.run.seed)
    model = fit_efficacy_model(
        frame["smiles"].tolist(), frame[[target]], ensemble_size=section.ensemble_size, split_method=section.split,
        coverage_target=section.coverage, train_config=train_config, progress=True,
    )  # fmt: skip
    model.save(out / "model")
    if model.test_table is not None:
        model.test_table.to_parquet(out / "test_predictions.parquet", index=False)
    _write_json(out / "metrics.json", _clean(model.metrics))
    return {"test": _clean(model.metrics.get("test", {}).get(target, {}))}


# ----------------------------------------------------------------------------- scorer


def build_scorer(config: RunConfig, model_dir: Path):
    """The run's Scorer, with ``@efficacy`` bound to the trained model."""
    from molgen.predict import load_model
    from molgen.scoring import Scorer

    model = load_model(model_dir)

    def loader(ref: str):
        if ref != EFFICACY_REF:  # the config validator allows nothing else
            raise ValueError(f"unknown model reference {ref!r}")
        return model

    return Scorer.from_config(config.scorer, model_loader=loader), model
