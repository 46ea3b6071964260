"""Atom and bond feature definitions (a superset of Chemprop v2's defaults).

Every categorical feature is one-hot over a fixed list of choices plus a final
"other" slot, so an unexpected value never raises and never collides with a known one.

Atom features (``ATOM_FDIM`` = 73), in this order:

==============  =======================================================  =====
block           choices (+ "other")                                      width
==============  =======================================================  =====
element         H..Kr (Z = 1-36) and I (Z = 53)                          38
total degree    0-5 (heavy neighbours + hydrogens)                       7
formal charge   -2, -1, 0, +1, +2                                        6
chiral tag      unspecified, tetrahedral CW, tetrahedral CCW, other      5
total H count   0-4                                                      6
hybridization   S, SP, SP2, SP2D, SP3, SP3D, SP3D2                       8
aromatic        0/1                                                      1
in ring         0/1                                                      1
mass            atomic mass / 100 (isotope-aware)                        1
==============  =======================================================  =====

Bond features (``BOND_FDIM`` = 14): bond type (single, double, triple, aromatic, +other;
5), conjugated (1), in ring (1), stereo (none, any, Z, E, cis, trans, +other; 7).

The functions here featurize one atom or bond at a time and are the reference
definition; :mod:`molgen.featurize.graph` computes the same rows in bulk, faster.
"""

import numpy as np
from rdkit import Chem
from rdkit.Chem.rdchem import BondStereo, BondType, ChiralType, HybridizationType

#: Atomic numbers with their own one-hot slot (Chemprop v2: 1-36 and iodine).
ELEMENTS = (*range(1, 37), 53)
#: Total degree values with their own slot.
DEGREES = (0, 1, 2, 3, 4, 5)
#: Formal charges with their own slot.
FORMAL_CHARGES = (-2, -1, 0, 1, 2)
#: Chiral tags with their own slot.
CHIRAL_TAGS = (
    ChiralType.CHI_UNSPECIFIED,
    ChiralType.CHI_TETRAHEDRAL_CW,
    ChiralType.CHI_TETRAHEDRAL_CCW,
    ChiralType.CHI_OTHER,
)
#: Total hydrogen counts with their own slot.
H_COUNTS = (0, 1, 2, 3, 4)
#: Hybridizations with their own slot (unspecified and OTHER fall in "other").
HYBRIDIZATIONS = (
    HybridizationType.S,
    HybridizationType.SP,
    HybridizationType.SP2,
    HybridizationType.SP2D,
    HybridizationType.SP3,
    HybridizationType.SP3D,
    HybridizationType.SP3D2,
)
#: Bond types with their own slot.
BOND_TYPES = (BondType.SINGLE, BondType.DOUBLE, BondType.TRIPLE, BondType.AROMATIC)
#: Bond stereo values with their own slot (atropisomer stereo falls in "other").
BOND_STEREOS = (
    BondStereo.STEREONONE,
    BondStereo.STEREOANY,
    BondStereo.STEREOZ,
    BondStereo.STEREOE,
    BondStereo.STEREOCIS,
    BondStereo.STEREOTRANS,
)

#: Multiplier applied to the atomic mass (Chemprop's scaling).
MASS_SCALE = 0.01

_ATOM_BLOCKS = (
    ("element", ELEMENTS),
    ("degree", DEGREES),
    ("formal_charge", FORMAL_CHARGES),
    ("chiral_tag", CHIRAL_TAGS),
    ("num_hs", H_COUNTS),
    ("hybridization", HYBRIDIZATIONS),
)
_BOND_TYPE_WIDTH = len(BOND_TYPES) + 1


def _offsets(blocks) -> tuple[dict, ...]:
    """One ``{value: column}`` dict per block; the "other" column follows the block."""
    lookups, start = [], 0
    for _, choices in blocks:
        lookups.append({value: start + i for i, value in enumerate(choices)} | {None: start + len(choices)})
        start += len(choices) + 1
    return tuple(lookups)


_ATOM_LOOKUPS = _offsets(_ATOM_BLOCKS)
_AROMATIC_COL = sum(len(c) + 1 for _, c in _ATOM_BLOCKS)
_RING_COL = _AROMATIC_COL + 1
_MASS_COL = _AROMATIC_COL + 2
_STEREO_LOOKUP = {value: _BOND_TYPE_WIDTH + 2 + i for i, value in enumerate(BOND_STEREOS)} | {
    None: _BOND_TYPE_WIDTH + 2 + len(BOND_STEREOS)
}

#: Length of an atom feature vector.
ATOM_FDIM = _MASS_COL + 1
#: Length of a bond feature vector.
BOND_FDIM = _BOND_TYPE_WIDTH + 2 + len(BOND_STEREOS) + 1

_PERIODIC_TABLE = Chem.GetPeriodicTable()


def _name(value) -> str:
    return value.name if hasattr(value, "name") else str(value)


def atom_feature_names() -> tuple[str, ...]:
    """Names of the ``ATOM_FDIM`` atom feature columns, e.g. ``"element=C"``, ``"degree=other"``."""
    names = []
    for block, choices in _ATOM_BLOCKS:
        if block == "element":
            labels = [_PERIODIC_TABLE.GetElementSymbol(z) for z in choices]
        else:
            labels = [_name(c) for c in choices]
        names += [f"{block}={label}" for label in (*labels, "other")]
    return (*names, "aromatic", "in_ring", "mass/100")


def bond_feature_names() -> tuple[str, ...]:
    """Names of the ``BOND_FDIM`` bond feature columns, e.g. ``"bond_type=AROMATIC"``."""
    types = [f"bond_type={t.name}" for t in BOND_TYPES] + ["bond_type=other"]
    stereos = [f"stereo={s.name}" for s in BOND_STEREOS] + ["stereo=other"]
    return (*types, "conjugated", "in_ring", *stereos)


def atom_row(atomic_num, formal_charge, chiral_tag, num_hs, hybridization, aromatic, mass, degree, in_ring) -> np.ndarray:
    """The feature vector for one atom given its raw RDKit values.

    Parameters
    ----------
    atomic_num, formal_charge, chiral_tag, num_hs, hybridization : int or RDKit enum
        ``Atom.GetAtomicNum()``, ``GetFormalCharge()``, ``GetChiralTag()``,
        ``GetTotalNumHs()``, ``GetHybridization()``.
    aromatic : bool
    mass : float
        Atomic mass in daltons (``Atom.GetMass()``).
    degree : int
        Total degree: heavy-atom (graph) neighbours plus hydrogens.
    in_ring : bool

    Returns
    -------
    numpy.ndarray
        Shape ``ATOM_FDIM``, float32. Values outside the known choices set the block's
        "other" slot; nothing raises.
    """
    row = np.zeros(ATOM_FDIM, dtype=np.float32)
    values = (atomic_num, degree, formal_charge, chiral_tag, num_hs, hybridization)
    for lookup, value in zip(_ATOM_LOOKUPS, values):
        row[lookup.get(value, lookup[None])] = 1.0
    row[_AROMATIC_COL] = float(aromatic)
    row[_RING_COL] = float(in_ring)
    row[_MASS_COL] = MASS_SCALE * mass
    return row


def bond_row(bond_type, conjugated, in_ring, stereo) -> np.ndarray:
    """The feature vector for one bond given its raw RDKit values.

    Parameters
    ----------
    bond_type : rdkit.Chem.BondType
    conjugated, in_ring : bool
    stereo : rdkit.Chem.BondStereo

    Returns
    -------
    numpy.ndarray
        Shape ``BOND_FDIM``, float32; unknown types and stereo set the "other" slot.
    """
    row = np.zeros(BOND_FDIM, dtype=np.float32)
    row[BOND_TYPES.index(bond_type) if bond_type in BOND_TYPES else len(BOND_TYPES)] = 1.0
    row[_BOND_TYPE_WIDTH] = float(conjugated)
    row[_BOND_TYPE_WIDTH + 1] = float(in_ring)
    row[_STEREO_LOOKUP.get(stereo, _STEREO_LOOKUP[None])] = 1.0
    return row


def atom_features(atom: Chem.Atom) -> np.ndarray:
    """Feature vector of one atom of a sanitized molecule (reference implementation).

    Returns
    -------
    numpy.ndarray
        Shape ``ATOM_FDIM``, float32.

    Raises
    ------
    RuntimeError
        From RDKit, when the molecule was not sanitized (implicit valence unknown).
    """
    return atom_row(
        atom.GetAtomicNum(),
        atom.GetFormalCharge(),
        atom.GetChiralTag(),
        atom.GetTotalNumHs(),
        atom.GetHybridization(),
        atom.GetIsAromatic(),
        atom.GetMass(),
        atom.GetTotalDegree(),
        atom.IsInRing(),
    )


def bond_features(bond: Chem.Bond) -> np.ndarray:
    """Feature vector of one bond (reference implementation); shape ``BOND_FDIM``, float32."""
    return bond_row(bond.GetBondType(), bond.GetIsConjugated(), bond.IsInRing(), bond.GetStereo())
