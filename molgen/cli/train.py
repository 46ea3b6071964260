"""``molgen train``: fit an efficacy model on a molecule file and save the model directory.

``molgen train --data FILE --smiles-col COL --target-col COL --out MODEL_DIR``
"""

import sys
from pathlib import Path

from molgen.cli._io import positive_int as _positive_int
from molgen.cli.options import DATA_HELP, add_command, add_sep
from molgen.train.config import FitConfig, TrainConfig

#: ``--task`` choices; classification is binary or multiclass, by the labels (molgen.data.labels.resolve_task).
TASK_CHOICES = ("regression", "binary", "multiclass", "classification")
#: The split methods named in --split's help (a molgen.data.SPLITTERS name).
SPLIT_METHODS = ("scaffold", "scaffold_balanced", "random", "cluster")

HELP = "train an efficacy model (ensemble with calibrated intervals) on a molecule file"
DESCRIPTION = """Read a molecule file, standardize and deduplicate the molecules, split them into train / valid / calibration / test
parts, train an ensemble of graph neural networks, calibrate conformal intervals (regression), report test metrics and save a model
directory."""


def add_parser(subparsers) -> None:
    parser = add_command(subparsers, "train", run, HELP, DESCRIPTION)
    add_fit_arguments(parser)
    parser.add_argument(
        "--device", default=TrainConfig.device, help="torch device: auto (CUDA when present, default), cpu, cuda, cuda:1, ..."
    )
    add_table_arguments(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def add_fit_arguments(parser) -> None:
    """The options ``molgen train`` shares with ``ray_jobs/train.py``: data, split, model, training.

    Defaults come from :class:`molgen.train.FitConfig` and :class:`molgen.train.TrainConfig`;
    the model options default to ``None``, which leaves :class:`molgen.models.ModelConfig`'s.
    """
    parser.add_argument("--data", required=True, metavar="FILE", help=DATA_HELP)
    parser.add_argument("--smiles-col", required=True, metavar="COL", help="column holding the SMILES")
    parser.add_argument(
        "--target-col",
        required=True,
        action="append",
        dest="target_cols",
        metavar="COL",
        help="target column (repeat for several targets)",
    )
    parser.add_argument("--out", required=True, metavar="MODEL_DIR", help="model directory to write (replaced if it is a molgen model)")
    parser.add_argument(
        "--task",
        default="regression",
        choices=TASK_CHOICES,
        help="regression (default), binary (0/1 or two text labels), multiclass (0..k-1), or classification "
        "(binary, or multiclass when the labels have more than two classes)",
    )
    parser.add_argument("--seed", type=int, default=TrainConfig.seed, help="seed for the split and the members (default: %(default)s)")
    parser.add_argument("--epochs", type=_positive_int, default=TrainConfig.epochs, help="maximum epochs per member (default: %(default)s)")
    parser.add_argument(
        "--ensemble-size", type=_positive_int, default=FitConfig.ensemble_size, metavar="N", help="ensemble members (default: %(default)s)"
    )
    methods = ", ".join(f"{m} (default)" if m == FitConfig.split_method else m for m in SPLIT_METHODS)
    parser.add_argument(
        "--split", default=FitConfig.split_method, metavar="METHOD", help=f"split method, a molgen.data.SPLITTERS name: {methods}"
    )
    parser.add_argument(
        "--valid-split",
        default=FitConfig.valid_split,
        metavar="METHOD",
        help="how the valid (early-stopping) and calibration parts are split off the non-test molecules (default: random); "
        "the test part always follows --split",
    )
    parser.add_argument(
        "--sizes",
        type=float,
        nargs=4,
        default=FitConfig.sizes,
        metavar=("TRAIN", "VALID", "CALIB", "TEST"),
        help="fractions of the molecules for training, validation (early stopping), calibration (intervals) "
        f"and test (reported metrics); default: {' '.join(f'{s:g}' for s in FitConfig.sizes)}",
    )
    # Model options: None leaves ModelConfig's default, which the help states (tests/test_defaults.py checks it).
    parser.add_argument("--encoder", help="graph encoder: dmpnn (default), gine, attentivefp")
    parser.add_argument("--hidden", type=_positive_int, help="encoder width (default: 300)")
    parser.add_argument("--ffn-hidden", type=_positive_int, metavar="N", help="width of the prediction head (default: --hidden)")
    parser.add_argument("--depth", type=_positive_int, help="message-passing steps / layers (default: 3)")
    parser.add_argument("--dropout", type=float, help="dropout probability (default: 0.0)")
    parser.add_argument(
        "--descriptors",
        choices=["rdkit2d", "morgan_counts"],
        help="molecule-level features joined after the readout: RDKit 2D descriptors or Morgan counts (default: none)",
    )
    parser.add_argument(
        "--kernel",
        choices=["tanimoto", "tanimoto_morgan", "none"],
        default=FitConfig.kernel,
        help="regression: blend a kernel ridge model with the graph ensemble, weighted on the valid part. tanimoto "
        "(default): mean Tanimoto similarity on Morgan and atom-pair bits; tanimoto_morgan: Morgan bits alone; "
        "none: no kernel member",
    )
    parser.add_argument(
        "--forest",
        action="store_true",
        default=FitConfig.forest,
        help="regression: also blend a random forest on Morgan bits, weighted on the valid part with the others",
    )
    parser.add_argument(
        "--no-refit",
        dest="refit",
        action="store_false",
        default=FitConfig.refit,
        help="regression: keep the fingerprint members fitted on the train and valid parts only (by default they are "
        "refitted on every labelled molecule once the intervals are calibrated and the test metrics measured)",
    )
    parser.add_argument(
        "--batch-size", type=_positive_int, default=TrainConfig.batch_size, help="molecules per training batch (default: %(default)s)"
    )
    parser.add_argument(
        "--coverage",
        type=float,
        default=FitConfig.coverage,
        help="coverage of the conformal prediction intervals, regression only (default: %(default)s)",
    )


def add_table_arguments(parser) -> None:
    """``--id-col``, ``--sep`` and ``--no-standardize``: how the molecule file is read."""
    parser.add_argument("--id-col", metavar="COL", help="identifier column (checked to exist; not used for training)")
    add_sep(parser, "files")
    parser.add_argument(
        "--no-standardize",
        action="store_true",
        help="only parse and sanitize the molecules; do not strip salts, neutralize or normalize",
    )


def fit_options(args, **train) -> dict:
    """The keywords of :func:`molgen.efficacy.fit_from_file` from the options of :func:`add_fit_arguments`
    and :func:`add_table_arguments`; ``train`` holds further :class:`molgen.train.TrainConfig` fields."""
    from molgen.chem import Standardizer

    given = {"encoder": args.encoder, "hidden": args.hidden, "ffn_hidden": args.ffn_hidden or args.hidden, "depth": args.depth,
             "dropout": args.dropout}  # fmt: skip
    warmup = min(TrainConfig.warmup_epochs, args.epochs - 1)
    return {
        "smiles_col": args.smiles_col,
        "target_cols": args.target_cols,
        "task": args.task,
        "id_col": args.id_col,
        "sep": args.sep,
        "ensemble_size": args.ensemble_size,
        "split_method": args.split,
        "valid_split": args.valid_split,
        "sizes": tuple(args.sizes),
        "coverage": args.coverage,
        "model_options": {k: v for k, v in given.items() if v is not None},
        "train_config": TrainConfig(epochs=args.epochs, batch_size=args.batch_size, warmup_epochs=warmup, seed=args.seed, **train),
        "standardizer": None if args.no_standardize else Standardizer(),
        "descriptors": args.descriptors,
        "kernel": args.kernel,
        "forest": args.forest,
        "refit": args.refit,
    }


def run(args) -> int:
    from molgen.efficacy import fit_from_file

    _check_sizes(args.sizes)
    out = _check_model_out(args.out)
    model = fit_from_file(
        args.data,
        out_dir=out,
        **fit_options(args, device=args.device),
        progress=not args.quiet,
        announce=lambda line: print(f"note: {line}", file=sys.stderr),
    )
    data = model.info["data"]
    print(_summary(model, args, n_rows=data["rows"], unlabelled=data["unlabelled_rows"], out=out))
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


def _check_sizes(sizes) -> None:
    from molgen.cli import UserError

    if min(sizes) < 0 or abs(sum(sizes) - 1) > 1e-6 or sizes[0] <= 0:
        raise UserError(
            f"--sizes must be four fractions (train, valid, calibration, test) that sum to 1 with train > 0; got {' '.join(f'{s:g}' for s in sizes)}"
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
    refit = model.info.get("refit") or {}
    if refit.get("used"):
        lines.append(f"refit    fingerprint members refitted on all {refit['molecules']} molecules (the test metrics are from before)")
    domain = model.domain or {}
    if domain.get("similarity_threshold") is not None:
        lines.append(
            f"domain   in domain at ad_similarity >= {domain['similarity_threshold']:.2f}, elements {', '.join(domain['elements'])}"
        )
    members = len(model.members)
    lines.append(f"saved    {out} ({model.task}, {members} member{'s' if members != 1 else ''}, {model.model_config.encoder})")
    return "\n".join(lines)
