"""Featurization layer: RDKit molecules -> PyG graphs (D-MPNN edge layout) and fingerprints.

Graphs use Chemprop-v2-style atom and bond features (``ATOM_FDIM``, ``BOND_FDIM``; column
names from :func:`atom_feature_names` / :func:`bond_feature_names`). Batch functions keep
their output aligned with their input and record a per-row state instead of raising.
"""

from molgen.featurize.atoms import (
    ATOM_FDIM,
    BOND_FDIM,
    atom_feature_names,
    atom_features,
    bond_feature_names,
    bond_features,
)
from molgen.featurize.fingerprints import FingerprintBatch, morgan_fingerprint, morgan_fingerprints
from molgen.featurize.graph import GraphBatch, graphs_from_smiles, mol_to_graph, smiles_to_graph

__all__ = [
    "ATOM_FDIM",
    "BOND_FDIM",
    "FingerprintBatch",
    "GraphBatch",
    "atom_feature_names",
    "atom_features",
    "bond_feature_names",
    "bond_features",
    "graphs_from_smiles",
    "mol_to_graph",
    "morgan_fingerprint",
    "morgan_fingerprints",
    "smiles_to_graph",
]
