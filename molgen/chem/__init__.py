"""Chemistry layer: parsing, standardization, identity, descriptors, filters, per-row states."""

from molgen.chem.descriptors import DESCRIPTOR_NAMES, descriptor_table, descriptors, qed, sa_score
from molgen.chem.filters import (
    REINVENT_ALERTS,
    filter_table,
    largest_ring_size,
    lipinski_violations,
    passes_lipinski,
    passes_veber,
    structural_alerts,
)
from molgen.chem.parse import (
    ATOMS_PER_HEAVY_ATOM,
    DEFAULT_MAX_HEAVY_ATOMS,
    MAX_SDF_RECORD_ATOMS,
    MAX_SDF_RECORD_CHARS,
    SMILES_CHARS_PER_ATOM,
    ParseResult,
    SDFRecord,
    iter_sdf,
    parse_smiles,
    parse_smiles_batch,
)
from molgen.chem.scaffolds import murcko_scaffold, scaffold_mol
from molgen.chem.standardize import (
    Standardizer,
    canonical_smiles,
    clean_smiles,
    inchikey,
    standardize_smiles,
)
from molgen.chem.states import INVALID_STATES, InvalidMoleculeError, MolState

__all__ = [
    "ATOMS_PER_HEAVY_ATOM",
    "DEFAULT_MAX_HEAVY_ATOMS",
    "DESCRIPTOR_NAMES",
    "INVALID_STATES",
    "InvalidMoleculeError",
    "MAX_SDF_RECORD_ATOMS",
    "MAX_SDF_RECORD_CHARS",
    "MolState",
    "ParseResult",
    "SDFRecord",
    "SMILES_CHARS_PER_ATOM",
    "Standardizer",
    "canonical_smiles",
    "clean_smiles",
    "descriptor_table",
    "descriptors",
    "filter_table",
    "inchikey",
    "iter_sdf",
    "lipinski_violations",
    "murcko_scaffold",
    "parse_smiles",
    "parse_smiles_batch",
    "passes_lipinski",
    "passes_veber",
    "qed",
    "sa_score",
    "scaffold_mol",
    "standardize_smiles",
    "structural_alerts",
    "largest_ring_size",
    "REINVENT_ALERTS",
]
