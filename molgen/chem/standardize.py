"""Standardization with RDKit's ``rdMolStandardize`` and molecule identity."""

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from rdkit import Chem
from rdkit.Chem.MolStandardize import rdMolStandardize

from molgen.chem.parse import DEFAULT_MAX_HEAVY_ATOMS, _as_text, _parse
from molgen.chem.states import InvalidMoleculeError, MolState
from molgen.utils.quiet import rdkit_quiet


@dataclass(frozen=True)
class Standardizer:
    """Standardize a molecule: cleanup, largest fragment, neutralize, optional tautomer.

    Parameters
    ----------
    cleanup : bool
        RDKit's cleanup: remove explicit Hs, disconnect metals, normalize functional
        groups (nitro, N-oxides, ...) and reionize.
    largest_fragment : bool
        Keep the largest organic fragment (strips salts and solvents).
    neutralize : bool
        Neutralize charges where a neutral form exists (``Uncharger``).
    canonical_tautomer : bool
        Replace the molecule by RDKit's canonical tautomer (slower; off by default).
    max_tautomers : int
        Limit on tautomers enumerated when ``canonical_tautomer`` is on.
    max_tautomer_transforms : int
        Limit on tautomer transforms tried (RDKit's ``SetMaxTransforms``).
    tautomer_timeout : float or None
        Seconds one molecule's tautomer search may take; a molecule that needs longer
        fails with ``standardization_failed`` instead of stalling the batch (``None``: no
        limit). With the default size limits the search takes well under a second.

    Calling it returns a new molecule or raises :class:`InvalidMoleculeError` with state
    ``standardization_failed``. Instances are picklable (RDKit helpers are rebuilt lazily).
    """

    cleanup: bool = True
    largest_fragment: bool = True
    neutralize: bool = True
    canonical_tautomer: bool = False
    max_tautomers: int = 200
    max_tautomer_transforms: int = 1000
    tautomer_timeout: float | None = 10.0
    _tools: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_tools"] = {}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def _tool(self, name: str):
        tools = self._tools
        if name not in tools:
            if name == "fragment":
                tools[name] = rdMolStandardize.LargestFragmentChooser(preferOrganic=True)
            elif name == "uncharger":
                tools[name] = rdMolStandardize.Uncharger(canonicalOrder=True)
            elif name == "tautomer":
                enumerator = rdMolStandardize.TautomerEnumerator()
                enumerator.SetMaxTautomers(self.max_tautomers)
                enumerator.SetMaxTransforms(self.max_tautomer_transforms)
                clock = _Deadline()
                enumerator.SetCallback(clock)
                tools[name] = (enumerator, clock)
        return tools[name]

    def __call__(self, mol: Chem.Mol) -> Chem.Mol:
        try:
            # The in-place forms on a copy: RDKit's copying Cleanup() and choose() leak the
            # copy (~10 KB) each time they raise, which a long screening job would feel.
            if self.cleanup or self.largest_fragment:
                mol = Chem.RWMol(mol)
            if self.cleanup:
                rdMolStandardize.CleanupInPlace(mol)
            if self.largest_fragment:
                self._tool("fragment").chooseInPlace(mol)
            if self.neutralize:
                mol = self._tool("uncharger").uncharge(mol)
            if self.canonical_tautomer:
                enumerator, clock = self._tool("tautomer")
                clock.start(self.tautomer_timeout)
                mol = enumerator.Canonicalize(mol)
                if clock.expired:
                    raise TimeoutError(f"tautomer search took longer than {self.tautomer_timeout:g} s; stopped")
            Chem.SanitizeMol(mol)
        except Exception as err:
            text = Chem.MolToSmiles(mol) if mol is not None else ""
            raise InvalidMoleculeError(text, MolState.STANDARDIZATION_FAILED, str(err).strip() or type(err).__name__) from None
        if mol is None or mol.GetNumAtoms() == 0:
            raise InvalidMoleculeError("", MolState.STANDARDIZATION_FAILED, "standardization left no atoms")
        return mol


class _Deadline(rdMolStandardize.TautomerEnumeratorCallback):
    """Tautomer-enumeration callback that cancels the search after a time limit."""

    def __init__(self):
        super().__init__()
        self.deadline = None
        self.expired = False

    def start(self, seconds: float | None) -> None:
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.expired = False

    def __call__(self, mol, result) -> bool:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.expired = True
            return False
        return True


def canonical_smiles(mol: Chem.Mol) -> str:
    """RDKit canonical isomeric SMILES."""
    return Chem.MolToSmiles(mol)


def inchikey(mol: Chem.Mol) -> str:
    """Standard InChIKey ('' when InChI cannot be generated for this molecule)."""
    with rdkit_quiet():
        try:
            return Chem.MolToInchiKey(mol) or ""
        except Exception:
            return ""


def clean_smiles(
    smiles: Iterable,
    *,
    standardizer: Standardizer | None = Standardizer(),
    max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS,
    with_inchikey: bool = True,
) -> pd.DataFrame:
    """Parse, standardize and identify a batch of SMILES.

    Parameters
    ----------
    smiles : iterable of str
        Inputs; ``None``/NaN/empty strings are recorded as ``empty``.
    standardizer : Standardizer or None
        ``None`` keeps the parsed molecule as it is.
    max_heavy_atoms : int or None
        Size limit, checked on the parsed input.
    with_inchikey : bool
        Compute InChIKeys (about a third of the cost; needed for duplicates).

    Returns
    -------
    pandas.DataFrame
        One row per input, in input order, with columns ``input``, ``smiles``
        (canonical, standardized; '' when failed), ``inchikey``, ``state`` and ``error``.
        Never raises for a bad molecule.
    """
    rows = []
    with rdkit_quiet():
        for smi in smiles:
            text = _as_text(smi)
            try:
                mol = _parse(smi, max_heavy_atoms)
                if standardizer is not None:
                    mol = standardizer(mol)
                key = inchikey(mol) if with_inchikey else ""
                rows.append((text, Chem.MolToSmiles(mol), key, MolState.VALID.value, ""))
            except InvalidMoleculeError as err:
                rows.append((text, "", "", err.state.value, err.reason))
    return pd.DataFrame(rows, columns=["input", "smiles", "inchikey", "state", "error"])


def standardize_smiles(smiles: str, *, standardizer: Standardizer = Standardizer(), max_heavy_atoms=DEFAULT_MAX_HEAVY_ATOMS) -> str:
    """Standardize one SMILES and return its canonical SMILES; raises InvalidMoleculeError."""
    with rdkit_quiet():
        return Chem.MolToSmiles(standardizer(_parse(smiles, max_heavy_atoms)))
