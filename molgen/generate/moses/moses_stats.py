"""The MOSES reference sets and MOSES's own precomputed statistics of them.

The molsets wheel ships ``test_stats.npz`` and ``test_scaffolds_stats.npz``: the statistics
MOSES's ``get_all_metrics`` uses by default (computed by the MOSES authors with ``fcd_torch``,
the same ChemNet weights as the ``fcd`` package). Reading them saves hours of CPU time on the
176,074 + 176,225 reference molecules. They are NumPy archives of pickled dicts, so they are
read with ``allow_pickle=True`` from the installed molsets package only (the same trust as
importing that package's code), never from a user-given path.
"""

from __future__ import annotations

import functools
from collections import Counter

import numpy as np

from molgen.generate.moses.molecule import PROPERTY_NAMES, moses_data_path
from molgen.generate.moses.reference import ReferenceStats

#: Reference set name -> (molgen data set, statistics file in the molsets package).
MOSES_REFERENCES = {
    "test": ("moses_test", "dataset/data/test_stats.npz"),
    "test_scaffolds": ("moses_test_scaffolds", "dataset/data/test_scaffolds_stats.npz"),
}


def _check(name: str) -> tuple[str, str]:
    if name not in MOSES_REFERENCES:
        raise ValueError(f"unknown MOSES reference set {name!r}; choose from {sorted(MOSES_REFERENCES)}")
    return MOSES_REFERENCES[name]


@functools.lru_cache(maxsize=2)
def moses_reference_stats(name: str = "test") -> ReferenceStats:
    """MOSES's published statistics of its ``"test"`` or ``"test_scaffolds"`` set.

    Returns
    -------
    ReferenceStats
        ``key`` is ``"moses:<name>"``; fingerprints are packed to 128 bytes per molecule.

    Raises
    ------
    ValueError
        Unknown name.
    ModuleNotFoundError, FileNotFoundError
        molsets is not installed or lacks the file.
    """
    _, filename = _check(name)
    path = moses_data_path(filename)
    with np.load(path, allow_pickle=True) as data:  # trusted: installed package data, see module docstring
        stats = data["stats"].item()
    fps = np.asarray(stats["SNN"]["fps"], dtype=np.uint8)
    props = np.column_stack([np.asarray(stats[p]["values"], dtype=np.float64) for p in PROPERTY_NAMES])
    return ReferenceStats(
        key=f"moses:{name}",
        n_input=len(fps),
        n_valid=len(fps),
        fcd_mu=np.asarray(stats["FCD"]["mu"], dtype=np.float64),
        fcd_sigma=np.asarray(stats["FCD"]["sigma"], dtype=np.float64),
        fingerprints=np.packbits(fps, axis=1),
        fragments=Counter(stats["Frag"]["frag"]),
        scaffolds=Counter(stats["Scaf"]["scaf"]),
        properties=props,
    )


def moses_smiles(name: str, *, nrows: int | None = None) -> list[str]:
    """SMILES of a MOSES split: ``"train"``, ``"test"`` or ``"test_scaffolds"``."""
    from molgen.data.datasets import load_dataset

    dataset = {"train": "moses_train", **{k: v[0] for k, v in MOSES_REFERENCES.items()}}.get(name)
    if dataset is None:
        raise ValueError(f"unknown MOSES split {name!r}; choose from ['test', 'test_scaffolds', 'train']")
    return load_dataset(dataset, nrows=nrows).smiles.tolist()
