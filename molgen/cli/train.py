"""``molgen train``: fit an efficacy model on a molecule file and save the model directory.

``molgen train --data FILE --smiles-col COL --target-col COL --out MODEL_DIR``
"""

import math
import sys
from pathlib import Path

from molgen.cli._io import positive_int as _positive_int

TASK_CHOICES = ("regression", "binary", "multiclass", "classification")

#: Text labels read as the positive (1) or negative (0) class when a column has two of them.
POSITIVE_LABELS = frozenset({"active", "true", "yes", "positive", "pos", "hit", "binder", "toxic", "y", "t"})
NEGATIVE_LABELS = frozenset(
    {"inactive", "false", "no", "negative", "neg", "nonhit", "non-binder", "nonbinder", "nontoxic", "non-toxic", "n", "f"}
)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train an efficacy model (ensemble with calibrated intervals) on a molecule file",
        description="Read a molecule file, standardize and deduplicate the molecules, split them into "
        "train / valid / calibration / test parts, train an ensemble of graph neural networks, calibrate "
        "conformal intervals (regression), report test metrics and save a model directory.",
    )
    parser.add_argument("--data", required=True, metavar="FILE", help="molecule file (.csv, .tsv, .parquet, .sdf, .smi; .gz allowed)")
    parser.add_argument("--smiles-col", required=True, metavar="COL", help="column holding the SMILES")
    parser.add_argument(
        "--target-col", required=True, action="append", dest="target_cols", metavar="COL",
        help="target column (repeat for several targets)",
    )
    parser.add_argument("--out", required=True, metavar="MODEL_DIR", help="model directory to write (replaced if it is a molgen model)")
    parser.add_argument(
        "--task", default="regression", choices=TASK_CHOICES,
        help="regression (default), binary (0/1 or two text labels), multiclass (0..k-1), or classification "
        "(binary, or multiclass when the labels have more than two classes)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for the split and the members (default: %(default)s)")
    parser.add_argument("--epochs", type=_positive_int, default=100, help="maximum epochs per member (default: %(default)s)")
    parser.add_argument("--ensemble-size", type=_positive_int, default=3, metavar="N", help="ensemble members (default: %(default)s)")
    parser.add_argument(
        "--split", default="scaffold", metavar="METHOD",
        help="split method, a molgen.data.SPLITTERS name: scaffold (default), scaffold_balanced, random, cluster",
    )
    parser.add_argument(
        "--valid-split", metavar="METHOD",
        help="how the valid (early-stopping) part is split off the training molecules (default: random); the test and "
        "calibration parts always follow --split",
    )
    parser.add_argument(
        "--sizes", type=float, nargs=4, default=(0.7, 0.1, 0.1, 0.1), metavar=("TRAIN", "VALID", "CALIB", "TEST"),
        help="fractions of the molecules for training, validation (early stopping), calibration (intervals) "
        "and test (reported metrics); default: 0.7 0.1 0.1 0.1",
    )
    parser.add_argument("--encoder", default="dmpnn", help="graph encoder: dmpnn (default), gine, attentivefp")
    parser.add_argument("--hidden", type=_positive_int, default=300, help="encoder width (default: %(default)s)")
    parser.add_argument("--ffn-hidden", type=_positive_int, metavar="N", help="width of the prediction head (default: --hidden)")
    parser.add_argument("--depth", type=_positive_int, default=3, help="message-passing steps / layers (default: %(default)s)")
    parser.add_argument("--dropout", type=float, default=0.0, help="dropout probability (default: %(default)s)")
    parser.add_argument(
        "--descriptors", choices=["rdkit2d", "morgan_counts"],
        help="molecule-level features joined after the readout: RDKit 2D descriptors or Morgan counts (default: none)",
    )
    parser.add_argument(
        "--kernel", choices=["tanimoto", "tanimoto_morgan", "none"], default="tanimoto",
        help="regression: blend a kernel ridge model with the graph ensemble, weighted on the valid part. tanimoto "
        "(default): mean Tanimoto similarity on Morgan and atom-pair bits; tanimoto_morgan: Morgan bits alone; "
        "none: no kernel member",
    )
    parser.add_argument(
        "--forest", action="store_true",
        help="regression: also blend a random forest on Morgan bits, weighted on the valid part with the others",
    )
    parser.add_argument("--batch-size", type=_positive_int, default=50, help="molecules per training batch (default: %(default)s)")
    parser.add_argument(
        "--coverage", type=float, default=0.9,
        help="coverage of the conformal prediction intervals, regression only (default: %(default)s)",
    )
    parser.add_argument("--device", default="auto", help="torch device: auto (CUDA when present, default), cpu, cuda, cuda:1, ...")
    parser.add_argument("--id-col", metavar="COL", help="identifier column (checked to exist; not used for training)")
    parser.add_argument("--sep", help="field separator for CSV/TSV files (default: by extension)")
    parser.add_argument(
        "--no-standardize", action="store_true",
        help="only parse and sanitize the molecules; do not strip salts, neutralize or normalize",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)




def run(args) -> int:
    from molgen.chem import Standardizer
    from molgen.cli._io import check_columns
    from molgen.data import SPLITTERS, read_table

    SPLITTERS.get(args.split)  # unknown names list the choices, before any work is done
    if args.valid_split is not None:
        SPLITTERS.get(args.valid_split)
    _check_sizes(args.sizes)
    frame = read_table(args.data, sep=args.sep)
    check_columns(frame, args.smiles_col, args.target_cols, args.id_col)
    targets, mapping = _read_targets(frame, args.target_cols, classification=args.task != "regression")
    for col, labels in mapping.items():
        shown = ", ".join(f"{label!r} -> {code}" for label, code in labels.items())
        print(f"note: text labels of {col!r} mapped to classes: {shown}", file=sys.stderr)
    task = _resolve_task(args.task, targets)
    labelled = targets.notna().any(axis=1).to_numpy()
    if not labelled.any():
        raise ValueError(f"no row has a value in {', '.join(map(repr, args.target_cols))}")
    if task == "regression":
        _check_calibration_size(int(labelled.sum()), args.sizes, args.coverage)

    from molgen.models.encoders import ENCODERS  # imports torch: after the quick checks
    from molgen.efficacy import fit_efficacy_model
    from molgen.train import TrainConfig

    ENCODERS.get(args.encoder)
    out = _check_model_out(args.out)

    train_config = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, warmup_epochs=min(2, args.epochs - 1), seed=args.seed, device=args.device
    )
    model_options = {
        "encoder": args.encoder,
        "hidden": args.hidden,
        "ffn_hidden": args.ffn_hidden or args.hidden,
        "depth": args.depth,
        "dropout": args.dropout,
    }
    model = fit_efficacy_model(
        frame[args.smiles_col][labelled].tolist(),
        targets[labelled],
        target_names=list(targets.columns),
        task=task,
        ensemble_size=args.ensemble_size,
        split_method=args.split,
        valid_split=args.valid_split,
        sizes=tuple(args.sizes),
        coverage_target=args.coverage,
        model_options=model_options,
        train_config=train_config,
        standardizer=None if args.no_standardize else Standardizer(),
        descriptors=args.descriptors,
        kernel=args.kernel,
        forest=args.forest,
        progress=not args.quiet,
    )
    unlabelled = int((~labelled).sum())
    if mapping:
        model.info["label_mapping"] = mapping
    model.info["data"] = {"file": str(args.data), "smiles_col": args.smiles_col, "rows": len(frame), "unlabelled_rows": unlabelled}
    model.save(out)
    print(_summary(model, args, n_rows=len(frame), unlabelled=unlabelled, out=out))
    return 0


def _check_model_out(path) -> Path:
    from molgen.cli import UserError
    from molgen.cli._io import check_writable_folder
    from molgen.efficacy.checkpoint import MANIFEST

    path = Path(path)
    if path.exists() and (not path.is_dir() or (any(path.iterdir()) and not (path / MANIFEST).exists())):
        raise UserError(f"{path}: exists and is not a molgen model directory; choose another --out")
    existing = path if path.exists() else next(p for p in path.absolute().parents if p.exists())
    check_writable_folder(existing, path)
    return path


def _read_targets(frame, cols: list[str], *, classification: bool):
    """Float target columns, and ``{column: {label: class}}`` for text class labels mapped to 0/1."""
    import pandas as pd

    from molgen.data.table import target_to_float

    targets, mapping = {}, {}
    for col in cols:
        try:
            targets[col] = target_to_float(frame[col], col)
        except ValueError:
            if not classification:
                raise
            targets[col], mapping[col] = _map_two_labels(frame[col], col)
    return pd.DataFrame(targets, index=frame.index), mapping


def _map_two_labels(values, col: str):
    """Two distinct text labels -> 0/1 (active, true, yes, ... is 1; else alphabetical order)."""
    from molgen.cli import UserError
    from molgen.data.table import MISSING_TOKENS

    import pandas as pd

    text = [None if pd.isna(v) or str(v).strip().lower() in MISSING_TOKENS else str(v).strip() for v in values]
    distinct = sorted({t for t in text if t is not None})
    if len(distinct) != 2:
        shown = ", ".join(map(repr, distinct[:6])) + (", ..." if len(distinct) > 6 else "")
        raise UserError(
            f"target column {col!r} has {len(distinct)} distinct text labels ({shown}); class labels must be "
            "numbers (0/1, or 0..k-1) or exactly two distinct texts such as active/inactive"
        )
    low = [d.lower() for d in distinct]
    negative, positive = distinct
    if (low[0] in POSITIVE_LABELS and low[1] not in POSITIVE_LABELS) or (
        low[1] in NEGATIVE_LABELS and low[0] not in NEGATIVE_LABELS
    ):
        negative, positive = positive, negative
    labels = {negative: 0, positive: 1}
    codes = [float("nan") if t is None else float(labels[t]) for t in text]
    return pd.Series(codes, index=values.index, dtype="float64"), labels


def _resolve_task(task: str, targets) -> str:
    """The fitted task; checks class labels (0/1 for binary, integers 0..k-1 for multiclass)."""
    import numpy as np

    from molgen.cli import UserError

    if task == "regression":
        return task
    values = targets.to_numpy(dtype="float64").ravel()
    classes = np.unique(values[~np.isnan(values)])
    if len(classes) < 2:
        raise UserError(f"classification needs at least two classes; the labels hold {classes.tolist()}")
    if np.any(classes != np.round(classes)) or classes.min() < 0:
        raise UserError(f"class labels must be integers 0..k-1 (or two text labels); found {classes[:8].tolist()}")
    is_binary = set(classes.tolist()) <= {0.0, 1.0}
    if task == "classification":
        return "binary" if is_binary else "multiclass"
    if task == "binary" and not is_binary:
        raise UserError(f"binary labels must be 0/1 (or two text labels); found {classes[:8].tolist()}; use --task multiclass")
    return task


def _check_sizes(sizes) -> None:
    from molgen.cli import UserError

    if min(sizes) < 0 or abs(sum(sizes) - 1) > 1e-6 or sizes[0] <= 0:
        raise UserError(f"--sizes must be four fractions (train, valid, calibration, test) that sum to 1 with train > 0; got {' '.join(f'{s:g}' for s in sizes)}")


def _check_calibration_size(n_labelled: int, sizes, coverage: float) -> None:
    """Fail before training when the calibration part cannot be large enough for ``coverage``."""
    from molgen.cli import UserError

    if not 0 < coverage < 1:
        raise UserError(f"--coverage must be strictly between 0 and 1, got {coverage}")
    share = sizes[2]
    if share <= 0:
        return
    need = next(n for n in range(1, 100_000) if math.ceil((n + 1) * coverage - 1e-9) <= n)
    expected = int(n_labelled * share)
    if expected < need:
        raise UserError(
            f"{n_labelled} labelled rows give at most {expected} calibration molecules with --sizes "
            f"{' '.join(f'{s:g}' for s in sizes)}; coverage {coverage:g} needs at least {need}: raise the "
            f"calibration share (e.g. --sizes 0.6 0.1 0.15 0.15), lower --coverage, or add data"
        )


def _summary(model, args, *, n_rows: int, unlabelled: int, out: Path) -> str:
    from molgen.cli._io import format_metrics

    counts = model.metrics.get("counts", {})
    invalid, merged, failed = counts.get("invalid", 0), counts.get("duplicates_merged", 0), counts.get("featurization_failed", 0)
    used = counts.get("rows", 0) - invalid - merged - failed
    dropped = f"{unlabelled} without a label, {invalid} invalid, {merged} duplicates merged"
    if failed:
        dropped += f", {failed} not featurizable"
    lines = [
        f"rows     {n_rows} read from {args.data}; {used} molecules used ({dropped})",
        f"split    {args.split} (seed {args.seed}): train {counts.get('train', 0)}, valid {counts.get('valid', 0)}, "
        f"calibration {counts.get('calibration', 0)}, test {counts.get('test', 0)}",
    ]
    test = model.metrics.get("test", {})
    if not test:
        lines.append("test     no test molecules; no metrics")
    for name, metrics in test.items():
        lines.append(f"test     {name}: {format_metrics(metrics)}")
    if model.task == "regression" and model.calibrator is not None:
        lines.append(f"         intervals calibrated for {model.calibrator.coverage:g} coverage")
    blend = model.info.get("blend") or {}
    if blend.get("used"):
        for name, weights in zip(model.target_names, blend["weights"]):
            shares = ", ".join(f"{m} {w:.2f}" for m, w in zip(blend["members"], weights))
            lines.append(f"blend    {name}: {shares} (weights chosen on the valid part)")
    members = len(model.members)
    lines.append(f"saved    {out} ({model.task}, {members} member{'s' if members != 1 else ''}, {model.model_config.encoder})")
    return "\n".join(lines)
