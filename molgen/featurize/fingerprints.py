"""Fingerprints as numpy arrays: the one place molgen builds RDKit fingerprint generators.

Morgan (ECFP-like) bits or counts and atom-pair bits, via RDKit's ``rdFingerprintGenerator``.
Each setting's generator is built once (:func:`fingerprint_generator`) and shared, also
between threads (RDKit's own multi-threaded ``GetFingerprints`` shares one generator too).
Packed rows (:func:`packed_fingerprints`) are ``np.packbits(bits, axis=1)``, the layout of
the applicability domain and the kernel member. Tanimoto similarity of these arrays is in
:mod:`molgen.utils.tanimoto`.
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

from molgen.chem.parse import DEFAULT_MAX_HEAVY_ATOMS
from molgen.chem.states import InvalidMoleculeError, MolState
from molgen.featurize._batch import AlignedStates, check_given_mol, parse, run_batch
from molgen.utils.quiet import rdkit_quiet

__all__ = [
    "BITS_DTYPE",
    "COUNTS_DTYPE",
    "FINGERPRINT_KINDS",
    "FingerprintBatch",
    "fingerprint_generator",
    "fingerprint_matrix",
    "morgan_fingerprint",
    "morgan_fingerprints",
    "packed_fingerprints",
]

#: dtype of bit fingerprints (0/1) and of count fingerprints.
BITS_DTYPE, COUNTS_DTYPE = np.uint8, np.int32
#: Kinds of :func:`fingerprint_generator`.
FINGERPRINT_KINDS = ("morgan", "atom_pair")


@functools.lru_cache(maxsize=32)
def _generator(kind: str, radius: int, n_bits: int, chirality: bool):
    if kind == "morgan":
        return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits, includeChirality=chirality)
    return rdFingerprintGenerator.GetAtomPairGenerator(fpSize=n_bits, includeChirality=chirality)


def fingerprint_generator(kind: str = "morgan", *, radius: int = 2, n_bits: int = 2048, chirality: bool = False):
    """The RDKit fingerprint generator for these settings, built once and then shared.

    Parameters
    ----------
    kind : {"morgan", "atom_pair"}
        Morgan environments or atom pairs (RDKit's defaults: distances 1 to 30).
    radius : int
        Morgan radius (2 is ECFP4-like); not used by atom pairs.
    n_bits : int
        Fingerprint length (folded).
    chirality : bool
        Include chirality in the atom invariants.

    Returns
    -------
    rdkit.Chem.rdFingerprintGenerator.FingerprintGenerator64

    Raises
    ------
    ValueError
        For an unknown kind, a negative radius or a non-positive ``n_bits``.
    """
    if kind not in FINGERPRINT_KINDS:
        raise ValueError(f"unknown fingerprint kind {kind!r}; choose one of: {', '.join(FINGERPRINT_KINDS)}")
    _check_args(radius, n_bits)
    return _generator(kind, int(radius) if kind == "morgan" else 0, int(n_bits), bool(chirality))


def fingerprint_matrix(
    mols: Iterable,
    kind: str = "morgan",
    *,
    radius: int = 2,
    n_bits: int = 2048,
    chirality: bool = False,
    counts: bool = False,
) -> np.ndarray:
    """Fingerprints of ready-made molecules, one row each.

    Parameters
    ----------
    mols : iterable of rdkit.Chem.Mol or None
        Used as given (no parsing or size checks); ``None`` gets a zero row.
    kind, radius, n_bits, chirality
        As for :func:`fingerprint_generator`.
    counts : bool
        ``True``: occurrence counts; ``False``: bits.

    Returns
    -------
    numpy.ndarray
        ``n x n_bits``; ``uint8`` bits or ``int32`` counts.

    Raises
    ------
    ValueError
        For bad settings, as :func:`fingerprint_generator`.
    """
    generator = fingerprint_generator(kind, radius=radius, n_bits=n_bits, chirality=chirality)
    compute = generator.GetCountFingerprintAsNumPy if counts else generator.GetFingerprintAsNumPy
    mols = list(mols)
    out = np.zeros((len(mols), int(n_bits)), dtype=COUNTS_DTYPE if counts else BITS_DTYPE)
    for i, mol in enumerate(mols):
        if mol is not None:
            out[i] = compute(mol)
    return out


def packed_fingerprints(
    mols: Iterable, kind: str = "morgan", *, radius: int = 2, n_bits: int = 2048, chirality: bool = False
) -> np.ndarray:
    """Bit fingerprints packed 8 to a byte: ``np.packbits(fingerprint_matrix(...), axis=1)``.

    Returns an ``n x ceil(n_bits / 8)`` uint8 array (zero rows for ``None``); arguments
    and errors as :func:`fingerprint_matrix`.
    """
    return np.packbits(fingerprint_matrix(mols, kind, radius=radius, n_bits=n_bits, chirality=chirality), axis=1)


def _check_args(radius, n_bits) -> None:
    if not isinstance(radius, (int, np.integer)) or isinstance(radius, bool) or radius < 0:
        raise ValueError(f"radius must be a non-negative integer, got {radius!r}")
    if not isinstance(n_bits, (int, np.integer)) or isinstance(n_bits, bool) or n_bits < 1:
        raise ValueError(f"n_bits must be a positive integer, got {n_bits!r}")


def _featurizer(radius: int, n_bits: int, counts: bool, chirality: bool):
    generator = fingerprint_generator("morgan", radius=radius, n_bits=n_bits, chirality=chirality)
    if counts:
        return lambda mol, _text: generator.GetCountFingerprintAsNumPy(mol)
    return lambda mol, _text: generator.GetFingerprintAsNumPy(mol)


@dataclass
class FingerprintBatch(AlignedStates):
    """Fingerprints of a batch, aligned with its input.

    Attributes
    ----------
    array : numpy.ndarray
        ``n x n_bits``; ``uint8`` bits or ``int32`` counts. Rows of failed inputs are
        all zero: use ``valid_mask`` (or ``states``) to tell them from real zeros.
    states, errors : list of str
        Each row's :class:`molgen.chem.MolState` value, and why it failed (``""`` if valid).
    """

    array: np.ndarray
    states: list[str]
    errors: list[str]


def morgan_fingerprints(
    mols_or_smiles: Iterable,
    radius: int = 2,
    n_bits: int = 2048,
    counts: bool = False,
    *,
    chirality: bool = False,
    standardizer=None,
    max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS,
    progress: bool = False,
) -> FingerprintBatch:
    """Morgan fingerprints of many molecules; never raises for a bad molecule.

    Parameters
    ----------
    mols_or_smiles : iterable of str, rdkit.Chem.Mol or None
        SMILES are parsed and sanitized; molecules are used as given. ``None``/NaN/blank
        entries are ``empty``.
    radius : int
        Morgan radius (2 is ECFP4-like).
    n_bits : int
        Fingerprint length (folded).
    counts : bool
        ``True``: occurrence counts (``int32``); ``False``: bits (``uint8``).
    chirality : bool
        Include chirality in the atom invariants.
    standardizer, max_heavy_atoms, progress
        As for :func:`molgen.featurize.graphs_from_smiles`: a :class:`molgen.chem.Standardizer`
        applied after parsing (``None``: featurize as parsed), the size above which a
        molecule gets state ``too_many_atoms``, and whether to show a tqdm progress bar.

    Returns
    -------
    FingerprintBatch
        ``array`` of shape ``n x n_bits`` (zero rows where ``states[i] != "valid"``).

    Raises
    ------
    ValueError
        For a negative radius or a non-positive ``n_bits`` (bad molecules never raise).

    Examples
    --------
    >>> fps = morgan_fingerprints(["CCO", "oops"], n_bits=1024)
    >>> fps.array.shape, fps.states
    ((2, 1024), ['valid', 'sanitization_error'])
    """
    _check_args(radius, n_bits)
    rows, states, errors = run_batch(
        mols_or_smiles,
        _featurizer(radius, n_bits, counts, chirality),
        standardizer=standardizer,
        max_heavy_atoms=max_heavy_atoms,
        progress=progress,
        desc="fingerprints",
    )
    array = np.zeros((len(rows), int(n_bits)), dtype=COUNTS_DTYPE if counts else BITS_DTYPE)
    for i, row in enumerate(rows):
        if row is not None:
            array[i] = row
    return FingerprintBatch(array, states, errors)


def morgan_fingerprint(
    mol_or_smiles,
    radius: int = 2,
    n_bits: int = 2048,
    counts: bool = False,
    *,
    chirality: bool = False,
    max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS,
) -> np.ndarray:
    """Morgan fingerprint of one molecule or SMILES.

    Returns
    -------
    numpy.ndarray
        Shape ``n_bits``; ``uint8`` bits or ``int32`` counts.

    Raises
    ------
    InvalidMoleculeError
        When the SMILES cannot be parsed (with its state) or the molecule is empty,
        too large or cannot be fingerprinted (``featurization_failed``).
    ValueError
        For a negative radius or a non-positive ``n_bits``.
    """
    _check_args(radius, n_bits)
    featurize = _featurizer(radius, n_bits, counts, chirality)
    with rdkit_quiet():
        if mol_or_smiles is None:
            raise InvalidMoleculeError("", MolState.EMPTY, "no molecule")
        if isinstance(mol_or_smiles, Chem.Mol):
            mol, text = check_given_mol(mol_or_smiles, max_heavy_atoms), ""
        else:
            mol, text = parse(mol_or_smiles, max_heavy_atoms), str(mol_or_smiles)
        try:
            row = featurize(mol, text)
        except Exception as err:
            raise InvalidMoleculeError(text, MolState.FEATURIZATION_FAILED, f"{type(err).__name__}: {err}") from None
    return row.astype(COUNTS_DTYPE if counts else BITS_DTYPE, copy=False)
