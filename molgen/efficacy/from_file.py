"""Fit an efficacy model on a molecule file and save it: what ``molgen train`` and the Ray job do."""

import functools
import math
from collections.abc import Callable, Sequence

from molgen.chem import Standardizer
from molgen.efficacy.fit import fit_efficacy_model
from molgen.efficacy.model import EfficacyModel
from molgen.train import FitConfig, TrainConfig

_STANDARDIZER = Standardizer()


def fit_from_file(
    path,
    *,
    smiles_col: str,
    target_cols: Sequence[str],
    out_dir,
    task: str = "regression",
    id_col: str | None = None,
    sep: str | None = None,
    ensemble_size: int = FitConfig.ensemble_size,
    split_method: str = FitConfig.split_method,
    valid_split: str | None = FitConfig.valid_split,
    sizes: Sequence[float] = FitConfig.sizes,
    coverage: float = FitConfig.coverage,
    model_options: dict | None = None,
    train_config: TrainConfig | None = None,
    standardizer: Standardizer | None = _STANDARDIZER,
    descriptors: str | None = None,
    kernel: str | None = FitConfig.kernel,
    forest: bool = FitConfig.forest,
    refit: bool = FitConfig.refit,
    progress: bool = False,
    fit: Callable[..., EfficacyModel] | None = None,
    announce: Callable[[str], None] | None = None,
) -> EfficacyModel:
    """Read a molecule file, map its labels, fit a model on the labelled rows and save it.

    Rows without any label are left out (and counted in ``info["data"]``). For a
    classification ``task``, a target column of two distinct text labels (active/inactive,
    ...) is mapped to 0/1 (:func:`molgen.data.labels.map_two_labels`), stored in
    ``info["label_mapping"]``, and ``announce`` is told.

    Parameters
    ----------
    path : path
        A CSV/TSV/Parquet/SDF/SMI file (:func:`molgen.data.read_table`; ``sep`` for CSV/TSV).
    smiles_col, target_cols, id_col : str
        The columns; ``id_col`` is only checked to exist.
    out_dir : path
        Model directory to write (an existing molgen model directory is replaced).
    task : {"regression", "binary", "multiclass", "classification"}
        ``"classification"`` is binary or multiclass, by the labels.
    ensemble_size, split_method, valid_split, sizes, coverage, model_options, train_config, standardizer, descriptors, kernel, forest, refit
        As for :func:`fit_efficacy_model` (defaults: :class:`molgen.train.FitConfig`).
    progress : bool
        Progress bars of the default ``fit``.
    fit : callable, optional
        Fits the model: called as ``fit(smiles, targets, target_names=..., task=..., **options)``
        with the options above; default :func:`fit_efficacy_model`. The Ray job passes
        :func:`molgen.distributed.train.fit_distributed` here.
    announce : callable, optional
        Called with each note (text labels mapped to classes) before fitting.

    Returns
    -------
    EfficacyModel
        The saved model; ``metrics`` holds its test metrics.

    Raises
    ------
    ValueError
        An unknown split method, encoder or kernel, a missing column, bad labels, no
        labelled row, a calibration part too small for ``coverage`` (regression); and as
        :func:`fit_efficacy_model`.
    FileNotFoundError
        When ``path`` does not exist.
    """
    from molgen.data import SPLITTERS, MoleculeTable, read_table
    from molgen.data.labels import read_targets, resolve_task
    from molgen.efficacy.blend import check_kernel
    from molgen.models import ENCODERS

    SPLITTERS.get(split_method)  # unknown names list the choices, before any work is done
    if valid_split is not None:
        SPLITTERS.get(valid_split)
    if model_options and "encoder" in model_options:
        ENCODERS.get(model_options["encoder"])
    check_kernel(kernel)
    frame = read_table(path, sep=sep)
    MoleculeTable.from_frame(frame.iloc[:0], smiles_col, list(target_cols), id_col)  # names a missing column
    targets, mapping = read_targets(frame, target_cols, classification=task != "regression")
    for col, labels in mapping.items():
        shown = ", ".join(f"{label!r} -> {code}" for label, code in labels.items())
        (announce or _quiet)(f"text labels of {col!r} mapped to classes: {shown}")
    task = resolve_task(task, targets)
    labelled = targets.notna().any(axis=1).to_numpy()
    if not labelled.any():
        raise ValueError(f"no row has a value in {', '.join(map(repr, target_cols))}")
    if task == "regression":
        check_calibration_size(int(labelled.sum()), sizes, coverage)
    fit = fit or functools.partial(fit_efficacy_model, progress=progress)
    model = fit(
        frame[smiles_col][labelled].tolist(),
        targets[labelled],
        target_names=list(targets.columns),
        task=task,
        ensemble_size=ensemble_size,
        split_method=split_method,
        valid_split=valid_split,
        sizes=tuple(sizes),
        coverage=coverage,
        model_options=model_options,
        train_config=train_config or TrainConfig(),
        standardizer=standardizer,
        descriptors=descriptors,
        kernel=kernel,
        forest=forest,
        refit=refit,
    )
    unlabelled = int((~labelled).sum())
    if mapping:
        model.info["label_mapping"] = mapping
    model.info["data"] = {"file": str(path), "smiles_col": smiles_col, "rows": len(frame), "unlabelled_rows": unlabelled}
    model.save(out_dir)
    return model


def check_calibration_size(n_labelled: int, sizes: Sequence[float], coverage: float) -> None:
    """Fail before training when the calibration part cannot be large enough for ``coverage``.

    The message names the command-line options (``--sizes``, ``--coverage``) that ``molgen
    train`` and the Ray job share with the keywords of :func:`fit_from_file`.

    Raises
    ------
    ValueError
        ``coverage`` outside (0, 1), or ``n_labelled * sizes[2]`` below what it needs.
    """
    if not 0 < coverage < 1:
        raise ValueError(f"--coverage must be strictly between 0 and 1, got {coverage}")
    share = sizes[2]
    if share <= 0:
        return
    need = next(n for n in range(1, 100_000) if math.ceil((n + 1) * coverage - 1e-9) <= n)
    expected = int(n_labelled * share)
    if expected < need:
        raise ValueError(
            f"{n_labelled} labelled rows give at most {expected} calibration molecules with --sizes "
            f"{' '.join(f'{s:g}' for s in sizes)}; coverage {coverage:g} needs at least {need}: raise the "
            f"calibration share (e.g. --sizes 0.6 0.1 0.15 0.15), lower --coverage, or add data"
        )


def _quiet(line: str) -> None:
    """The default ``announce``: say nothing."""
