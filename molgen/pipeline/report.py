"""The run report: one self-contained HTML page (images inline, no network, no scripts)."""

import base64
import html
import math
from collections.abc import Sequence

import pandas as pd

from molgen import __version__

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: .85em; margin: .5em 0 1em; }
th, td { border: 1px solid #ddd; padding: .25em .5em; text-align: right; }
th { background: #f3f3f3; } td.smiles { text-align: left; font-family: monospace; font-size: .8em; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: .8em; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: .4em; font-size: .8em; }
.card svg { width: 100%; height: auto; } .card .title { font-weight: bold; }
.card .smiles { font-family: monospace; word-break: break-all; color: #555; }
.muted { color: #666; font-size: .85em; }
"""


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def fmt(value, digits: int = 3) -> str:
    """A number for a table cell: NaN/None as an en dash."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def inline_svg(svg: str) -> str:
    """An RDKit SVG drawing ready to inline (its XML declaration removed)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


def table_html(frame: pd.DataFrame, *, smiles_cols: Sequence[str] = ("smiles",), digits: int = 3, max_rows: int = 50) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.head(max_rows).iterrows():
        cells = []
        for col in frame.columns:
            cls = ' class="smiles"' if col in smiles_cols else ""
            cells.append(f"<td{cls}>{esc(fmt(row[col], digits))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = f'<p class="muted">{len(frame) - max_rows} more rows in the CSV/Parquet files.</p>' if len(frame) > max_rows else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def dict_table(items: dict, digits: int = 3) -> str:
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(fmt(v, digits))}</td></tr>" for k, v in items.items())
    return f"<table><tbody>{rows}</tbody></table>"


def molecule_svg(smiles: str, size: tuple[int, int] = (260, 200)) -> str:
    from rdkit import Chem
    from rdkit.Chem.Draw import rdMolDraw2D

    from molgen.utils.quiet import rdkit_quiet

    with rdkit_quiet():
        mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return ""
    drawer = rdMolDraw2D.MolDraw2DSVG(*size)
    drawer.drawOptions().clearBackground = False
    drawer.DrawMolecule(mol)
    drawer.FinishDrawing()
    return inline_svg(drawer.GetDrawingText())


def candidate_cards(table: pd.DataFrame, components: Sequence[str], target: str) -> str:
    """A molecule grid: one card per candidate with its scores and evidence."""
    cards = []
    for _, row in table.iterrows():
        parts = [f'<div class="title">#{esc(row["rank"])} &nbsp; score {fmt(row["score"])}</div>']
        parts.append(molecule_svg(row["smiles"]))
        interval = ""
        if "lower" in row and pd.notna(row.get("lower")):
            interval = f" [{fmt(row['lower'], 2)}, {fmt(row['upper'], 2)}]"
        parts.append(f"<div>predicted {esc(target)} {fmt(row.get('prediction'), 2)}{interval}</div>")
        if "control_prediction" in row:
            parts.append(f"<div>control model {fmt(row.get('control_prediction'), 2)}</div>")
        parts.append("<div>" + ", ".join(f"{esc(c)} {fmt(row.get(c), 2)}" for c in components) + "</div>")
        novel = "novel" if row.get("novel", False) else "in the training data"
        parts.append(f"<div>{novel}; max similarity to training set {fmt(row.get('train_similarity'), 2)}</div>")
        parts.append(
            f"<div>nearest known active {fmt(row.get('nearest_active_similarity'), 2)} similar"
            f" (measured {esc(target)} {fmt(row.get('nearest_active_activity'), 2)})</div>"
        )
        alerts = row.get("alerts") or "none"
        parts.append(f"<div>alerts: {esc(alerts)}</div>")
        parts.append(f'<div class="smiles">{esc(row["smiles"])}</div>')
        cards.append('<div class="card">' + "".join(parts) + "</div>")
    return '<div class="grid">' + "".join(cards) + "</div>"


def page(title: str, sections: Sequence[tuple[str, str, str]]) -> str:
    """The HTML page: ``sections`` are (anchor id, heading, body HTML)."""
    toc = "".join(f'<li><a href="#{esc(a)}">{esc(h)}</a></li>' for a, h, _ in sections)
    body = "".join(f'<section id="{esc(a)}"><h2>{esc(h)}</h2>{b}</section>' for a, h, b in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f'<h1>{esc(title)}</h1><p class="muted">molgen {esc(__version__)}</p><ul>{toc}</ul>{body}</body></html>\n'
    )
