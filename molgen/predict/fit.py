"""Fit an efficacy model: clean, deduplicate, split, featurize, train an ensemble, calibrate, evaluate."""

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from molgen.chem import DEFAULT_MAX_HEAVY_ATOMS, Standardizer
from molgen.data import MoleculeTable, split
from molgen.featurize import ATOM_FDIM, BOND_FDIM, graphs_from_smiles
from molgen.metrics import (
    ConformalCalibrator,
    classification_metrics,
    coverage,
    miscalibration_area,
    regression_metrics,
    uncertainty_spearman,
)
from molgen.models import ModelConfig
from molgen.predict.domain import domain_fingerprints
from molgen.predict.efficacy import TASKS, EfficacyModel
from molgen.train import IdentityScaler, TargetScaler, TrainConfig, train_ensemble

DEFAULT_SIZES = (0.7, 0.1, 0.1, 0.1)


def _targets_frame(targets, target_names) -> pd.DataFrame:
    if isinstance(targets, pd.DataFrame):
        frame = targets.reset_index(drop=True)
    elif isinstance(targets, pd.Series):
        frame = targets.reset_index(drop=True).to_frame(targets.name or "target")
    else:
        arr = np.asarray(targets, dtype=np.float64)
        arr = arr.reshape(len(arr), -1)
        frame = pd.DataFrame(arr, columns=[f"target_{i}" for i in range(arr.shape[1])] if arr.shape[1] > 1 else ["target"])
    if target_names is not None:
        names = list(target_names)
        if len(names) != frame.shape[1]:
            raise ValueError(f"{len(names)} target names for {frame.shape[1]} target columns")
        frame.columns = names
    return frame


def _four_way_split(smiles: list[str], method: str, sizes: Sequence[float], seed: int):
    """(train, valid, calibration, test) index arrays; calibration is split off train by the same method."""
    if len(sizes) != 4 or abs(sum(sizes) - 1) > 1e-6 or min(sizes) < 0:
        raise ValueError(f"sizes must be four fractions (train, valid, calibration, test) summing to 1, got {sizes!r}")
    tr, va, ca, te = sizes
    first = split(smiles, method=method, sizes=(tr + ca, va, te), seed=seed)
    pool = first.train
    if ca > 0:
        inner = split([smiles[i] for i in pool], method=method, sizes=(tr / (tr + ca), ca / (tr + ca), 0.0), seed=seed)
        train, calib = pool[inner.train], pool[inner.valid]
    else:
        train, calib = pool, pool[:0]
    return train, first.valid, calib, first.test


def fit_efficacy_model(
    smiles: Sequence[str],
    targets,
    *,
    target_names: Sequence[str] | None = None,
    task: str = "regression",
    n_classes: int | None = None,
    ensemble_size: int = 3,
    split_method: str = "scaffold",
    sizes: Sequence[float] = DEFAULT_SIZES,
    coverage_target: float = 0.9,
    model_options: dict | None = None,
    train_config: TrainConfig = TrainConfig(),
    standardizer: Standardizer | None = Standardizer(),
    max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS,
    progress: bool = False,
) -> EfficacyModel:
    """Train an efficacy model from measured data.

    Molecules are standardized and deduplicated by InChIKey (targets averaged), split
    into train / valid (early stopping) / calibration (conformal intervals) / test
    (reported metrics), featurized as graphs and fitted as an ensemble of
    ``ensemble_size`` members that differ in their seed.

    Parameters
    ----------
    smiles : sequence of str
    targets : array-like (n or n x n_tasks), Series or DataFrame
        NaN marks a missing label (masked in the loss). Binary labels are 0/1;
        multiclass labels 0..n_classes-1.
    task : {"regression", "binary", "multiclass"}
    split_method : str
        A :data:`molgen.data.SPLITTERS` name (``"scaffold"`` by default).
    sizes : four fractions
        Train, valid, calibration and test shares.
    coverage_target : float
        Coverage of the conformal intervals (regression).
    model_options : dict, optional
        :class:`molgen.models.ModelConfig` fields (``encoder``, ``hidden``, ``depth``, ...).

    Returns
    -------
    EfficacyModel
        With ``metrics`` holding test-set metrics, calibration coverage and the counts
        of rows used and dropped.

    Raises
    ------
    ValueError
        Unknown task, mismatched lengths, too few valid molecules, bad sizes.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    smiles = list(smiles)
    frame = _targets_frame(targets, target_names)
    if len(frame) != len(smiles):
        raise ValueError(f"{len(smiles)} SMILES but {len(frame)} target rows")
    names = [str(c) for c in frame.columns]
    data = pd.concat([pd.DataFrame({"__smiles": smiles}), frame], axis=1)
    table = MoleculeTable.from_frame(data, "__smiles", names, standardizer=standardizer, max_heavy_atoms=max_heavy_atoms)
    unique, _ = table.deduplicate("mean")
    unique = unique.dropna(subset=names, how="all").reset_index(drop=True)
    if len(unique) < 10:
        raise ValueError(f"only {len(unique)} valid, labelled molecules; need at least 10 to train")
    std_smiles = unique["smiles_std"].tolist()
    y = unique[names].to_numpy(dtype=np.float64)
    if task == "multiclass":
        n_classes = n_classes or int(np.nanmax(y)) + 1
    seed = train_config.seed
    train, valid, calib, test = _four_way_split(std_smiles, split_method, sizes, seed)

    batch = graphs_from_smiles(std_smiles, max_heavy_atoms=None, progress=progress)
    scaler = (TargetScaler() if task == "regression" else IdentityScaler()).fit(y[train])
    y_scaled = scaler.transform(y)
    for graph, row in zip(batch.graphs, y_scaled):
        if graph is not None:
            graph.y = torch.tensor(row, dtype=torch.float32).view(1, -1)

    def graphs(idx):
        return [batch.graphs[i] for i in idx if batch.graphs[i] is not None]

    options = {"task": task, "n_tasks": len(names), "n_classes": n_classes if task == "multiclass" else None}
    options.update(model_options or {})
    config = ModelConfig(atom_dim=ATOM_FDIM, bond_dim=BOND_FDIM, **options)
    members, histories = train_ensemble(
        config, graphs(train), graphs(valid), n_members=ensemble_size, config=train_config, progress=progress
    )
    model = EfficacyModel(
        members=members,
        model_config=config,
        target_names=names,
        scaler=scaler,
        fingerprints=domain_fingerprints([std_smiles[i] for i in np.concatenate([train, valid])]),
        standardizer=standardizer,
        max_heavy_atoms=max_heavy_atoms,
    )
    ok = np.array([g is not None for g in batch.graphs])
    calib, test = calib[ok[calib]], test[ok[test]]
    if task == "regression" and len(calib):
        mu, sigma = model.predict_graphs(graphs(calib))
        use_sigma = ensemble_size > 1 or config.mean_variance
        model.calibrator = ConformalCalibrator(coverage=coverage_target).fit(y[calib], mu, sigma if use_sigma else None)
    model.metrics = _test_metrics(model, graphs(test), y[test], names) if len(test) else {}
    model.test_table = _test_table(model, [std_smiles[i] for i in test], graphs(test), y[test]) if len(test) else None
    model.metrics["counts"] = {
        "rows": table.n_rows,
        "invalid": int(table.counts()["invalid"]),
        "duplicates_merged": int(table.counts()["duplicates"]),
        "train": len(train),
        "valid": len(valid),
        "calibration": len(calib),
        "test": len(test),
        "featurization_failed": int((~ok).sum()),
    }
    model.info = {
        "split_method": split_method,
        "sizes": list(sizes),
        "ensemble_size": ensemble_size,
        "train_config": train_config.to_dict(),
        "coverage_target": coverage_target,
        "best_epochs": [h["best_epoch"] for h in histories],
    }
    return model


def _test_table(model: EfficacyModel, smiles: list[str], graphs: list, y: np.ndarray) -> pd.DataFrame:
    """Test rows with measured and predicted values, for parity and calibration plots."""
    mu, sigma = model.predict_graphs(graphs)
    table = pd.DataFrame({"smiles": smiles})
    single = len(model.target_names) == 1
    for k, name in enumerate(model.target_names):
        suffix = "" if single else f"_{name}"
        table[f"measured{suffix}"], table[f"prediction{suffix}"], table[f"uncertainty{suffix}"] = y[:, k], mu[:, k], sigma[:, k]
        if model.task == "regression" and model.calibrator is not None:
            table[f"lower{suffix}"], table[f"upper{suffix}"] = model._interval(mu[:, k], sigma[:, k], k)
    return table


def _test_metrics(model: EfficacyModel, graphs: list, y: np.ndarray, names: list[str]) -> dict:
    mu, sigma = model.predict_graphs(graphs)
    metrics = {}
    for k, name in enumerate(names):
        if model.task == "regression":
            m = regression_metrics(y[:, k], mu[:, k])
            if model.calibrator is not None:
                lower, upper = model._interval(mu[:, k], sigma[:, k], k)
                m["coverage"] = coverage(y[:, k], lower, upper)
            if np.nanmax(sigma[:, k]) > 0:
                m["miscalibration_area"] = miscalibration_area(y[:, k], mu[:, k], sigma[:, k])
                m["uncertainty_spearman"] = uncertainty_spearman(y[:, k], mu[:, k], sigma[:, k])
        else:
            m = classification_metrics(y[:, k], mu[:, k])
        metrics[name] = {key: (None if isinstance(v, float) and np.isnan(v) else v) for key, v in m.items()}
    return {"test": metrics}
