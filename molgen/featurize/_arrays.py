"""Molecule -> (node features, directed edges, edge features) as numpy arrays, fast.

Two paths give identical arrays:

* the reference path reads every atom and bond through RDKit's Python API
  (:func:`molgen.featurize.atoms.atom_features`); it costs about a microsecond per call,
  which is more than parsing the SMILES took;
* the fast path splits RDKit's binary pickle into per-atom and per-bond byte records
  (:mod:`molgen.featurize._rdpickle`, one C++ call) and looks each record up in a cache
  of feature rows. A record seen for the first time is featurized by the reference code
  from the RDKit atom or bond itself, after checking that the decoded degree, ring
  membership and end points agree with RDKit. Molecules whose pickle layout is not
  handled use the reference path.

On first use the two paths are compared on a few varied molecules; if they ever
disagree the fast path is switched off for the process, with a ``RuntimeWarning``.
"""

import functools
import threading
import warnings

import numpy as np
from rdkit import Chem

from molgen.featurize._rdpickle import split_pickle
from molgen.featurize.atoms import ATOM_FDIM, BOND_FDIM, atom_features, bond_features

#: Molecules the first-use check compares the two paths on (charges, stereo, isotopes,
#: radicals, explicit H atoms, metals, aromatic heterocycles, fused and bridged rings).
_CHECK_SMILES = (
    "CC(=O)Oc1ccccc1C(=O)O",
    "C[C@H](N)C(=O)[O-]",
    "F/C=C/Cl",
    "[13CH3][2H]",
    "[CH2]C",
    "C[N+](C)(C)C.[Cl-]",
    "c1ccc2[nH]ccc2c1",
    "C1CC2CCC1C2",
    "O=[N+]([O-])c1ccccc1",
    "[Na+].[O-]c1ccccc1",
    "C#N",
    "[Se]1C=CC=C1",
    "[Fe+2]",
    "C1=CC=CC=C1",
)


class _RowCache:
    """Map record keys to rows of a growing float32 feature table.

    A row is a pure function of its key, so results never depend on what was featurized
    before; the cache only saves work. It stops growing at ``max_rows`` keys.
    Lookups are lock-free: a row is written before its key is published.
    """

    def __init__(self, width: int, max_rows: int = 1 << 15):
        self.index: dict = {}
        self.table = np.zeros((64, width), dtype=np.float32)
        self.max_rows = max_rows
        self._lock = threading.Lock()

    def add(self, key, row: np.ndarray) -> None:
        with self._lock:
            n = len(self.index)
            if key in self.index or n >= self.max_rows:
                return
            if n == len(self.table):
                self.table = np.concatenate([self.table, np.zeros_like(self.table)])
            self.table[n] = row
            self.index[key] = n


_ATOMS = _RowCache(ATOM_FDIM)
_BONDS = _RowCache(BOND_FDIM)


class _Mismatch(Exception):
    """The pickle reader disagrees with RDKit: the fast path must not be trusted."""


def reference_arrays(mol: Chem.Mol) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`graph_arrays` through RDKit's Python API only (slow; the definition)."""
    x = np.stack([atom_features(atom) for atom in mol.GetAtoms()]).astype(np.float32, copy=False)
    bonds = list(mol.GetBonds())
    if not bonds:
        return x, np.zeros((2, 0), dtype=np.int64), np.zeros((0, BOND_FDIM), dtype=np.float32)
    pairs = np.array([(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in bonds], dtype=np.int64).T
    edge_attr = np.repeat(np.stack([bond_features(b) for b in bonds]), 2, axis=0)
    return x, _directed(pairs), edge_attr


def _directed(pairs: np.ndarray) -> np.ndarray:
    """``2 x n_bonds`` end points -> ``2 x 2*n_bonds`` directed edges, reverse at ``e ^ 1``."""
    edge_index = np.empty((2, 2 * pairs.shape[1]), dtype=np.int64)
    edge_index[:, 0::2] = pairs
    edge_index[:, 1::2] = pairs[::-1]
    return edge_index


def _ring_flags(mol: Chem.Mol, rings, n_atoms: int, ends: bytes) -> tuple[list, list]:
    """Per atom and per bond whether it is in a ring (``ends``: b0 e0 b1 e1 ...)."""
    atom_ring = [False] * n_atoms
    if rings is None:  # the pickle had no ring section: ask RDKit
        info = mol.GetRingInfo()
        for ring in info.AtomRings():
            for i in ring:
                atom_ring[i] = True
        ring_bonds = {k for ring in info.BondRings() for k in ring}
        return atom_ring, [k in ring_bonds for k in range(len(ends) // 2)]
    ring_pairs = set()
    for ring in rings:  # a ring's bonds join consecutive atoms (RDKit's own depickling rule)
        for i in ring:
            atom_ring[i] = True
        shifted = ring[1:] + ring[:1]
        ring_pairs.update(zip(ring, shifted))
        ring_pairs.update(zip(shifted, ring))
    if not ring_pairs:
        return atom_ring, [False] * (len(ends) // 2)
    return atom_ring, [pair in ring_pairs for pair in zip(ends[0::2], ends[1::2])]


def _slow_rows(cache: _RowCache, keys: list, make_row) -> np.ndarray:
    """``len(keys) x width`` feature rows when some keys are new; ``make_row(i, key)`` makes those."""
    found = list(map(cache.index.get, keys))
    table = cache.table
    return np.stack([table[r] if r is not None else make_row(i, key) for i, (key, r) in enumerate(zip(keys, found))])


def _new_atom_row(mol: Chem.Mol, i: int, key: tuple) -> np.ndarray:
    atom = mol.GetAtomWithIdx(i)
    _, degree, in_ring = key
    if atom.GetDegree() != degree or atom.IsInRing() != in_ring:
        raise _Mismatch(f"atom {i}: degree/ring {degree}/{in_ring} vs RDKit {atom.GetDegree()}/{atom.IsInRing()}")
    row = atom_features(atom)
    _ATOMS.add(key, row)
    return row


def _new_bond_row(mol: Chem.Mol, k: int, key: tuple, begin: int, end: int) -> np.ndarray:
    bond = mol.GetBondWithIdx(k)
    if (bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), bond.IsInRing()) != (begin, end, key[1]):
        raise _Mismatch(f"bond {k}: end points or ring membership differ from RDKit")
    row = bond_features(bond)
    _BONDS.add(key, row)
    return row


def _fast_arrays(mol: Chem.Mol):
    """The fast path, or ``None`` when the pickle layout is not handled."""
    split = split_pickle(mol)
    if split is None:
        return None
    atoms, ends, bonds, rings = split
    n_atoms = len(atoms)
    atom_ring, bond_ring = _ring_flags(mol, rings, n_atoms, ends)
    if bonds:
        # ends is b0 e0 b1 e1 ...: the sources of edges 2k (b->e) and 2k+1 (e->b)
        sources = np.frombuffer(ends, dtype=np.uint8)
        edge_index = np.empty((2, len(ends)), dtype=np.int64)
        edge_index[0] = sources
        edge_index[1, 0::2] = sources[1::2]
        edge_index[1, 1::2] = sources[0::2]
        degrees = [0] * n_atoms
        for atom in ends:  # plain Python beats numpy calls at this size
            degrees[atom] += 1
        try:  # look the rows up before reading the table (it may grow meanwhile)
            rows = list(map(_BONDS.index.__getitem__, zip(bonds, bond_ring)))
            bond_rows = _BONDS.table[rows]
        except KeyError:
            bond_rows = _slow_rows(
                _BONDS, list(zip(bonds, bond_ring)), lambda k, key: _new_bond_row(mol, k, key, ends[2 * k], ends[2 * k + 1])
            )
        edge_attr = bond_rows.repeat(2, axis=0)
    else:
        edge_index = np.zeros((2, 0), dtype=np.int64)
        edge_attr = np.zeros((0, BOND_FDIM), dtype=np.float32)
        degrees = [0] * n_atoms
    try:
        rows = list(map(_ATOMS.index.__getitem__, zip(atoms, degrees, atom_ring)))
        x = _ATOMS.table[rows]
    except KeyError:
        x = _slow_rows(_ATOMS, list(zip(atoms, degrees, atom_ring)), lambda i, key: _new_atom_row(mol, i, key))
    return x, edge_index, edge_attr


_STATE = {"fast": True}


def _disable_fast_path(reason: str) -> None:
    if _STATE["fast"]:
        _STATE["fast"] = False
        warnings.warn(
            f"molgen.featurize: fast graph featurization disabled, using RDKit's Python API ({reason})",
            RuntimeWarning,
            stacklevel=3,
        )


@functools.cache
def _check_fast_path() -> None:
    """Compare both paths once on varied molecules; switch the fast one off if they differ."""
    try:
        for smiles in _CHECK_SMILES:
            mol = Chem.MolFromSmiles(smiles)
            fast = _fast_arrays(mol)
            slow = reference_arrays(mol)
            if fast is not None and not all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(fast, slow)):
                _disable_fast_path(f"features differ on {smiles}")
                return
    except Exception as err:  # _Mismatch, or anything unexpected from a new RDKit
        _disable_fast_path(f"{type(err).__name__}: {err}")


def fast_path_enabled() -> bool:
    """Whether the pickle-based fast path is in use in this process."""
    _check_fast_path()
    return _STATE["fast"]


def graph_arrays(mol: Chem.Mol) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node features, directed edges and edge features of a sanitized molecule.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        A sanitized molecule with at least one atom.

    Returns
    -------
    x : numpy.ndarray
        ``n_atoms x ATOM_FDIM``, float32.
    edge_index : numpy.ndarray
        ``2 x 2*n_bonds``, int64; edges ``2k`` and ``2k+1`` are bond ``k`` in both
        directions, so the reverse of edge ``e`` is ``e ^ 1``.
    edge_attr : numpy.ndarray
        ``2*n_bonds x BOND_FDIM``, float32 (each bond's row twice).

    Raises
    ------
    RuntimeError
        From RDKit, when the molecule was not sanitized (its valences are unknown).
    """
    if _STATE["fast"] and not mol.NeedsUpdatePropertyCache():
        _check_fast_path()
        if _STATE["fast"]:
            try:
                arrays = _fast_arrays(mol)
            except _Mismatch as err:
                _disable_fast_path(str(err))
                arrays = None
            if arrays is not None:
                return arrays
    return reference_arrays(mol)
