"""Data layer: file readers, molecule tables with per-row states, splits, built-in data sets.

DeepChem is imported only by the functions of :mod:`molgen.data.deepchem` that need it.
"""

from molgen.data.datasets import Dataset, data_dir, dataset_path, list_datasets, load_dataset
from molgen.data.deepchem import from_numpy_dataset, smiles_to_numpy_dataset, to_numpy_dataset
from molgen.data.readers import DataFileError, detect_format, open_text, read_table
from molgen.data.splits import SPLITTERS, Split, butina_clusters, kfold, murcko_scaffold, split
from molgen.data.summary import format_summary, summarize
from molgen.data.table import DUPLICATE_POLICIES, ColumnError, MoleculeTable, read_molecule_table

__all__ = [
    "DUPLICATE_POLICIES",
    "SPLITTERS",
    "ColumnError",
    "DataFileError",
    "Dataset",
    "MoleculeTable",
    "Split",
    "butina_clusters",
    "data_dir",
    "dataset_path",
    "detect_format",
    "format_summary",
    "from_numpy_dataset",
    "kfold",
    "list_datasets",
    "load_dataset",
    "murcko_scaffold",
    "open_text",
    "read_molecule_table",
    "read_table",
    "smiles_to_numpy_dataset",
    "split",
    "summarize",
    "to_numpy_dataset",
]
