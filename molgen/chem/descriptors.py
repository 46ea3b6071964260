"""Drug-likeness descriptors: MW, cLogP, TPSA, HBD/HBA, rotatable bonds, QED, SA score."""

import functools
import importlib.util
import os
from collections.abc import Iterable

import numpy as np
import pandas as pd
from rdkit import Chem, RDConfig
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdMolDescriptors

from molgen.chem.parse import DEFAULT_MAX_HEAVY_ATOMS, parse_smiles_batch
from molgen.utils.quiet import rdkit_quiet

DESCRIPTOR_NAMES = ("mw", "clogp", "tpsa", "hbd", "hba", "rotatable_bonds", "heavy_atoms", "rings", "qed", "sa_score")


@functools.cache
def _sascorer():
    """RDKit Contrib's SA_Score module (Ertl & Schuffenhauer 2009), loaded from RDKit's install."""
    path = os.path.join(RDConfig.RDContribDir, "SA_Score", "sascorer.py")
    if not os.path.exists(path):
        raise FileNotFoundError(f"RDKit's Contrib SA_Score is missing (looked for {path})")
    spec = importlib.util.spec_from_file_location("molgen_sascorer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.readFragmentScores()
    return module


def sa_score(mol: Chem.Mol) -> float:
    """Synthetic accessibility score, 1 (easy) to 10 (hard)."""
    return float(_sascorer().calculateScore(mol))


def qed(mol: Chem.Mol) -> float:
    """Quantitative estimate of drug-likeness (Bickerton 2012), 0 to 1."""
    return float(QED.qed(mol))


def descriptors(mol: Chem.Mol) -> dict:
    """The standard drug-likeness descriptors of one molecule, keyed by ``DESCRIPTOR_NAMES``."""
    with rdkit_quiet():
        return {
            "mw": Descriptors.MolWt(mol),
            "clogp": Crippen.MolLogP(mol),
            "tpsa": rdMolDescriptors.CalcTPSA(mol),
            "hbd": Lipinski.NumHDonors(mol),
            "hba": Lipinski.NumHAcceptors(mol),
            "rotatable_bonds": rdMolDescriptors.CalcNumRotatableBonds(mol),
            "heavy_atoms": mol.GetNumHeavyAtoms(),
            "rings": rdMolDescriptors.CalcNumRings(mol),
            "qed": qed(mol),
            "sa_score": sa_score(mol),
        }


def descriptor_table(smiles: Iterable, *, max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS) -> pd.DataFrame:
    """Descriptors for a batch of SMILES, aligned with the input.

    Failed molecules get NaN descriptors and their ``state``/``error``.
    """
    parsed = parse_smiles_batch(smiles, max_heavy_atoms=max_heavy_atoms)
    empty = dict.fromkeys(DESCRIPTOR_NAMES, np.nan)
    rows = [descriptors(m) if m is not None else empty for m in parsed.mols]
    table = pd.DataFrame(rows, columns=list(DESCRIPTOR_NAMES))
    table["state"] = parsed.states
    table["error"] = parsed.errors
    return table
