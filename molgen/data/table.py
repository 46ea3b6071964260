"""A table of molecules and their targets: standardized, identified, duplicates marked.

:class:`MoleculeTable` keeps every input row, in order. Rows whose molecule cannot be read
are kept with their ``state`` and ``error``; repeated molecules are kept and flagged. Only
:meth:`MoleculeTable.deduplicate` merges rows, and it says how.
"""

import difflib
import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from molgen.chem.parse import DEFAULT_MAX_HEAVY_ATOMS
from molgen.chem.standardize import Standardizer, clean_smiles
from molgen.chem.states import MolState
from molgen.data.readers import SDF_ERROR_COL, SDF_STATE_COL, read_table
from molgen.utils.registry import Registry

#: Columns that :meth:`MoleculeTable.from_frame` adds to the input columns.
ADDED_COLUMNS = ("smiles_std", "inchikey", "state", "error", "is_duplicate", "duplicate_of")

#: Two measurements of one molecule that differ by more than this (target units) conflict.
DEFAULT_CONFLICT_TOL = 0.5

#: How :meth:`MoleculeTable.deduplicate` merges the target values of one molecule.
DUPLICATE_POLICIES = Registry("duplicate policy")
DUPLICATE_POLICIES.register("mean")("mean")
DUPLICATE_POLICIES.register("median")("median")
DUPLICATE_POLICIES.register("first")("first")

#: Target cells read as missing labels (compared after stripping, case-insensitively).
MISSING_TOKENS = frozenset({"", "na", "n/a", "#n/a", "nan", "null", "none"})

_VALID = MolState.VALID.value


class ColumnError(KeyError, ValueError):
    """A column named by the user that the table does not have.

    The message names the missing column, suggests close matches and lists the columns
    that exist. It is both a ``KeyError`` (like pandas) and a ``ValueError``.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


#: Prefix given to an output column whose name is already taken by an input column.
COLLISION_PREFIX = "molgen_"


def join_columns(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """``left``'s columns, then ``right``'s; a name of ``right`` already in ``left`` gets ``molgen_``.

    Both frames must have the same index (row for row).
    """
    taken = {str(c) for c in left.columns}
    renames = {}
    for col in right.columns:
        name = str(col)
        while name in taken:
            name = COLLISION_PREFIX + name
        taken.add(name)
        renames[col] = name
    return pd.concat([left, right.rename(columns=renames)], axis=1)


def check_columns(frame: pd.DataFrame, names) -> None:
    """Raise :class:`ColumnError` for the first of ``names`` that ``frame`` lacks ("did you mean ...?")."""
    _check_columns(frame, [names] if isinstance(names, str) else list(names))


def _check_columns(frame: pd.DataFrame, names: list) -> None:
    existing = [str(c) for c in frame.columns]
    for name in names:
        if name in frame.columns:
            continue
        by_lower = {c.lower(): c for c in existing}
        close = difflib.get_close_matches(str(name).lower(), list(by_lower), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(by_lower[c]) for c in close)}?" if close else ""
        shown = ", ".join(existing[:30]) + (f", ... ({len(existing) - 30} more)" if len(existing) > 30 else "")
        raise ColumnError(f"column {name!r} not found{hint} (columns: {shown})")


def _row_list(positions, values) -> str:
    shown = (repr(v) if isinstance(v, str) else f"{float(v):g}" for v in values[:5])
    return ", ".join(f"{p + 1} ({v})" for p, v in zip(positions[:5], shown, strict=False))


def target_to_float(values: pd.Series, name: str) -> pd.Series:
    """Convert one target column to float64, blanks to NaN.

    Parameters
    ----------
    values : pandas.Series
        Numbers or booleans (True -> 1.0), or strings of numbers; blanks and
        ``NA``/``NaN``/``null``/``None`` are missing labels.
    name : str
        The column name, used in error messages.

    Returns
    -------
    pandas.Series
        float64, same index.

    Raises
    ------
    ValueError
        If a value is not a number, or is infinite; the message names the column and up
        to five offending data rows (1-based, header not counted) with their values.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        numbers = pd.Series(values.to_numpy(dtype="float64", na_value=np.nan), index=values.index)
    else:
        text = pd.Series(["" if pd.isna(v) else str(v).strip() for v in values], index=values.index, dtype=object)
        missing = text.str.lower().isin(MISSING_TOKENS)
        numbers = pd.to_numeric(text.where(~missing, None), errors="coerce").astype("float64")
        bad = np.flatnonzero((numbers.isna() & ~missing).to_numpy())
        if len(bad):
            raise ValueError(
                f"target column {name!r} has {len(bad)} non-numeric value(s) in data rows "
                f"{_row_list(bad, text.to_numpy()[bad])}; leave a cell blank for a missing label"
            )
    infinite = np.flatnonzero(np.isinf(numbers.to_numpy()))
    if len(infinite):
        raise ValueError(
            f"target column {name!r} has {len(infinite)} infinite value(s) in data rows {_row_list(infinite, numbers.to_numpy()[infinite])}"
        )
    return numbers


def _identity_keys(frame: pd.DataFrame) -> pd.Series:
    """Duplicate key per row: the InChIKey, or the standardized SMILES where it is empty."""
    keys = frame["inchikey"].fillna("").astype(str)
    smiles = "smiles:" + frame["smiles_std"].fillna("").astype(str)
    return keys.where(keys != "", smiles)


@dataclass
class MoleculeTable:
    """Molecules with targets, one row per input row, bad and repeated rows included.

    Build it with :meth:`from_frame` or :func:`read_molecule_table`.

    Attributes
    ----------
    frame : pandas.DataFrame
        The input columns (targets converted to float) plus ``smiles_std`` (canonical
        standardized SMILES, ``""`` when invalid), ``inchikey`` (``""`` when invalid or not
        computable), ``state`` (``"valid"`` or why the row is invalid; repeated molecules
        stay ``"valid"``), ``error``, ``is_duplicate`` (a valid row whose molecule appeared
        in an earlier valid row) and ``duplicate_of`` (index label of that first row;
        missing otherwise). Row order and index are the input's.
    smiles_col : str
        The column holding the input SMILES.
    target_cols : list of str
        Target columns (float64, NaN for missing labels).
    id_col : str or None
        Identifier column, kept as read (strings for text files).
    source : str or None
        The file the table was read from, if any.
    """

    frame: pd.DataFrame
    smiles_col: str
    target_cols: list = field(default_factory=list)
    id_col: str | None = None
    source: str | None = None

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        smiles_col: str,
        target_cols=(),
        id_col: str | None = None,
        *,
        standardizer: Standardizer | None = Standardizer(),
        max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS,
        progress: bool = False,
        source: str | None = None,
    ) -> "MoleculeTable":
        """Standardize, identify and mark duplicates in a data frame of molecules.

        Parameters
        ----------
        frame : pandas.DataFrame
            Input rows; not modified (a copy is made).
        smiles_col : str
            Column of SMILES; missing or blank cells become state ``empty``.
        target_cols : sequence of str or str
            Target columns, converted to float64 (blank -> NaN).
        id_col : str, optional
            Identifier column; only checked to exist.
        standardizer : Standardizer or None
            Applied after parsing; ``None`` keeps molecules as parsed (salt forms then stay
            distinct molecules).
        max_heavy_atoms : int or None
            Larger molecules get state ``too_many_atoms``.
        progress : bool
            Show a tqdm progress bar on stderr.
        source : str, optional
            Where the rows came from (reported by :func:`molgen.data.summary.summarize`).

        Returns
        -------
        MoleculeTable
            One row per input row. Duplicates are found by InChIKey, or by standardized
            SMILES when the InChIKey is empty. Rows of an SDF table whose record was broken
            (column ``_sdf_state``) keep that state.

        Raises
        ------
        ColumnError
            If a named column does not exist (the message suggests close matches).
        ValueError
            If a target has non-numeric or infinite values, a column is named twice, or a
            named column uses one of the names in ``ADDED_COLUMNS``.
        """
        target_cols = [target_cols] if isinstance(target_cols, str) else list(target_cols)
        named = [smiles_col, *target_cols] + ([id_col] if id_col is not None else [])
        _check_columns(frame, named)
        repeated = sorted({c for c in named if named.count(c) > 1})
        if repeated:
            raise ValueError(f"column(s) {', '.join(map(repr, repeated))} named more than once (SMILES, target, id)")
        reserved = [c for c in named if c in ADDED_COLUMNS]
        if reserved:
            raise ValueError(
                f"column(s) {', '.join(map(repr, reserved))} would be overwritten by computed columns "
                f"({', '.join(ADDED_COLUMNS)}); rename them first"
            )
        out = frame.copy()
        for col in target_cols:
            try:
                out[col] = target_to_float(out[col], col)
            except ValueError as err:
                if source is None or str(source) in str(err):
                    raise
                raise ValueError(f"{source}: {err}") from None
        cleaned = _clean(out[smiles_col], standardizer, max_heavy_atoms, progress)
        state = cleaned["state"].to_numpy(dtype=object, copy=True)
        error = cleaned["error"].to_numpy(dtype=object, copy=True)
        smiles_std = cleaned["smiles"].to_numpy(dtype=object, copy=True)
        keys = cleaned["inchikey"].to_numpy(dtype=object, copy=True)
        if SDF_STATE_COL in out.columns:
            sdf_state = out[SDF_STATE_COL]
            broken = (sdf_state.notna() & (sdf_state != _VALID)).to_numpy()
            state[broken] = sdf_state.to_numpy(dtype=object)[broken]
            if SDF_ERROR_COL in out.columns:
                error[broken] = out[SDF_ERROR_COL].fillna("").to_numpy(dtype=object)[broken]
            smiles_std[broken] = ""
            keys[broken] = ""
        out["smiles_std"] = smiles_std
        out["inchikey"] = keys
        out["state"] = state
        out["error"] = error
        out["is_duplicate"], out["duplicate_of"] = _mark_duplicates(out)
        return cls(out, smiles_col, target_cols, id_col, None if source is None else str(source))

    @property
    def n_rows(self) -> int:
        """Number of rows (input rows, nothing dropped)."""
        return len(self.frame)

    @property
    def valid(self) -> pd.DataFrame:
        """Rows whose molecule parsed and standardized, duplicates included."""
        return self.frame[self.frame["state"] == _VALID]

    @property
    def unique(self) -> pd.DataFrame:
        """Valid rows that are the first occurrence of their molecule."""
        return self.frame[(self.frame["state"] == _VALID) & ~self.frame["is_duplicate"]]

    def counts(self) -> dict:
        """Row counts as plain ints: ``rows``, ``valid``, ``invalid``, ``duplicates``, ``unique``.

        ``valid`` includes duplicates; ``unique = valid - duplicates``;
        ``rows = valid + invalid``.
        """
        valid = int((self.frame["state"] == _VALID).sum())
        duplicates = int(self.frame["is_duplicate"].sum())
        return {
            "rows": self.n_rows,
            "valid": valid,
            "invalid": self.n_rows - valid,
            "duplicates": duplicates,
            "unique": valid - duplicates,
        }

    def invalid_by_reason(self) -> dict:
        """Invalid rows per state, e.g. ``{"invalid_smiles": 2, "empty": 1}``, most common first."""
        states = self.frame.loc[self.frame["state"] != _VALID, "state"]
        return {str(k): int(v) for k, v in states.value_counts(sort=True).items()}

    def conflicts(self, conflict_tol: float = DEFAULT_CONFLICT_TOL) -> pd.DataFrame:
        """Repeated molecules whose measurements of a target disagree.

        Parameters
        ----------
        conflict_tol : float
            A group conflicts when ``max - min`` of its non-missing values exceeds this.

        Returns
        -------
        pandas.DataFrame
            One row per (molecule, target) in conflict, in order of first occurrence:
            ``first_row`` (index label), the id column if any, ``smiles_std``,
            ``inchikey``, ``target``, ``n_values``, ``min``, ``max``, ``range``,
            ``values`` (list of floats) and ``rows`` (list of index labels).

        Raises
        ------
        ValueError
            If ``conflict_tol`` is negative or not finite.
        """
        if not np.isfinite(conflict_tol) or conflict_tol < 0:
            raise ValueError(f"conflict_tol must be a finite number >= 0, got {conflict_tol!r}")
        id_cols = [self.id_col] if self.id_col is not None else []
        columns = [
            "first_row",
            *id_cols,
            "smiles_std",
            "inchikey",
            "target",
            "n_values",
            "min",
            "max",
            "range",
            "values",
            "rows",
        ]
        valid = self.valid
        keys = _identity_keys(valid).to_numpy()
        is_first = ~valid["is_duplicate"].to_numpy()
        first_of = {key: pos for pos, key in enumerate(keys[is_first])}
        firsts = valid[is_first]
        records = []
        for t, target in enumerate(self.target_cols):
            present = valid[target].notna().to_numpy()
            grouped = valid[target][present].groupby(keys[present], sort=False)
            stats = grouped.agg(["min", "max", "count"])
            spread = stats["max"] - stats["min"]
            bad = stats.index[(spread > conflict_tol).to_numpy()]
            if not len(bad):
                continue
            value_lists = grouped.agg(list)
            label_lists = pd.Series(list(valid.index[present]), dtype=object).groupby(keys[present], sort=False).agg(list)
            for key in bad:
                first = firsts.iloc[first_of[key]]
                record = {"first_row": firsts.index[first_of[key]], **{c: first[c] for c in id_cols}}
                record.update(
                    smiles_std=first["smiles_std"],
                    inchikey=first["inchikey"],
                    target=target,
                    n_values=int(stats.at[key, "count"]),
                    min=float(stats.at[key, "min"]),
                    max=float(stats.at[key, "max"]),
                    range=float(spread[key]),
                    values=[float(v) for v in value_lists[key]],
                    rows=list(label_lists[key]),
                )
                records.append(((first_of[key], t), record))
        records.sort(key=lambda item: item[0])
        return pd.DataFrame([record for _, record in records], columns=columns)

    def deduplicate(self, policy: str = "mean", *, conflict_tol: float = DEFAULT_CONFLICT_TOL):
        """Merge repeated molecules into one row each.

        Only valid rows are used. Policies for the target values of one molecule:
        ``"mean"`` (default) and ``"median"`` of the non-missing values, ``"first"``: the
        first non-missing value in row order. A molecule with no value for a target gets
        NaN.

        Parameters
        ----------
        policy : {"mean", "median", "first"}
            How to merge target values.
        conflict_tol : float
            Threshold for the conflicts report (see :meth:`conflicts`).

        Returns
        -------
        unique : pandas.DataFrame
            One row per unique valid molecule, in order of first occurrence: ``first_row``
            (index label of the first occurrence), the id column (if any) of the first
            occurrence, ``smiles_std`` and ``inchikey`` of the first occurrence, one column
            per target, and ``n_measurements`` (number of rows merged).
        conflicts : pandas.DataFrame
            :meth:`conflicts` for ``conflict_tol``.

        Raises
        ------
        ValueError
            If ``policy`` is unknown (the message lists the choices) or ``conflict_tol`` is
            invalid.
        """
        how = DUPLICATE_POLICIES.get(policy)
        conflicts = self.conflicts(conflict_tol)
        valid = self.valid
        keys = _identity_keys(valid).to_numpy()
        firsts = valid[~valid["is_duplicate"]]
        id_cols = [self.id_col] if self.id_col is not None else []
        unique = pd.DataFrame({"first_row": firsts.index})
        for col in [*id_cols, "smiles_std", "inchikey"]:
            unique[col] = firsts[col].to_numpy()
        first_keys = _identity_keys(firsts).to_numpy()
        grouped = valid.groupby(keys, sort=False)
        for target in self.target_cols:
            merged = grouped[target].agg(how) if len(valid) else pd.Series(dtype="float64")
            unique[target] = merged.reindex(first_keys).to_numpy(dtype="float64")
        unique["n_measurements"] = grouped.size().reindex(first_keys).to_numpy(dtype="int64") if len(valid) else 0
        return unique, conflicts


def _clean(smiles: pd.Series, standardizer, max_heavy_atoms, progress: bool) -> pd.DataFrame:
    missing = smiles.isna().to_numpy()
    values = [None if gone else v for v, gone in zip(smiles.to_numpy(dtype=object), missing, strict=True)]
    if progress:
        from tqdm import tqdm

        values = tqdm(values, total=len(values), desc="standardizing", unit="mol", file=sys.stderr)
    return clean_smiles(values, standardizer=standardizer, max_heavy_atoms=max_heavy_atoms)


def _mark_duplicates(frame: pd.DataFrame):
    """``is_duplicate`` (bool) and ``duplicate_of`` (index label of the first valid occurrence)."""
    n = len(frame)
    valid = (frame["state"] == _VALID).to_numpy()
    positions = np.arange(n)
    keys = _identity_keys(frame).to_numpy()
    first = pd.Series(positions[valid]).groupby(keys[valid], sort=False).transform("min").to_numpy()
    first_pos = np.full(n, -1)
    first_pos[valid] = first
    is_duplicate = valid & (first_pos != positions)
    integer_index = pd.api.types.is_integer_dtype(frame.index.dtype)
    duplicate_of = pd.Series(pd.NA, index=frame.index, dtype="Int64" if integer_index else object)
    if is_duplicate.any():
        duplicate_of.iloc[np.flatnonzero(is_duplicate)] = frame.index[first_pos[is_duplicate]]
    return is_duplicate, duplicate_of.array


def read_molecule_table(
    path, smiles_col: str, target_cols=(), id_col: str | None = None, *, sep: str | None = None, **kwargs
) -> MoleculeTable:
    """Read a molecule file (see :func:`molgen.data.readers.read_table`) into a :class:`MoleculeTable`.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV, TSV, Parquet, SDF or SMI file, plain or gzipped.
    smiles_col, target_cols, id_col
        As for :meth:`MoleculeTable.from_frame` (SMI files have columns ``smiles`` and
        ``id``; SDF files ``smiles``, their data items and ``_name``).
    sep : str, optional
        Field separator for CSV/TSV files.
    **kwargs
        Passed to :meth:`MoleculeTable.from_frame` (``standardizer``, ``max_heavy_atoms``,
        ``progress``).

    Raises
    ------
    DataFileError
        If the file cannot be read or has no data rows.
    ColumnError, ValueError
        As for :meth:`MoleculeTable.from_frame`.
    """
    frame = read_table(path, sep=sep)
    return MoleculeTable.from_frame(frame, smiles_col, target_cols, id_col, source=str(path), **kwargs)
