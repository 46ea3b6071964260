"""MOSES distribution-learning metrics for generated molecules, offline.

Validity, unique@k, novelty, internal diversity (IntDiv1/2), FCD (ChemNet weights from the
``fcd`` package), SNN, fragment and scaffold similarity against test and scaffold-test sets,
the MOSES filters, and Wasserstein distances of logP, SA, QED and molecular weight, with
plots of those distributions. Definitions follow the MOSES reference code (molsets 0.3.1);
:func:`evaluate_samples` is the one-call entry point.
"""

from molgen.generate.moses.chemnet import chemnet_activations, fcd_statistics, frechet_distance, load_chemnet
from molgen.generate.moses.evaluate import (
    UNIQUE_K,
    cos_similarity,
    evaluate_samples,
    fraction_unique,
    fraction_valid,
    novelty,
    wasserstein,
)
from molgen.generate.moses.molecule import (
    PROPERTY_NAMES,
    MoleculeRecord,
    canonical_smiles,
    describe,
    fragments,
    morgan_bits,
    passes_filters,
    properties,
    scaffold,
)
from molgen.generate.moses.moses_stats import MOSES_REFERENCES, moses_reference_stats, moses_smiles
from molgen.generate.moses.plots import plot_property_distributions
from molgen.generate.moses.reference import (
    ReferenceStats,
    StaleCacheError,
    default_cache_dir,
    reference_stats,
    smiles_hash,
)
from molgen.generate.moses.similarity import (
    average_agg_tanimoto,
    internal_diversities,
    internal_diversity,
    snn,
    unpack_fingerprints,
)

__all__ = [
    "MOSES_REFERENCES",
    "PROPERTY_NAMES",
    "UNIQUE_K",
    "MoleculeRecord",
    "ReferenceStats",
    "StaleCacheError",
    "average_agg_tanimoto",
    "canonical_smiles",
    "chemnet_activations",
    "cos_similarity",
    "default_cache_dir",
    "describe",
    "evaluate_samples",
    "fcd_statistics",
    "fraction_unique",
    "fraction_valid",
    "fragments",
    "frechet_distance",
    "internal_diversities",
    "internal_diversity",
    "load_chemnet",
    "morgan_bits",
    "moses_reference_stats",
    "moses_smiles",
    "novelty",
    "passes_filters",
    "plot_property_distributions",
    "properties",
    "reference_stats",
    "scaffold",
    "smiles_hash",
    "snn",
    "unpack_fingerprints",
    "wasserstein",
]
