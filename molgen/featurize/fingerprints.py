"""Morgan (ECFP-like) fingerprints as numpy arrays, via RDKit's ``rdFingerprintGenerator``."""

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

#: dtype of bit fingerprints (0/1) and of count fingerprints.
BITS_DTYPE, COUNTS_DTYPE = np.uint8, np.int32


@functools.lru_cache(maxsize=16)
def _generator(radius: int, n_bits: int, chirality: bool):
    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits, includeChirality=chirality)


def _check_args(radius, n_bits) -> None:
    if not isinstance(radius, (int, np.integer)) or isinstance(radius, bool) or radius < 0:
        raise ValueError(f"radius must be a non-negative integer, got {radius!r}")
    if not isinstance(n_bits, (int, np.integer)) or isinstance(n_bits, bool) or n_bits < 1:
        raise ValueError(f"n_bits must be a positive integer, got {n_bits!r}")


def _featurizer(radius: int, n_bits: int, counts: bool, chirality: bool):
    generator = _generator(int(radius), int(n_bits), bool(chirality))
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
    states : list of str
        :class:`molgen.chem.MolState` values.
    errors : list of str
        Why a row failed; ``""`` for valid rows.
    """

    array: np.ndarray
    states: list[str]
    errors: list[str]

    def __len__(self) -> int:
        return len(self.states)


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
    standardizer : molgen.chem.Standardizer, optional
        Applied after parsing (``None``: featurize as parsed).
    max_heavy_atoms : int or None
        Larger molecules get state ``too_many_atoms``.
    progress : bool
        Show a tqdm progress bar.

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
    ((2, 1024), ['valid', 'invalid_smiles'])
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
