"""``molgen evaluate``: metrics and a plot of a saved model on labelled data.

``molgen evaluate --model MODEL_DIR --data FILE --smiles-col COL --target-col COL [--out DIR] [--json]``
"""

import json
import re
import sys
from pathlib import Path

from molgen.cli.options import add_command, add_data, add_model, add_predict_batch_size, add_renamed, add_sep

HELP = "measure a trained model on labelled data (metrics, parity or ROC plot)"
DESCRIPTION = """Predict a labelled molecule file with a model directory and report metrics: RMSE, MAE, R2, Spearman, interval coverage
and miscalibration area for regression; ROC-AUC, PR-AUC and balanced accuracy for binary classification. With --out, also write
metrics.json and a parity plot with interval error bars (regression) or a ROC curve (binary) per target as PNG."""


def add_parser(subparsers) -> None:
    parser = add_command(subparsers, "evaluate", run, HELP, DESCRIPTION)
    add_model(parser)
    add_data(parser)
    parser.add_argument(
        "--target-col",
        required=True,
        action="append",
        dest="target_cols",
        metavar="COL",
        help="measured target column, one per model target, in the model's order (repeat for several)",
    )
    parser.add_argument("--out", metavar="DIR", help="folder for metrics.json and the plots (created if missing)")
    add_renamed(parser, "--out-dir", "--out", dest="out")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_predict_batch_size(parser)
    add_sep(parser)


def run(args) -> int:
    from molgen.cli import UserError
    from molgen.cli._io import check_columns, json_safe, state_summary
    from molgen.data import read_table
    from molgen.efficacy import load_model
    from molgen.utils.files import write_text

    model = load_model(args.model)
    if model.task not in ("regression", "binary"):
        raise UserError(f"{args.model}: evaluate supports regression and binary models; this one is {model.task}")
    names = list(model.target_names)
    if len(args.target_cols) != len(names):
        raise UserError(
            f"the model predicts {len(names)} target(s) ({', '.join(names)}); give one --target-col for each, got {len(args.target_cols)}"
        )
    frame = read_table(args.data, sep=args.sep)
    check_columns(frame, args.smiles_col, args.target_cols)
    renamed = [f"{col!r} -> {name!r}" for col, name in zip(args.target_cols, names) if col != name]
    if renamed:
        print(f"note: target columns matched to the model's targets by position: {', '.join(renamed)}", file=sys.stderr)
    predictions = model.predict(frame, smiles_col=args.smiles_col, batch_size=args.batch_size, keep_columns=False)
    report = {
        "model": str(args.model),
        "data": str(args.data),
        "task": model.task,
        "rows": len(frame),
        "states": {str(k): int(v) for k, v in predictions["state"].value_counts().items()},
        "targets": {},
    }
    columns = {}
    for col, name in zip(args.target_cols, names):
        y = _labels(frame[col], col, model, name)
        columns[name] = _prediction_columns(predictions, name, single=len(names) == 1)
        try:
            metrics = target_metrics(model.task, y, **columns[name])
        except ValueError as err:
            raise UserError(f"target {col!r}: {err}") from None
        report["targets"][name] = {"column": col, **metrics}
        columns[name]["y"] = y
    report = json_safe(report)
    if args.out:
        out_dir = _prepare_out_dir(args.out)
        plots = [_plot(out_dir, model.task, name, report["targets"][name], **columns[name]) for name in names]
        report["files"] = [str(out_dir / "metrics.json"), *(str(p) for p in plots if p is not None)]
        write_text(out_dir / "metrics.json", json.dumps(report, indent=2, allow_nan=False) + "\n")
    print(json.dumps(report, indent=2, allow_nan=False) if args.json else _format(report, state_summary(predictions["state"])))
    return 0


def _prepare_out_dir(path) -> Path:
    from molgen.cli import UserError
    from molgen.cli._io import check_writable_folder

    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot create --out {path}: {err.strerror or err}") from None
    check_writable_folder(path, path)
    return path


def _labels(values, col: str, model, name: str):
    """Measured values as floats; text class labels go through the model's stored label mapping."""
    from molgen.data.labels import encode_labels
    from molgen.data.table import target_to_float

    try:
        return target_to_float(values, col).to_numpy(dtype="float64")
    except ValueError:
        mapping = model.info.get("label_mapping", {}).get(name) if model.task == "binary" else None
        if not mapping:
            raise
    return encode_labels(values, col, mapping)


def _prediction_columns(predictions, name: str, *, single: bool) -> dict:
    suffix = "" if single else f"_{name}"

    def column(key):
        col = f"{key}{suffix}"
        return predictions[col].to_numpy(dtype="float64") if col in predictions.columns else None

    return {"mu": column("prediction"), "sigma": column("uncertainty"), "lower": column("lower"), "upper": column("upper")}


def target_metrics(task: str, y, *, mu, sigma=None, lower=None, upper=None) -> dict:
    """Regression: RMSE, MAE, R2, Spearman, coverage, miscalibration area; binary: AUCs, balanced accuracy."""
    import numpy as np

    from molgen.metrics import (
        classification_metrics,
        coverage,
        miscalibration_area,
        regression_metrics,
        uncertainty_spearman,
    )

    if task == "binary":
        return classification_metrics(y, mu)
    metrics = regression_metrics(y, mu)
    if lower is not None and upper is not None:
        metrics["coverage"] = coverage(y, lower, upper)
    if sigma is not None:
        seen = np.isfinite(y) & np.isfinite(mu) & np.isfinite(sigma)
        if seen.any() and sigma[seen].max() > 0:
            metrics["miscalibration_area"] = miscalibration_area(y, mu, sigma)
            metrics["uncertainty_spearman"] = uncertainty_spearman(y, mu, sigma)
    return metrics


def _figure():
    from molgen.cli import UserError

    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise UserError("plots need matplotlib (pip install matplotlib); leave out --out to skip them") from None
    figure = Figure(figsize=(5, 5), dpi=120, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _plot(out_dir: Path, task: str, name: str, metrics: dict, *, y, mu, sigma, lower, upper) -> Path | None:
    """Parity plot (regression) or ROC curve (binary) as PNG; ``None`` when no curve can be drawn."""
    import numpy as np

    from molgen.cli._io import format_metrics
    from molgen.utils.files import atomic_path

    ok = np.isfinite(y) & np.isfinite(mu)
    figure, ax = _figure()
    if task == "binary":
        from sklearn.metrics import roc_curve

        labels = y[ok].astype(int)
        if len(np.unique(labels)) < 2:
            print(f"note: no ROC curve for {name!r}: only one class is present", file=sys.stderr)
            return None
        fpr, tpr, _ = roc_curve(labels, mu[ok])
        ax.plot(fpr, tpr, lw=1.5, label=f"ROC-AUC {metrics['roc_auc']:.3f}")
        ax.plot([0, 1], [0, 1], "k--", lw=0.8)
        ax.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1.01), title=f"{name}: ROC curve")
        ax.legend(loc="lower right")
        path = out_dir / f"roc_{_safe(name)}.png"
    else:
        if lower is not None and upper is not None:
            yerr = np.vstack([mu[ok] - lower[ok], upper[ok] - mu[ok]])
        elif sigma is not None and np.nanmax(sigma[ok], initial=0) > 0:
            yerr = sigma[ok]
        else:
            yerr = None
        ax.errorbar(y[ok], mu[ok], yerr=yerr, fmt="o", ms=3, alpha=0.7, ecolor="0.6", elinewidth=0.8, capsize=0)
        low, high = float(min(y[ok].min(), mu[ok].min())), float(max(y[ok].max(), mu[ok].max()))
        pad = 0.05 * (high - low or 1.0)
        limits = (low - pad, high + pad)
        ax.plot(limits, limits, "k--", lw=0.8)
        ax.set(xlim=limits, ylim=limits)
        ax.set(xlabel=f"measured {name}", ylabel=f"predicted {name}", title=f"{name}: parity")
        shown = {k: metrics[k] for k in ("rmse", "r2", "coverage", "n") if k in metrics}
        ax.text(0.03, 0.97, format_metrics(shown).replace("  ", "\n"), transform=ax.transAxes, va="top", fontsize=8)
        path = out_dir / f"parity_{_safe(name)}.png"
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
    return path


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "target"


def _format(report: dict, states: str) -> str:
    from molgen.cli._io import format_metrics

    lines = [f"evaluated {report['data']} with {report['model']} ({report['task']}): {states}"]
    for name, metrics in report["targets"].items():
        column = metrics["column"]
        label = name if column == name else f"{name} (column {column})"
        lines.append(f"{label}: {format_metrics(metrics)}")
    if report.get("files"):
        lines.append(f"wrote {', '.join(report['files'])}")
    return "\n".join(lines)
