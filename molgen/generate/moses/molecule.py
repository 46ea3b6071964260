"""Per-molecule MOSES quantities: canonical SMILES, fingerprint, BRICS fragments, scaffold,
properties and the MOSES filters, computed in one pass per molecule.

Every definition follows the MOSES reference code (``moses/metrics/utils.py``, molsets 0.3.1):

* a SMILES is valid when it is a non-empty string that ``Chem.MolFromSmiles`` parses (with
  sanitization); its canonical form is ``Chem.MolToSmiles(mol)`` (isomeric, RDKit default);
* fingerprint: Morgan, radius 2, 1,024 bits (``GetMorganFingerprintAsBitVect(mol, 2, 1024)``,
  here through the equivalent ``rdFingerprintGenerator``);
* fragments: ``Chem.MolToSmiles(FragmentOnBRICSBonds(mol)).split(".")``;
* scaffold: the Bemis-Murcko scaffold (``MurckoScaffold.GetScaffoldForMol``, through
  :func:`molgen.chem.murcko_scaffold`) as canonical SMILES, kept only when it is non-empty
  and has at least two rings;
* properties: Crippen logP, SA score (Ertl & Schuffenhauer), QED, average molecular weight;
* filters: no ring of eight or more atoms, no formal charge, only C N S O F Cl Br H, no match
  of MOSES's MCF or PAINS SMARTS (read from the installed molsets package), and a SMILES that
  round-trips.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors

from molgen.chem import sa_score
from molgen.chem.scaffolds import murcko_scaffold
from molgen.featurize.fingerprints import fingerprint_generator
from molgen.utils.quiet import rdkit_quiet

#: Morgan fingerprint settings of MOSES's SNN and IntDiv.
FP_RADIUS = 2
FP_BITS = 1024
#: Names of the property distributions compared by Wasserstein distance (MOSES order).
PROPERTY_NAMES = ("logP", "SA", "QED", "weight")
#: Atoms allowed by the MOSES filters.
ALLOWED_ATOMS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})
_MOSES_HINT = "pip install --no-deps molsets==0.3.1"


@dataclass(frozen=True)
class MoleculeRecord:
    """MOSES quantities of one valid molecule (see the module docstring for definitions).

    Attributes
    ----------
    smiles : str
        Canonical SMILES.
    fingerprint : bytes
        ``np.packbits`` of the 1,024 Morgan bits (128 bytes).
    fragments : tuple of str
        BRICS fragments, with repeats.
    scaffold : str or None
        Bemis-Murcko scaffold with at least two rings, else ``None``.
    properties : tuple of float
        logP, SA, QED and molecular weight, in :data:`PROPERTY_NAMES` order.
    passes_filters : bool or None
        Whether the molecule passes the MOSES filters (``None``: not computed, as for
        reference sets).
    """

    smiles: str
    fingerprint: bytes
    fragments: tuple[str, ...]
    scaffold: str | None
    properties: tuple[float, float, float, float]
    passes_filters: bool | None


def get_mol(smiles) -> Chem.Mol | None:
    """MOSES's ``get_mol``: a sanitized molecule, or ``None`` for anything that is not a
    non-empty SMILES string RDKit can read. Never raises, never logs."""
    if not isinstance(smiles, str) or len(smiles) == 0:
        return None
    with rdkit_quiet():
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            return None
        try:
            Chem.SanitizeMol(mol)
        except Exception:  # RDKit raises several types; any failure means invalid
            return None
    return mol


def canonical_smiles(smiles) -> str | None:
    """Canonical SMILES (``Chem.MolToSmiles``) of a valid SMILES, ``None`` when invalid."""
    mol = get_mol(smiles)
    return None if mol is None else Chem.MolToSmiles(mol)


def morgan_bits(mol: Chem.Mol) -> np.ndarray:
    """The MOSES fingerprint of ``mol``: Morgan r=2, 1,024 bits, as a uint8 0/1 array."""
    return fingerprint_generator(radius=FP_RADIUS, n_bits=FP_BITS).GetFingerprintAsNumPy(mol).astype(np.uint8)


def fragments(mol: Chem.Mol) -> list[str]:
    """BRICS fragments of ``mol`` as SMILES, with repeats (MOSES ``fragmenter``)."""
    return Chem.MolToSmiles(Chem.FragmentOnBRICSBonds(mol)).split(".")


def scaffold(mol: Chem.Mol, min_rings: int = 2) -> str | None:
    """Bemis-Murcko scaffold SMILES with at least ``min_rings`` rings, else ``None``."""
    try:
        text = murcko_scaffold(mol, chirality=True, min_rings=min_rings)
    except (ValueError, RuntimeError):
        return None
    return text or None  # "" (acyclic) is no scaffold


def moses_data_path(filename: str) -> Path:
    """A data file of the installed molsets package (located without importing it).

    Raises
    ------
    ModuleNotFoundError
        molsets is not installed.
    FileNotFoundError
        The file is missing from the install.
    """
    spec = importlib.util.find_spec("moses")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the MOSES filters and data sets come from the molsets package: {_MOSES_HINT}")
    path = Path(list(spec.submodule_search_locations)[0]) / filename
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the molsets install; reinstall with {_MOSES_HINT}")
    return path


@functools.lru_cache(maxsize=1)
def filter_patterns() -> tuple[Chem.Mol, ...]:
    """MOSES's MCF (``metrics/mcf.csv``) and PAINS (``metrics/wehi_pains.csv``) SMARTS."""
    import pandas as pd

    mcf = pd.read_csv(moses_data_path("metrics/mcf.csv"))
    pains = pd.read_csv(moses_data_path("metrics/wehi_pains.csv"), names=["smarts", "names"])
    smarts = list(mcf["smarts"]) + list(pains["smarts"])
    with rdkit_quiet():
        patterns = tuple(Chem.MolFromSmarts(s.strip()) for s in smarts)
    bad = [s for s, p in zip(smarts, patterns) if p is None]
    if bad:
        raise ValueError(f"{len(bad)} MOSES filter SMARTS do not parse, first: {bad[0]!r}")
    return patterns


def passes_filters(mol: Chem.Mol) -> bool:
    """MOSES ``mol_passes_filters`` (see the module docstring)."""
    ring_info = mol.GetRingInfo()
    if ring_info.NumRings() != 0 and any(len(ring) >= 8 for ring in ring_info.AtomRings()):
        return False
    if any(atom.GetFormalCharge() != 0 for atom in mol.GetAtoms()):
        return False
    if any(atom.GetSymbol() not in ALLOWED_ATOMS for atom in mol.GetAtoms()):
        return False
    h_mol = Chem.AddHs(mol)
    if any(h_mol.HasSubstructMatch(p) for p in filter_patterns()):
        return False
    text = Chem.MolToSmiles(mol, isomericSmiles=False)
    if not text:
        return False
    with rdkit_quiet():
        return Chem.MolFromSmiles(text) is not None


def properties(mol: Chem.Mol) -> tuple[float, float, float, float]:
    """logP, SA, QED and molecular weight of ``mol`` (:data:`PROPERTY_NAMES` order)."""
    return (
        float(Crippen.MolLogP(mol)),
        float(sa_score(mol)),
        float(QED.qed(mol)),
        float(Descriptors.MolWt(mol)),
    )


def describe(smiles) -> MoleculeRecord | None:
    """All MOSES quantities of one SMILES, or ``None`` when it is invalid.

    The canonical SMILES is re-parsed, as MOSES does (it scores ``get_mol`` of the canonical
    string), so the result depends only on the molecule, not on how it was written.
    """
    canonical = canonical_smiles(smiles)
    if canonical is None:
        return None
    mol = get_mol(canonical)
    if mol is None:  # canonical SMILES that RDKit cannot read back: count as invalid
        return None
    with rdkit_quiet():
        return MoleculeRecord(
            smiles=canonical,
            fingerprint=np.packbits(morgan_bits(mol)).tobytes(),
            fragments=tuple(fragments(mol)),
            scaffold=scaffold(mol),
            properties=properties(mol),
            passes_filters=passes_filters(mol),
        )


def describe_reference(smiles) -> MoleculeRecord | None:
    """Like :func:`describe` but on the molecule as given, without the canonical round trip.

    MOSES computes reference-set statistics (``compute_intermediate_statistics``) from
    ``get_mol`` of the reference SMILES as written; the canonical SMILES is still returned
    (for FCD, which canonicalizes its input).
    """
    mol = get_mol(smiles)
    if mol is None:
        return None
    with rdkit_quiet():
        return MoleculeRecord(
            smiles=Chem.MolToSmiles(mol),
            fingerprint=np.packbits(morgan_bits(mol)).tobytes(),
            fragments=tuple(fragments(mol)),
            scaffold=scaffold(mol),
            properties=properties(mol),
            passes_filters=None,  # the filters are a property of generated sets only
        )
