"""Counts and target statistics of a :class:`~molgen.data.table.MoleculeTable`, as JSON-ready data or text."""

import math

import pandas as pd

from molgen.data.table import DEFAULT_CONFLICT_TOL, MoleculeTable

_STATS = ("count", "missing", "mean", "std", "min", "median", "max")


def _number(value):
    """A plain float, or ``None`` for NaN/missing."""
    value = float(value)
    return None if math.isnan(value) else value


def target_stats(values: pd.Series) -> dict:
    """``count``, ``missing`` (ints) and ``mean``, ``std`` (sample), ``min``, ``median``, ``max``.

    Floats are plain Python floats; a statistic that is undefined (no values, or ``std``
    of one value) is ``None``.
    """
    values = values.astype("float64")
    return {
        "count": int(values.notna().sum()),
        "missing": int(values.isna().sum()),
        "mean": _number(values.mean()),
        "std": _number(values.std(ddof=1)),
        "min": _number(values.min()),
        "median": _number(values.median()),
        "max": _number(values.max()),
    }


def summarize(table: MoleculeTable, *, conflict_tol: float = DEFAULT_CONFLICT_TOL) -> dict:
    """Summarize a molecule table; every value is JSON-serializable.

    Parameters
    ----------
    table : MoleculeTable
        The table to describe.
    conflict_tol : float
        Range above which repeated measurements of a molecule conflict.

    Returns
    -------
    dict
        ``file``, ``smiles_col``, ``id_col``, ``target_cols``; the int counts ``rows``
        (data rows read), ``valid`` (molecule parsed, sanitized and standardized;
        duplicates included), ``invalid`` (``rows - valid``; empty SMILES included),
        ``duplicates`` (valid rows whose molecule appeared in an earlier row) and
        ``unique`` (``valid - duplicates``); ``invalid_by_reason`` (state -> count);
        ``targets`` (target -> :func:`target_stats` over the valid rows, duplicates
        included); ``conflicting_duplicates`` (number of molecules whose repeated
        measurements of some target differ by more than ``conflict_tol``) and
        ``conflict_tol``.

    Raises
    ------
    ValueError
        If ``conflict_tol`` is negative or not finite.
    """
    conflicts = table.conflicts(conflict_tol)
    valid = table.valid
    return {
        "file": table.source,
        "smiles_col": table.smiles_col,
        "id_col": table.id_col,
        "target_cols": list(table.target_cols),
        **table.counts(),
        "invalid_by_reason": table.invalid_by_reason(),
        "targets": {target: target_stats(valid[target]) for target in table.target_cols},
        "conflicting_duplicates": int(conflicts["first_row"].nunique()),
        "conflict_tol": float(conflict_tol),
    }


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3g}"


def format_summary(summary: dict) -> str:
    """Short aligned text for a :func:`summarize` result."""
    rows = summary["rows"]

    def share(n: int) -> str:
        return f"{n:>{width}}  ({100 * n / rows:.1f}%)" if rows else f"{n:>{width}}"

    width = len(str(rows))
    lines = [
        f"file        {summary.get('file') or '-'}",
        f"smiles col  {summary['smiles_col']}",
        f"rows        {rows:>{width}}",
        f"valid       {share(summary['valid'])}",
        f"invalid     {share(summary['invalid'])}",
    ]
    reasons = summary.get("invalid_by_reason", {})
    reason_width = max((len(r) for r in reasons), default=0)
    lines += [f"  {reason:<{reason_width}}  {count}" for reason, count in reasons.items()]
    lines += [
        f"duplicates  {share(summary['duplicates'])}",
        f"unique      {share(summary['unique'])}",
    ]
    if summary.get("conflicting_duplicates"):
        lines.append(
            f"conflicts   {summary['conflicting_duplicates']:>{width}}  molecules with repeated values "
            f"differing by more than {summary.get('conflict_tol', DEFAULT_CONFLICT_TOL):g}"
        )
    targets = summary.get("targets", {})
    if targets:
        header = ["target", *_STATS]
        body = [[name, *(_fmt(stats[s]) for s in _STATS)] for name, stats in targets.items()]
        widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
        lines.append("")
        lines += [
            "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
            for row in [header, *body]
        ]
    return "\n".join(lines)
