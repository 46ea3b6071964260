"""Train/valid/test splits and k-fold cross-validation for lists of SMILES.

Methods (``SPLITTERS``; all return integer row indices, every row exactly once):

``random``
    Seeded permutation cut at the requested sizes. Duplicated molecules are not grouped:
    deduplicate first (InChIKeys from :func:`molgen.chem.clean_smiles`).
``scaffold``
    DeepChem's ``ScaffoldSplitter``: Bemis-Murcko scaffold sets (``MurckoScaffoldSmiles``,
    chirality ignored), largest set first, each set into train while it fits, else valid,
    else test. Deterministic; the seed is ignored. Matches MoleculeNet's scaffold split.
``scaffold_balanced``
    Chemprop's balanced scaffold split: scaffold sets larger than half the valid or the
    test size are placed first, then the rest in seeded random order; each set goes to
    train if it fits, else valid if it fits, else test. Unlike Chemprop, the big sets are
    taken largest first rather than shuffled, so a dominant set (a congeneric series) lands
    in train instead of being pushed into test when smaller big sets filled train first.
``cluster``
    Butina clusters of Morgan fingerprints (radius 2, 1024 bits = ECFP4 as DeepChem's
    ``ButinaSplitter``) at Tanimoto distance cutoff 0.6, placed with the same seeded
    balanced rule as ``scaffold_balanced``.

No scaffold set or cluster is ever cut between parts, so with the three group methods one
molecule written as different SMILES always lands in one part. Tautomers that share an
InChIKey can have different scaffolds and fingerprints: standardize them first
(``molgen.chem.Standardizer(canonical_tautomer=True)``) if that matters. k-fold uses the same
groups: ``random`` cuts a seeded permutation into k folds; ``scaffold`` assigns scaffold sets
largest first to the fold with fewest rows (scikit-learn's ``GroupKFold`` rule, seed
ignored); ``scaffold_balanced`` and ``cluster`` place groups larger than half a fold first
(largest first), then the rest in seeded random order, each into the fold with fewest rows.

Which DeepChem splitters are used, and why (DeepChem 2.8, ``deepchem/splits/splitters.py``):

* ``ScaffoldSplitter`` is used for ``scaffold``: it is exactly the deterministic scaffold
  split. We validate the SMILES first (it silently drops rows it cannot parse) and check
  that its output is a partition. Its ``k_fold_split`` is not used: it writes DiskDatasets
  to temporary folders and returns datasets, not indices.
* ``RandomSplitter`` is not used: it reseeds NumPy's global random state.
* ``ButinaSplitter`` is not used: same clustering, but it ignores the seed, hides the
  cluster labels (no grouped k-fold) and builds the dense distance matrix in memory
  (RDKit's ``Butina.ClusterData`` allocates n x n floats). :func:`butina_clusters` gives the
  same clusters from sparse neighbor lists.
* ``FingerprintSplitter`` is not used: it is a greedy max-dissimilarity split, not a
  clustering, so it has no groups to keep whole across folds.

DeepChem is imported lazily (only for ``method="scaffold"`` splits) and quietly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from rdkit import Chem

from molgen.chem.parse import parse_smiles
from molgen.chem.scaffolds import murcko_scaffold
from molgen.chem.states import InvalidMoleculeError
from molgen.featurize.fingerprints import fingerprint_matrix
from molgen.utils.quiet import quiet_import, rdkit_quiet
from molgen.utils.registry import Registry
from molgen.utils.tanimoto import tanimoto_neighbors


class Split(NamedTuple):
    """Row indices of the three parts, each sorted ascending (``int64`` arrays)."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


Fold = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class _Method:
    split: Callable[[list[str], list[Chem.Mol], tuple[float, float, float], int], Split]
    kfold: Callable[[list[str], list[Chem.Mol], int, int], list[Fold]]


SPLITTERS: Registry[_Method] = Registry("split method")


# ----------------------------------------------------------------------------- inputs


def _check_smiles(smiles) -> list[str]:
    if isinstance(smiles, (str, bytes)):
        raise ValueError("smiles must be a sequence of SMILES strings, not a single string")
    texts = list(smiles)
    if not texts:
        raise ValueError("smiles is empty; need at least one molecule")
    return texts


def _parse_rows(texts: list[str]) -> list[Chem.Mol]:
    """Parse every row (no size limit); the first bad row raises, naming its index."""
    mols = []
    for row, text in enumerate(texts):
        try:
            mols.append(parse_smiles(text, max_heavy_atoms=None))
        except InvalidMoleculeError as err:
            raise InvalidMoleculeError(err.smiles, err.state, f"row {row}: {err.reason}") from None
    return mols


def _check_sizes(sizes) -> tuple[float, float, float]:
    values = tuple(float(s) for s in sizes)
    if len(values) != 3 or not all(math.isfinite(v) and v >= 0 for v in values):
        raise ValueError(f"sizes must be three non-negative fractions (train, valid, test), got {sizes!r}")
    if abs(sum(values) - 1.0) > 1e-6:
        raise ValueError(f"sizes must sum to 1, got {sizes!r} (sum {sum(values):.6g})")
    total = sum(values)
    return (values[0] / total, values[1] / total, values[2] / total)


def _check_k(k: int, n_items: int, what: str) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise ValueError(f"k must be an integer >= 2, got {k!r}")
    if n_items < k:
        raise ValueError(f"cannot make {k} folds from {n_items} {what}")


def _as_split(train, valid, test) -> Split:
    return Split(*(np.sort(np.asarray(part, dtype=np.int64)) for part in (train, valid, test)))


# ----------------------------------------------------------------------------- groups


def scaffold_groups(smiles: Sequence[str]) -> np.ndarray:
    """Integer group label per row: rows with the same Bemis-Murcko scaffold share a label.

    Labels are numbered by first appearance. Raises :class:`InvalidMoleculeError` naming
    the first unparsable row.
    """
    return _scaffold_labels(_parse_rows(_check_smiles(smiles)))


def _scaffold_labels(mols: list[Chem.Mol]) -> np.ndarray:
    codes, _ = pd.factorize(pd.Series([murcko_scaffold(mol) for mol in mols], dtype=object))
    return codes.astype(np.int64)


def butina_clusters(smiles: Sequence[str], *, cutoff: float = 0.6, radius: int = 2, n_bits: int = 1024) -> np.ndarray:
    """Butina cluster label per row, on Morgan bit fingerprints and Tanimoto distance.

    Parameters
    ----------
    smiles : sequence of str
        Molecules; the first unparsable row raises :class:`InvalidMoleculeError`.
    cutoff : float
        Tanimoto *distance* (1 - similarity) within which molecules are neighbors.
    radius, n_bits : int
        Morgan fingerprint radius and length (defaults: ECFP4, 1024 bits, as DeepChem).

    Returns
    -------
    numpy.ndarray
        ``n`` int64 labels; cluster 0 is the first centroid picked (most neighbors).
        The clusters equal those of ``rdkit.ML.Cluster.Butina.ClusterData`` (no
        reordering) on the same distances, without its ``n x n`` distance matrix. Time
        grows as ``n**2`` (a few seconds for 10,000 molecules).
    """
    if not 0.0 <= cutoff <= 1.0:
        raise ValueError(f"cutoff must be a Tanimoto distance in [0, 1], got {cutoff!r}")
    return _butina_labels(_parse_rows(_check_smiles(smiles)), cutoff, radius, n_bits)


def _butina_labels(mols: list[Chem.Mol], cutoff: float, radius: int, n_bits: int) -> np.ndarray:
    neighbors = tanimoto_neighbors(fingerprint_matrix(mols, radius=radius, n_bits=n_bits), cutoff)
    labels = np.full(len(mols), -1, dtype=np.int64)
    order = sorted(((len(nbrs), i) for i, nbrs in enumerate(neighbors)), reverse=True)
    n_clusters = 0
    for _, centroid in order:
        if labels[centroid] >= 0:
            continue
        members = neighbors[centroid]
        labels[members[labels[members] < 0]] = n_clusters
        labels[centroid] = n_clusters
        n_clusters += 1
    return labels


def _members(groups: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    codes, _ = pd.factorize(pd.Series(groups), use_na_sentinel=False)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes)
    return np.split(order, np.cumsum(counts)[:-1]), counts


def _big_first_order(counts: np.ndarray, big: np.ndarray, seed: int) -> np.ndarray:
    """Big groups largest first (ties: first appearance), then the others in seeded order."""
    big_groups = np.flatnonzero(big)
    big_groups = big_groups[np.argsort(-counts[big_groups], kind="stable")]
    return np.concatenate([big_groups, np.random.default_rng(seed).permutation(np.flatnonzero(~big))])


def group_split(groups: Sequence, sizes=(0.8, 0.1, 0.1), seed: int = 0) -> Split:
    """Seeded split that never cuts a group (Chemprop's balanced scaffold rule).

    Groups larger than half the valid size or half the test size come first, largest
    first; the remaining groups follow in seeded random order. Each group goes to train if
    it still fits, else valid if it fits, else test (a group larger than the train part
    can therefore end up in test).

    Parameters
    ----------
    groups : sequence of hashable
        Group label per row (scaffold SMILES, cluster ids, ...).
    sizes : (float, float, float)
        Train, valid and test fractions; must sum to 1 (``ValueError`` otherwise).
    seed : int
        Seed for ``numpy.random.default_rng``.
    """
    fractions = _check_sizes(sizes)
    groups = np.asarray(groups, dtype=object)
    if len(groups) == 0:
        raise ValueError("groups is empty")
    return _balanced_group_split(groups, fractions, seed)


def _balanced_group_split(groups, fractions, seed: int) -> Split:
    members, counts = _members(groups)
    n = len(groups)
    train_size, valid_size, test_size = (f * n for f in fractions)
    big = (counts > valid_size / 2) | (counts > test_size / 2)
    order = _big_first_order(counts, big, seed)
    parts: tuple[list, list, list] = ([], [], [])
    filled = [0, 0, 0]
    for g in order:
        size = counts[g]
        if filled[0] + size <= train_size:
            target = 0
        elif filled[1] + size <= valid_size:
            target = 1
        else:
            target = 2
        parts[target].append(members[g])
        filled[target] += size
    return _as_split(*(np.concatenate(p) if p else [] for p in parts))


def group_kfold(groups: Sequence, k: int = 5, seed: int | None = 0) -> list[Fold]:
    """k folds that keep each group whole, balanced by row count.

    Groups are taken in order and each is put in the fold with the fewest rows so far.
    With ``seed=None`` the order is largest group first (ties: first appearance), as
    scikit-learn's ``GroupKFold``; with a seed, groups larger than half a fold come first
    (largest first) and the rest follow in seeded random order.

    Returns
    -------
    list of (train_idx, test_idx)
        As :func:`kfold` (the test parts partition the rows).

    Raises
    ------
    ValueError
        ``k < 2`` or fewer groups than folds.
    """
    groups = np.asarray(groups, dtype=object)
    members, counts = _members(groups)
    _check_k(k, len(counts), "groups")
    if seed is None:
        order = sorted(range(len(counts)), key=lambda g: (-counts[g], g))
    else:
        order = _big_first_order(counts, counts > len(groups) / k / 2, seed)
    fold_rows: list[list[np.ndarray]] = [[] for _ in range(k)]
    fold_sizes = np.zeros(k, dtype=np.int64)
    for g in order:
        fold = int(np.argmin(fold_sizes))
        fold_rows[fold].append(members[g])
        fold_sizes[fold] += counts[g]
    return _folds_from_tests([np.concatenate(rows) for rows in fold_rows], len(groups))


def _folds_from_tests(tests: list[np.ndarray], n: int) -> list[Fold]:
    folds = []
    for test in tests:
        mask = np.ones(n, dtype=bool)
        mask[test] = False
        folds.append((np.flatnonzero(mask).astype(np.int64), np.sort(np.asarray(test, dtype=np.int64))))
    return folds


# ----------------------------------------------------------------------------- methods


def _random_split(texts, mols, fractions, seed) -> Split:
    n = len(texts)
    permutation = np.random.default_rng(seed).permutation(n)
    train_end = round(fractions[0] * n)
    valid_end = round((fractions[0] + fractions[1]) * n)
    return _as_split(permutation[:train_end], permutation[train_end:valid_end], permutation[valid_end:])


def _random_kfold(texts, mols, k, seed) -> list[Fold]:
    _check_k(k, len(texts), "molecules")
    permutation = np.random.default_rng(seed).permutation(len(texts))
    return _folds_from_tests(np.array_split(permutation, k), len(texts))


def _deepchem_scaffold_split(texts, mols, fractions, seed) -> Split:
    dc = quiet_import("deepchem")
    ids = np.array([text.strip() for text in texts], dtype=object)
    dataset = dc.data.NumpyDataset(X=np.zeros((len(ids), 1)), ids=ids)
    with rdkit_quiet():
        train, valid, test = dc.splits.ScaffoldSplitter().split(
            dataset, frac_train=fractions[0], frac_valid=fractions[1], frac_test=fractions[2]
        )
    result = _as_split(train, valid, test)
    if not np.array_equal(np.sort(np.concatenate(result)), np.arange(len(texts))):
        raise RuntimeError("DeepChem's ScaffoldSplitter did not return every row exactly once")
    return result


def _scaffold_kfold(texts, mols, k, seed) -> list[Fold]:
    return group_kfold(_scaffold_labels(mols), k, seed=None)


def _scaffold_balanced_split(texts, mols, fractions, seed) -> Split:
    return _balanced_group_split(_scaffold_labels(mols), fractions, seed)


def _scaffold_balanced_kfold(texts, mols, k, seed) -> list[Fold]:
    return group_kfold(_scaffold_labels(mols), k, seed=seed)


def _cluster_split(texts, mols, fractions, seed) -> Split:
    return _balanced_group_split(_butina_labels(mols, 0.6, 2, 1024), fractions, seed)


def _cluster_kfold(texts, mols, k, seed) -> list[Fold]:
    return group_kfold(_butina_labels(mols, 0.6, 2, 1024), k, seed=seed)


SPLITTERS.register("random")(_Method(_random_split, _random_kfold))
SPLITTERS.register("scaffold")(_Method(_deepchem_scaffold_split, _scaffold_kfold))
SPLITTERS.register("scaffold_balanced")(_Method(_scaffold_balanced_split, _scaffold_balanced_kfold))
SPLITTERS.register("cluster")(_Method(_cluster_split, _cluster_kfold))


def split(smiles: Sequence[str], method: str = "scaffold", sizes=(0.8, 0.1, 0.1), seed: int = 0) -> Split:
    """Split molecules into train, valid and test row indices.

    Parameters
    ----------
    smiles : sequence of str
        One SMILES per row; callers pass valid rows only.
    method : str
        ``"random"``, ``"scaffold"`` (DeepChem, deterministic), ``"scaffold_balanced"`` or
        ``"cluster"``; see the module docstring.
    sizes : (float, float, float)
        Train, valid and test fractions; must sum to 1. Group methods hit them only
        approximately (groups are never cut).
    seed : int
        Seed for ``numpy.random.default_rng`` (ignored by ``"scaffold"``).

    Returns
    -------
    Split
        ``(train, valid, test)`` sorted int64 index arrays; every row appears exactly once.

    Raises
    ------
    ValueError
        Unknown method (the message lists the choices), bad ``sizes`` or empty input.
    InvalidMoleculeError
        A SMILES does not parse; the message names the row.

    Examples
    --------
    >>> parts = split(["CCO", "c1ccccc1O", "c1ccccc1N", "C1CCCCC1"], method="random", sizes=(0.5, 0.25, 0.25))
    >>> sorted(len(p) for p in parts)
    [1, 1, 2]
    """
    chosen = SPLITTERS.get(method)
    fractions = _check_sizes(sizes)
    texts = _check_smiles(smiles)
    return chosen.split(texts, _parse_rows(texts), fractions, seed)


def kfold(smiles: Sequence[str], k: int = 5, method: str = "scaffold", seed: int = 0) -> list[Fold]:
    """k-fold cross-validation indices; group methods keep scaffold sets or clusters whole.

    Parameters
    ----------
    smiles : sequence of str
        One valid SMILES per row.
    k : int
        Number of folds (>= 2, and no more than the rows or groups).
    method : str
        As for :func:`split`.
    seed : int
        Seed for the fold assignment (ignored by ``"scaffold"``).

    Returns
    -------
    list of (train_idx, test_idx)
        ``k`` pairs of sorted int64 arrays; the test parts partition the rows.

    Raises
    ------
    ValueError
        Unknown method, bad ``k`` or too few rows/groups.
    InvalidMoleculeError
        A SMILES does not parse; the message names the row.
    """
    chosen = SPLITTERS.get(method)
    texts = _check_smiles(smiles)
    return chosen.kfold(texts, _parse_rows(texts), k, seed)


__all__ = [
    "SPLITTERS",
    "Split",
    "butina_clusters",
    "group_kfold",
    "group_split",
    "kfold",
    "murcko_scaffold",
    "scaffold_groups",
    "split",
]
