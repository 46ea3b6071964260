"""Fit an efficacy model: clean, deduplicate, split, featurize, train an ensemble, calibrate, evaluate."""

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from molgen.chem import DEFAULT_MAX_HEAVY_ATOMS, Standardizer
from molgen.data import read_table
from molgen.data.table import check_columns
from molgen.efficacy.blend import check_kernel, fit_fingerprint_members, refit_fingerprint_members
from molgen.efficacy.domain import domain_fingerprints, domain_record
from molgen.efficacy.model import EfficacyModel
from molgen.efficacy.prepare import DEFAULT_SIZES, TrainingData, prepare_training_data
from molgen.metrics import (
    ConformalCalibrator,
    classification_metrics,
    miscalibration_area,
    regression_metrics,
    uncertainty_spearman,
)
from molgen.metrics import (
    coverage as interval_coverage,
)
from molgen.models import MoleculeModel
from molgen.train import FitConfig, TrainConfig, train_ensemble
from molgen.utils.renamed import renamed_keywords


def table_inputs(data, targets=None, *, smiles_col: str | None = None, target_cols=None) -> tuple:
    """``(smiles, targets)`` from what a user hands :func:`fit_efficacy_model`.

    A sequence of SMILES and ``targets`` pass through. A DataFrame or a file path gives its
    ``smiles_col`` (default ``"smiles"``) and, as targets, the columns named by
    ``target_cols`` or by ``targets`` (a name or list of names), else ``targets`` as given.

    Raises
    ------
    molgen.data.ColumnError
        A column the table lacks (with close matches).
    ValueError
        ``smiles_col`` / ``target_cols`` without a table, or a table without targets.
    """
    if isinstance(data, (str, os.PathLike)):
        data = read_table(data)
    if not isinstance(data, pd.DataFrame):
        if smiles_col is not None or target_cols is not None:
            raise ValueError("smiles_col and target_cols name the columns of a DataFrame or file; pass one, or SMILES and targets")
        if targets is None:
            raise ValueError("targets are missing: pass measured values beside the SMILES")
        return data, targets
    col = smiles_col or "smiles"
    if target_cols is None and (
        isinstance(targets, str) or (isinstance(targets, list) and targets and all(isinstance(t, str) for t in targets))
    ):
        target_cols, targets = targets, None
    if target_cols is not None:
        if targets is not None:
            raise ValueError("give targets or target_cols, not both")
        names = [target_cols] if isinstance(target_cols, str) else list(target_cols)
        check_columns(data, [col, *names])
        return data[col].tolist(), data[names]
    if targets is None:
        raise ValueError(f"targets are missing: name the measured column(s) with target_cols=, e.g. target_cols={_guess(data, col)!r}")
    check_columns(data, col)
    return data[col].tolist(), targets


def _guess(frame: pd.DataFrame, smiles_col: str) -> str:
    numeric = [str(c) for c in frame.columns if c != smiles_col and pd.api.types.is_numeric_dtype(frame[c])]
    return numeric[0] if numeric else "pIC50"


@renamed_keywords(coverage_target="coverage")
def fit_efficacy_model(
    smiles,
    targets=None,
    *,
    smiles_col: str | None = None,
    target_cols: str | Sequence[str] | None = None,
    target_names: Sequence[str] | None = None,
    task: str = "regression",
    n_classes: int | None = None,
    ensemble_size: int = FitConfig.ensemble_size,
    split_method: str = FitConfig.split_method,
    sizes: Sequence[float] = DEFAULT_SIZES,
    valid_split: str | None = FitConfig.valid_split,
    coverage: float = FitConfig.coverage,
    model_options: dict | None = None,
    train_config: TrainConfig = TrainConfig(),
    standardizer: Standardizer | None = Standardizer(),
    max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS,
    descriptors: str | None = None,
    kernel: str | None = FitConfig.kernel,
    forest: bool = FitConfig.forest,
    refit: bool = FitConfig.refit,
    progress: bool = False,
) -> EfficacyModel:
    """Train an efficacy model from measured data.

    Molecules are standardized and deduplicated by InChIKey (targets averaged), split
    into train / valid (early stopping) / calibration (conformal intervals) / test
    (reported metrics; test by ``split_method``, valid and calibration at random),
    featurized as graphs and fitted as an ensemble of
    ``ensemble_size`` members that differ in their seed. For regression, a Tanimoto kernel
    ridge model on Morgan and atom-pair bits (and, if asked, a random forest) is blended in,
    weighted on the valid part (``kernel``, ``forest``). The defaults are
    :class:`molgen.train.FitConfig`'s.

    Parameters
    ----------
    smiles : sequence of str, pandas.DataFrame or path
        The molecules; or a table of them (a DataFrame, or a CSV/TSV/Parquet/SDF/SMI file
        read by :func:`molgen.data.read_table`) whose ``smiles_col`` (default ``"smiles"``)
        holds the SMILES.
    targets : array-like (n or n x n_tasks), Series or DataFrame; or column names
        NaN marks a missing label (masked in the loss). Binary labels are 0/1;
        multiclass labels 0..n_classes-1. With a table, a column name (or list of them)
        also works, as does ``target_cols``.
    smiles_col, target_cols : str
        The table's columns (a table only); a wrong name gets a "did you mean" error.
    task : {"regression", "binary", "multiclass"}
    split_method : str
        A :data:`molgen.data.SPLITTERS` name (``"scaffold"`` by default).
    sizes : four fractions
        Train, valid, calibration and test shares.
    valid_split : str, optional
        How the valid (early-stopping) and calibration parts are split off the non-test
        molecules; default ``"random"``. The test part always follows ``split_method``, so
        the reported metrics are on new scaffolds by default, while the intervals are
        calibrated on molecules like the training ones and widen with the uncertainty
        away from them (see :func:`molgen.efficacy.prepare.four_way_split`).
    coverage : float
        Coverage of the conformal intervals (regression). ``coverage_target`` is its
        deprecated name (until molgen 0.2).
    model_options : dict, optional
        :class:`molgen.models.ModelConfig` fields (``encoder``, ``hidden``, ``depth``, ...).
    descriptors : {"rdkit2d", "morgan_counts"} or None
        Molecule-level features joined after the readout (Chemprop's extra descriptors):
        ``"rdkit2d"``, RDKit's ~200 2D descriptors; ``"morgan_counts"``, Morgan count
        fingerprints. Scaled on the training molecules; stored with the model and
        computed again at prediction. ``None`` (default): the graph alone.
    kernel : {"tanimoto", "tanimoto_morgan"} or None
        Regression: blend a kernel ridge model with the graph ensemble. ``"tanimoto"``
        (default): its similarity is the mean of the Tanimoto similarities on Morgan bits
        (radius 2, 2048; the applicability-domain fingerprints) and on atom-pair bits (2048).
        ``"tanimoto_morgan"``: Morgan bits alone (the default before atom pairs). The
        penalty is chosen by leave-one-out. ``None``: no kernel member. On CHEMBL2321810 the
        Morgan kernel cut test RMSE from 0.634 to 0.517 (scaffold split, 5 seeds), and atom
        pairs took it to 0.507 (random split: 0.495 to 0.479). With the graph members' current
        defaults (no batch norm, 100 epochs) the blend scores 0.489 / 0.467 (BENCHMARKS.md).
    forest : bool
        Regression: also blend a random forest on the same bits (:class:`molgen.models.forest.Forest`).
        Off by default: over 5 seeds it changed test RMSE by -0.006 to +0.05 (FreeSolv
        random) and turned no benchmark cell (BENCHMARKS_HISTORY.md, "The forest member").
        The blend weights of ensemble, kernel and forest (per target, summing to 1) are
        chosen on the valid part, then the fingerprint members are refitted on train +
        valid; ``info["blend"]`` records the choice. With the kernel member the uncertainty
        is the kernel's (:mod:`molgen.efficacy.uncertainty`: posterior variance and the
        neighbours' leave-one-out errors, weights fitted on the training molecules) combined
        with the ensemble's spread by its share of the blend; the conformal intervals are
        normalized by it. With ``kernel=None`` and ``forest=False``: the graph ensemble alone.
    refit : bool
        After calibration and the test metrics, refit the fingerprint members on every
        labelled molecule, calibration and test parts included (default), so the saved model
        learns from all the data; the reported metrics stay those of the model before the
        refit. ``info["refit"]`` records it.

    Returns
    -------
    EfficacyModel
        With ``metrics`` holding test-set metrics, calibration coverage and the counts
        of rows used and dropped.

    Raises
    ------
    ValueError
        Unknown task or descriptors, mismatched lengths, too few valid molecules, bad sizes.
    """
    kernel = check_kernel(kernel)
    smiles, targets = table_inputs(smiles, targets, smiles_col=smiles_col, target_cols=target_cols)
    data = prepare_training_data(
        smiles,
        targets,
        target_names=target_names,
        task=task,
        n_classes=n_classes,
        split_method=split_method,
        sizes=sizes,
        valid_split=valid_split,
        model_options=model_options,
        train_config=train_config,
        standardizer=standardizer,
        max_heavy_atoms=max_heavy_atoms,
        descriptors=descriptors,
        progress=progress,
    )
    members, histories = train_ensemble(
        data.model_config,
        data.graphs(data.train),
        data.graphs(data.valid),
        ensemble_size=ensemble_size,
        config=train_config,
        progress=progress,
    )
    return assemble_efficacy_model(
        data,
        members,
        coverage=coverage,
        best_epochs=[h["best_epoch"] for h in histories],
        kernel=kernel,
        forest=forest,
        refit=refit,
    )


@renamed_keywords(coverage_target="coverage")
def assemble_efficacy_model(
    data: TrainingData,
    members: list[MoleculeModel],
    *,
    coverage: float = FitConfig.coverage,
    best_epochs: list | None = None,
    kernel: str | None = FitConfig.kernel,
    forest: bool = FitConfig.forest,
    refit: bool = FitConfig.refit,
) -> EfficacyModel:
    """Build the :class:`EfficacyModel` of trained ``members``: calibrate, evaluate, record.

    The second half of :func:`fit_efficacy_model`, for trainers that fit the members
    elsewhere (Ray Train): conformal calibration on ``data.calib`` (regression), test
    metrics and ``test_table`` on ``data.test``, and the row counts in ``metrics["counts"]``.

    Parameters
    ----------
    data : TrainingData
        From :func:`prepare_training_data`.
    members : list of MoleculeModel
        Trained on ``data.train`` (ensemble size = ``len(members)``), in eval mode.
    coverage : float
        Coverage of the conformal intervals (``coverage_target``: deprecated name).
    best_epochs : list, optional
        Each member's best epoch, recorded in ``info``.
    kernel : {"tanimoto", "tanimoto_morgan"} or None
    forest : bool
        The fingerprint members (see :func:`fit_efficacy_model`).
    refit : bool
        Refit the fingerprint members on every labelled molecule at the end (see :func:`fit_efficacy_model`).

    Raises
    ------
    ValueError
        If ``members`` is empty.
    """
    if not members:
        raise ValueError("no trained members to assemble a model from")
    config = data.model_config
    model = EfficacyModel(
        members=members,
        model_config=config,
        target_names=data.target_names,
        scaler=data.scaler,
        fingerprints=domain_fingerprints([data.smiles[i] for i in np.concatenate([data.train, data.valid])]),
        standardizer=data.standardizer,
        max_heavy_atoms=data.max_heavy_atoms,
        descriptors=data.descriptors,
    )
    blend_info = fit_fingerprint_members(model, data, kernel=check_kernel(kernel), forest=bool(forest))
    ok = data.featurized
    calib, test = data.calib[ok[data.calib]], data.test[ok[data.test]]
    y = data.y
    fitted = np.concatenate([data.train, data.valid])
    calib_similarity = np.zeros(0)
    if len(calib):
        mu, sigma, calib_similarity = model.predict_molecules(
            data.graphs(calib), _fingerprints(data, calib), [data.smiles[i] for i in calib]
        )
    if config.task == "regression" and len(calib):
        use_sigma = len(members) > 1 or config.mean_variance or model.uncertainty is not None
        model.calibrator = ConformalCalibrator(coverage=coverage).fit(y[calib], mu, sigma if use_sigma else None)
    model.metrics, model.test_table = {}, None
    if len(test):
        test_smiles = [data.smiles[i] for i in test]
        mu, sigma, _ = model.predict_molecules(data.graphs(test), _fingerprints(data, test), test_smiles)
        model.metrics = _test_metrics(model, mu, sigma, y[test], data.target_names)
        model.test_table = _test_table(model, test_smiles, mu, sigma, y[test])
    model.metrics["counts"] = {
        **data.counts,
        "calibration": len(calib),
        "test": len(test),
        "featurization_failed": int((~ok).sum()),
    }
    labelled = np.sort(np.concatenate([fitted, data.calib, data.test]))
    refit_info = refit_fingerprint_members(model, data, labelled) if refit else {"used": False, "reason": "refit=False"}
    used = labelled if refit_info["used"] else fitted
    model.domain = domain_record([data.smiles[i] for i in used], calib_similarity)
    model.info = {
        "split_method": data.info["split_method"],
        "valid_split": data.info["valid_split"],
        "sizes": data.info["sizes"],
        "ensemble_size": len(members),
        "train_config": data.info["train_config"],
        "coverage_target": coverage,  # the stored key keeps its name (model file format)
        "blend": blend_info,
        "refit": refit_info,
    }
    if best_epochs is not None:
        model.info["best_epochs"] = list(best_epochs)
    return model


def _fingerprints(data: TrainingData, idx: np.ndarray) -> np.ndarray:
    return domain_fingerprints([data.smiles[i] for i in idx])


def _test_table(model: EfficacyModel, smiles: list[str], mu: np.ndarray, sigma: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Test rows with measured and predicted values, for parity and calibration plots."""
    table = pd.DataFrame({"smiles": smiles})
    single = len(model.target_names) == 1
    for k, name in enumerate(model.target_names):
        suffix = "" if single else f"_{name}"
        table[f"measured{suffix}"], table[f"prediction{suffix}"], table[f"uncertainty{suffix}"] = y[:, k], mu[:, k], sigma[:, k]
        if model.task == "regression" and model.calibrator is not None:
            table[f"lower{suffix}"], table[f"upper{suffix}"] = model._interval(mu[:, k], sigma[:, k], k)
    return table


def _test_metrics(model: EfficacyModel, mu: np.ndarray, sigma: np.ndarray, y: np.ndarray, names: list[str]) -> dict:
    metrics = {}
    for k, name in enumerate(names):
        if model.task == "regression":
            m = regression_metrics(y[:, k], mu[:, k])
            if model.calibrator is not None:
                lower, upper = model._interval(mu[:, k], sigma[:, k], k)
                m["coverage"] = interval_coverage(y[:, k], lower, upper)
            if np.nanmax(sigma[:, k]) > 0:
                m["miscalibration_area"] = miscalibration_area(y[:, k], mu[:, k], sigma[:, k])
                m["uncertainty_spearman"] = uncertainty_spearman(y[:, k], mu[:, k], sigma[:, k])
        else:
            m = classification_metrics(y[:, k], mu[:, k])
        metrics[name] = {key: (None if isinstance(v, float) and np.isnan(v) else v) for key, v in m.items()}
    return {"test": metrics}
