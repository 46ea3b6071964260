"""Bemis-Murcko scaffolds: the one place molgen calls RDKit's ``MurckoScaffold``.

Callers pick the definition they need: scaffold splits ignore chirality (DeepChem's
``ScaffoldSplitter``, Chemprop), MOSES keeps stereo and asks for at least two rings, and
the diversity filter can bucket by generic scaffolds.
"""

from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold

from molgen.utils.quiet import rdkit_quiet

__all__ = ["murcko_scaffold", "scaffold_mol"]


def scaffold_mol(mol: Chem.Mol, *, generic: bool = False) -> Chem.Mol:
    """The Bemis-Murcko scaffold of ``mol`` (``GetScaffoldForMol``) as a molecule.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        A sanitized molecule.
    generic : bool
        Make every atom carbon and every bond single (``MakeScaffoldGeneric``), then take
        the scaffold of that again.

    Returns
    -------
    rdkit.Chem.Mol
        Without atoms for an acyclic molecule.

    Raises
    ------
    ValueError, RuntimeError
        As RDKit raises them (e.g. ``generic`` on an atom whose valence carbon cannot hold).
    """
    core = MurckoScaffold.GetScaffoldForMol(mol)
    if generic and core.GetNumAtoms():
        return scaffold_mol(MurckoScaffold.MakeScaffoldGeneric(core))
    return core


def murcko_scaffold(mol: Chem.Mol, *, chirality: bool = False, generic: bool = False, min_rings: int = 0) -> str | None:
    """Bemis-Murcko scaffold SMILES of ``mol``.

    The defaults give the scaffolds of DeepChem's ``ScaffoldSplitter`` and Chemprop
    (``MurckoScaffoldSmiles(mol=mol, includeChirality=False)``).

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        A sanitized molecule.
    chirality : bool
        Write stereo and isotopes (``isomericSmiles``); ``False`` drops them.
    generic : bool
        The generic scaffold (see :func:`scaffold_mol`).
    min_rings : int
        Scaffolds with fewer rings give ``None``.

    Returns
    -------
    str or None
        Canonical SMILES; ``""`` for an acyclic molecule (with ``min_rings=0``).

    Raises
    ------
    ValueError, RuntimeError
        As :func:`scaffold_mol`.

    Examples
    --------
    >>> murcko_scaffold(Chem.MolFromSmiles("C[C@H](N)c1ccc(C2CC2)cc1"))
    'c1ccc(C2CC2)cc1'
    >>> murcko_scaffold(Chem.MolFromSmiles("CCO")), murcko_scaffold(Chem.MolFromSmiles("CCO"), min_rings=1)
    ('', None)
    """
    with rdkit_quiet():
        core = scaffold_mol(mol, generic=generic)
        if core.GetRingInfo().NumRings() < min_rings:
            return None
        return Chem.MolToSmiles(core, isomericSmiles=chirality)
