"""Assemble the run report from the stage folders: ``report.html`` plus ``tables/*.csv|parquet``."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from molgen.pipeline import plots, report
from molgen.pipeline.config import RunConfig
from molgen.pipeline.stages import read_control

COMPONENT_SKIP = {"rank", "smiles", "score"}


def _json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def _save_table(frame: pd.DataFrame, folder: Path, name: str) -> None:
    frame.to_csv(folder / f"{name}.csv", index=False)
    frame.to_parquet(folder / f"{name}.parquet", index=False)


def build_report(config: RunConfig, paths: dict[str, Path], timings: dict, out: Path) -> dict:
    """Write ``out/report.html`` and ``out/tables``; return counts for the stage record."""
    tables = out / "tables"
    tables.mkdir()
    summary = _json(paths["data"] / "summary.json")
    target = summary.get("target", "target")
    control, control_predictions = read_control(paths.get("control"))
    candidates = with_control(pd.read_parquet(paths["generate"] / "candidates.parquet"), control_predictions)
    overview = _overview(config, summary, timings) + _control_summary(config, control, target)
    sections = [("overview", "Run overview", overview)]
    sections.append(("model", "Efficacy model", _model_section(paths["model"], target, tables)))
    _save_table(candidates, tables, "candidates")
    sections.append(("generation", "Generation", _generation_section(paths, candidates)))
    sections.append(("candidates", "Top candidates", _candidates_section(config, candidates, target)))
    sections.append(("attributions", "Atom attributions", _attribution_section(config, paths["model"], candidates, target)))
    sections.append(("screening", "Screening", _screening_section(paths["screen"], tables)))
    sections.append(("files", "Files", _files_section(tables)))
    (out / "report.html").write_text(report.page("molgen run report", sections), encoding="utf-8")
    return {"candidates": int(len(candidates)), "tables": sorted(p.name for p in tables.iterdir())}


def _overview(config: RunConfig, summary: dict, timings: dict) -> str:
    data = summary.get("summary", {})
    facts = {
        "data": summary.get("source"),
        "target": summary.get("target"),
        "rows read": data.get("rows"),
        "valid molecules": data.get("valid"),
        "duplicates merged": data.get("duplicates"),
        "config": config.source,
        "seed": config.run.seed,
    }
    rows = pd.DataFrame([{"stage": k, "seconds": v["seconds"], "cached": "yes" if v["reused"] else "no"} for k, v in timings.items()])
    return report.dict_table(facts) + "<h3>Stages</h3>" + report.table_html(rows, digits=1)


def with_control(candidates: pd.DataFrame, control: pd.DataFrame | None) -> pd.DataFrame:
    """The candidates with ``control_prediction`` beside ``prediction`` (unchanged without a control).

    Raises
    ------
    ValueError
        If the control predictions are not row for row those of these candidates (a stale stage).
    """
    if control is None:
        return candidates
    if len(control) != len(candidates) or control["smiles"].tolist() != candidates["smiles"].tolist():
        raise ValueError("the control predictions do not match the candidates row for row; delete the run's stages/control-* folders")
    out = candidates.copy()
    at = out.columns.get_loc("prediction") + 1 if "prediction" in out.columns else len(out.columns)
    out.insert(at, "control_prediction", control["control_prediction"].to_numpy())
    return out


def _control_summary(config: RunConfig, record: dict, target: str) -> str:
    """The top-N means of the optimized model and the control, their gap and the series' mean."""
    html = "<h3>Control model</h3>"
    if not config.control.enabled:
        return html + "<p>Not run (control.enabled = false): nothing checks the candidates' predictions against an independent model.</p>"
    if record.get("skipped"):
        return html + f"<p>Not compared: {report.esc(record['skipped'])}.</p>"
    n = min(record.get("top_n", 0), record.get("candidates", 0))
    facts = {
        f"top-{n} mean, molgen ({target})": record.get("molgen_mean"),
        f"top-{n} mean, control ({target})": record.get("control_mean"),
        "gap (molgen - control)": record.get("gap"),
        f"series mean ({target})": record.get("series_mean"),
        "candidates compared": record.get("compared"),
        "control": record.get("model"),
    }
    note = (
        '<p class="muted">Both models learned the same measurements; a large positive gap means the optimizer found the '
        "model's blind spot rather than potent molecules (Renz et al. 2019), and a control mean below the series' mean "
        "means the data do not support the candidates. Each candidate's control prediction is in tables/candidates.csv.</p>"
    )
    return html + report.dict_table(facts, digits=2) + note


def _model_section(folder: Path, target: str, tables: Path) -> str:
    metrics = _json(folder / "metrics.json")
    test = metrics.get("test", {}).get(target, {})
    counts = metrics.get("counts", {})
    html = report.dict_table(
        {**{k: v for k, v in test.items() if not isinstance(v, dict)}, **{f"{k} molecules": v for k, v in counts.items()}}
    )
    path = folder / "test_predictions.parquet"
    if path.is_file():
        table = pd.read_parquet(path)
        _save_table(table, tables, "test_predictions")
        figures = [report.img(plots.parity_png(table, target, test), "parity plot")]
        if table["uncertainty"].max() > 0:
            figures.append(report.img(plots.calibration_png(table), "calibration plot"))
            figures.append(report.img(plots.error_vs_uncertainty_png(table), "error against uncertainty"))
        html += '<div class="figures">' + "".join(figures) + "</div>"
        html += '<p class="muted">Error bars: conformal intervals at the configured coverage, calibrated on a held-out part.</p>'
    return html


def _generation_section(paths: dict, candidates: pd.DataFrame) -> str:
    gen = _json(paths["generate"] / "generation.json")
    html = _focus_table(paths.get("focus")) + report.dict_table(gen)
    data = pd.read_parquet(paths["data"] / "data.parquet")
    history = pd.read_parquet(paths["generate"] / "history.parquet")
    generated = history.loc[np.isfinite(history["score"].to_numpy(float)), "smiles"].drop_duplicates().tolist()
    columns = _properties(generated, data["smiles"].tolist())
    if columns:
        html += report.img(plots.distributions_png(columns, ("generated", "efficacy data")), "property distributions")
    return html


def _focus_table(folder: Path | None) -> str:
    """Samples of the prior before and after its transfer learning on the series, beside the series."""
    if folder is None:
        return "<p>The prior was not focused on the series (focus.enabled = false, or the GA).</p>"
    record = _json(folder / "focus.json")
    rows = [
        {"molecules": name, **{k: v for k, v in record.get(key, {}).items() if k != "n"}}
        for key, name in (("before", "prior samples"), ("after", "focused prior samples"), ("series", "the series"))
    ]
    note = (
        f'<p class="muted">The prior was fine-tuned on the series for {record.get("epochs")} epochs (learning rate '
        f"{record.get('learning_rate')}) before RL, as in REINVENT 4's transfer-learning-then-RL workflow. "
        "median_nn_similarity: each sample's highest Tanimoto similarity to a series molecule (the series: to another "
        "series molecule); novel: not in the series.</p>"
    )
    return "<h3>Prior focused on the series</h3>" + report.table_html(pd.DataFrame(rows), digits=3) + note


def _properties(generated: list[str], reference: list[str]) -> dict:
    from molgen.chem import descriptor_table

    if not generated or not reference:
        return {}
    a, b = descriptor_table(generated), descriptor_table(reference)
    names = {"qed": "QED", "sa_score": "SA score", "mw": "MW", "clogp": "cLogP"}
    return {label: (a[col].to_numpy(float), b[col].to_numpy(float)) for col, label in names.items() if col in a and col in b}


def _components(candidates: pd.DataFrame, config: RunConfig) -> list[str]:
    names = [o["name"] for o in config.scorer.get("objectives", [])]
    return [n for n in names if n in candidates.columns and pd.api.types.is_numeric_dtype(candidates[n])]


def _candidates_section(config: RunConfig, candidates: pd.DataFrame, target: str) -> str:
    if candidates.empty:
        return "<p>No candidate could be scored.</p>"
    top = candidates.head(config.report.top_n)
    return report.candidate_cards(top, _components(candidates, config), target)


def _attribution_section(config: RunConfig, model_folder: Path, candidates: pd.DataFrame, target: str) -> str:
    from molgen.efficacy import atom_attributions, draw_attributions, load_model

    n = config.report.attributions
    if n == 0 or candidates.empty:
        return "<p>None requested.</p>"
    model = load_model(model_folder / "model")
    drawings = []
    for _, row in candidates.head(n).iterrows():
        try:
            attribution = atom_attributions(model, row["smiles"])
        except ValueError as err:
            drawings.append(f"<p>#{row['rank']}: {report.esc(err)}</p>")
            continue
        svg = draw_attributions(attribution, size=(320, 240), legend=f"#{row['rank']}")
        drawings.append(f'<div class="card">{report.inline_svg(svg)}</div>')
    note = f'<p class="muted">Red atoms raise the predicted {report.esc(target)}, blue atoms lower it (gradient x input).</p>'
    return note + '<div class="grid">' + "".join(drawings) + "</div>"


def _screening_section(folder: Path, tables: Path) -> str:
    html = ""
    for part, title in (("library", "Library"), ("candidates", "Generated candidates")):
        summary = _json(folder / part / "summary.json")
        top_path = folder / part / "top_k.parquet"
        html += f"<h3>{title}</h3>"
        facts = {"rows": summary.get("rows"), **{f"state: {k}": v for k, v in summary.get("states", {}).items()}}
        facts["best score"] = summary.get("best_score")
        html += report.dict_table(facts)
        if top_path.is_file():
            top = pd.read_parquet(top_path)
            _save_table(top, tables, f"screen_{part}_top")
            shown = [c for c in ("rank", "id", "smiles", "score", "prediction", "lower", "upper", "ad_similarity") if c in top.columns]
            html += report.table_html(top[shown], max_rows=20)
    return html


def _files_section(tables: Path) -> str:
    items = "".join(f'<li><a href="tables/{report.esc(p.name)}">tables/{report.esc(p.name)}</a></li>' for p in sorted(tables.iterdir()))
    return f"<ul>{items}</ul>"
