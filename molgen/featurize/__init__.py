"""Featurization layer: RDKit molecules -> PyG graphs (D-MPNN edge layout) and fingerprints.

Graphs use Chemprop-v2-style atom and bond features (``ATOM_FDIM``, ``BOND_FDIM``; column
names from :func:`atom_feature_names` / :func:`bond_feature_names`). Batch functions keep
their output aligned with their input and record a per-row state instead of raising.
The graph names load torch and PyG on first use, so fingerprints alone stay light.
"""

import importlib

from molgen.featurize.atoms import (
    ATOM_FDIM,
    BOND_FDIM,
    atom_feature_names,
    atom_features,
    bond_feature_names,
    bond_features,
)
from molgen.featurize.fingerprints import (
    FingerprintBatch,
    fingerprint_generator,
    fingerprint_matrix,
    morgan_fingerprint,
    morgan_fingerprints,
    packed_fingerprints,
)

_GRAPH_NAMES = ("GraphBatch", "graphs_from_smiles", "mol_to_graph", "smiles_to_graph")

__all__ = [
    "ATOM_FDIM",
    "BOND_FDIM",
    "FingerprintBatch",
    "GraphBatch",
    "atom_feature_names",
    "atom_features",
    "bond_feature_names",
    "bond_features",
    "fingerprint_generator",
    "fingerprint_matrix",
    "graphs_from_smiles",
    "mol_to_graph",
    "morgan_fingerprint",
    "morgan_fingerprints",
    "packed_fingerprints",
    "smiles_to_graph",
]


def __getattr__(name):
    if name in _GRAPH_NAMES:
        return getattr(importlib.import_module("molgen.featurize.graph"), name)
    raise AttributeError(f"module 'molgen.featurize' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
