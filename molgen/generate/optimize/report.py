"""Candidate tables and image grids a chemist can act on."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from molgen.chem import parse_smiles_batch, structural_alerts
from molgen.featurize import morgan_fingerprints
from molgen.metrics import max_tanimoto
from molgen.utils.files import atomic_path
from molgen.utils.quiet import rdkit_quiet

#: Columns of the efficacy model's output copied into the candidate table.
MODEL_COLUMNS = ("prediction", "uncertainty", "lower", "upper", "ad_similarity")


def _fingerprints(smiles: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    batch = morgan_fingerprints(list(smiles), radius=2, n_bits=2048)
    return batch.array, np.array([s == "valid" for s in batch.states])


def candidate_table(
    candidates,
    *,
    scorer=None,
    model=None,
    training_smiles: Sequence[str] | None = None,
    actives: pd.DataFrame | Sequence[str] | None = None,
    activity_col: str | None = None,
    top_n: int | None = 100,
    alert_catalogs: Sequence[str] = ("pains", "brenk", "reinvent"),
) -> pd.DataFrame:
    """Rank candidates and annotate them for review.

    Parameters
    ----------
    candidates : OptimizationResult, DataFrame or sequence of str
        A run's result (its last stage's history: scores and components are reused, so
        nothing is scored twice), a table with ``smiles`` (and ideally ``score`` and
        component columns), or plain SMILES (then ``scorer`` is required).
    scorer : Scorer, optional
        Scores the candidates when they carry no ``score`` column.
    model : EfficacyModel, optional
        Adds ``prediction``, ``uncertainty``, ``lower``, ``upper`` (conformal interval) and
        ``ad_similarity`` (applicability domain) columns.
    training_smiles : sequence of str, optional
        Adds ``train_similarity`` (max Tanimoto, Morgan r=2 2048 bits, to these molecules)
        and ``novel`` (not in them, by canonical SMILES).
    actives : DataFrame or sequence of str, optional
        Known actives: adds ``nearest_active``, ``nearest_active_similarity`` and, with
        ``activity_col``, ``nearest_active_<activity_col>``.
    top_n : int or None
        Rows kept after ranking (``None``: all).
    alert_catalogs : sequence of str
        Structural-alert catalogs for the ``alerts`` column (names joined by ``"; "``).

    Returns
    -------
    pandas.DataFrame
        Best first, 1-based ``rank``; failed rows (NaN score) are dropped.

    Raises
    ------
    ValueError
        For plain SMILES without a scorer, or a table without ``smiles``.
    """
    frame = _as_frame(candidates, scorer)
    frame = frame[np.isfinite(frame["score"].to_numpy(dtype=float))]
    frame = frame.drop_duplicates("smiles").sort_values("score", ascending=False, kind="mergesort")
    if top_n is not None:
        frame = frame.head(int(top_n))
    frame = frame.drop(columns=[c for c in ("call", "state", "error", "stage", "step", "input", "new", "rank") if c in frame.columns])
    frame = frame.reset_index(drop=True)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    smiles = frame["smiles"].tolist()
    if model is not None and smiles:
        pred = model.predict(smiles)
        for col in MODEL_COLUMNS:
            if col in pred.columns:
                frame[f"model_{col}" if col in frame.columns else col] = pred[col].to_numpy()
    fps, ok = _fingerprints(smiles) if smiles else (np.zeros((0, 2048), np.uint8), np.zeros(0, bool))
    if training_smiles is not None:
        train_fps, train_ok = _fingerprints(training_smiles)
        train_canon = set(_canonical(training_smiles))
        if len(smiles) and train_ok.any():
            frame["train_similarity"] = max_tanimoto(fps, train_fps[train_ok], valid=ok)
        else:
            frame["train_similarity"] = np.nan
        frame["novel"] = [s not in train_canon for s in _canonical(smiles)]
    if actives is not None:
        frame = _nearest_active(frame, fps, ok, actives, activity_col)
    mols = parse_smiles_batch(smiles).mols
    with rdkit_quiet():
        frame["alerts"] = ["; ".join(structural_alerts(m, alert_catalogs)) if m is not None else "" for m in mols]
    return frame


def _as_frame(candidates, scorer) -> pd.DataFrame:
    if hasattr(candidates, "stage_history"):
        return candidates.stage_history().copy()
    if isinstance(candidates, pd.DataFrame):
        if "smiles" not in candidates.columns:
            raise ValueError(f"candidate table needs a 'smiles' column; columns: {list(candidates.columns)}")
        if "score" in candidates.columns:
            return candidates.copy()
        candidates = candidates["smiles"].tolist()
    if scorer is None:
        raise ValueError("candidates without a 'score' column need scorer=")
    table = scorer.score(list(candidates))
    table["smiles"] = _canonical(table["smiles"].tolist(), keep_invalid=True)
    return table


def _canonical(smiles: Sequence[str], keep_invalid: bool = False) -> list[str]:
    from rdkit import Chem

    parsed = parse_smiles_batch(list(smiles))
    with rdkit_quiet():
        return [Chem.MolToSmiles(m) if m is not None else (str(s) if keep_invalid else "") for s, m in zip(smiles, parsed.mols)]


def _nearest_active(frame, fps, ok, actives, activity_col) -> pd.DataFrame:
    if isinstance(actives, pd.DataFrame):
        if "smiles" not in actives.columns:
            raise ValueError("actives table needs a 'smiles' column")
        if activity_col is not None and activity_col not in actives.columns:
            raise ValueError(f"actives table has no column {activity_col!r}")
        act_smiles = actives["smiles"].tolist()
        values = actives[activity_col].to_numpy() if activity_col else None
    else:
        act_smiles, values = list(actives), None
    act_fps, act_ok = _fingerprints(act_smiles)
    keep = np.flatnonzero(act_ok)
    if not len(keep) or not len(frame):
        frame["nearest_active"], frame["nearest_active_similarity"] = "", np.nan
        return frame
    sim, idx = max_tanimoto(fps, act_fps[keep], valid=ok, return_index=True)
    rows = np.where(idx >= 0, keep[np.clip(idx, 0, None)], -1)
    frame["nearest_active"] = [act_smiles[r] if r >= 0 else "" for r in rows]
    frame["nearest_active_similarity"] = sim
    if values is not None:
        frame[f"nearest_active_{activity_col}"] = [values[r] if r >= 0 else np.nan for r in rows]
    return frame


def draw_candidates(
    table: pd.DataFrame,
    path=None,
    *,
    n: int = 12,
    per_row: int = 4,
    size: tuple[int, int] = (260, 220),
    legend_cols: Sequence[str] = ("rank", "score", "prediction"),
):
    """Draw the first ``n`` rows of a candidate table as a grid with short legends.

    Parameters
    ----------
    table : DataFrame
        With ``smiles``; legend shows whichever of ``legend_cols`` it has.
    path : str or Path, optional
        ``.png`` or ``.svg`` file to write (atomically).
    n, per_row : int
    size : (int, int)
        Pixels per molecule.

    Returns
    -------
    PIL.Image.Image or str
        The PNG image, or the SVG text for an ``.svg`` path.

    Raises
    ------
    ValueError
        For an empty table or an extension other than ``.png``/``.svg``.
    molgen.utils.files.FileWriteError
        ``path`` cannot be written (its folder is missing, disk full, permissions).
    """
    from rdkit.Chem import Draw

    if table is None or not len(table):
        raise ValueError("no candidates to draw")
    svg = path is not None and Path(path).suffix.lower() == ".svg"
    if path is not None and Path(path).suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"image path must end in .png or .svg, got {path}")
    rows = table.head(n)
    mols = parse_smiles_batch(rows["smiles"].tolist()).mols
    legends = []
    for _, row in rows.iterrows():
        parts = []
        for col in legend_cols:
            if col in row.index and pd.notna(row[col]):
                value = row[col]
                parts.append(f"#{int(value)}" if col == "rank" else f"{col} {value:.2f}" if isinstance(value, float) else f"{col} {value}")
        legends.append("  ".join(parts))
    pairs = [(m, lg) for m, lg in zip(mols, legends) if m is not None]
    with rdkit_quiet():
        image = Draw.MolsToGridImage(
            [m for m, _ in pairs], molsPerRow=per_row, subImgSize=size, legends=[lg for _, lg in pairs], useSVG=svg
        )
    if path is not None:
        with atomic_path(path) as tmp:
            if svg:
                tmp.write_text(image, encoding="utf-8")
            else:
                image.save(tmp, format="PNG")
    return image
