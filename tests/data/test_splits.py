"""Splits: partitions, no leakage of scaffolds, clusters or molecules, seeds, k-fold."""

import subprocess
import sys

import numpy as np
import pytest
from rdkit import Chem

from molgen.chem import InvalidMoleculeError, inchikey, parse_smiles
from molgen.data.datasets import load_dataset
from molgen.data.splits import (
    SPLITTERS,
    butina_clusters,
    group_kfold,
    group_split,
    kfold,
    murcko_scaffold,
    scaffold_groups,
    split,
)
from molgen.utils import quiet_import

METHODS = ["random", "scaffold", "scaffold_balanced", "cluster"]
GROUP_METHODS = ["scaffold", "scaffold_balanced", "cluster"]


@pytest.fixture(scope="module")
def chembl_smiles():
    return load_dataset("chembl2321810").smiles.tolist()


@pytest.fixture(scope="module")
def mixed_smiles():
    """Diverse molecules plus re-written duplicates (same InChIKey, different SMILES)."""
    base = load_dataset("solubility", nrows=300).smiles.tolist()
    rng = np.random.default_rng(0)
    extra = []
    for i in rng.choice(len(base), 40, replace=False):
        mol = Chem.MolFromSmiles(base[i])
        extra.append(Chem.MolToSmiles(mol, doRandom=True, canonical=False))
    return base + extra


def _assert_partition(parts, n):
    joined = np.concatenate(parts)
    assert joined.dtype == np.int64
    assert len(joined) == n
    assert np.array_equal(np.sort(joined), np.arange(n))


def _labels_in_parts(labels, parts):
    return [set(np.asarray(labels, dtype=object)[p]) for p in parts]


def _assert_disjoint(sets):
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            assert not sets[i] & sets[j]


def test_registry_names():
    assert SPLITTERS.names() == sorted(METHODS)


@pytest.mark.parametrize("method", METHODS)
def test_split_is_partition(chembl_smiles, method):
    parts = split(chembl_smiles, method=method, seed=3)
    _assert_partition(parts, len(chembl_smiles))
    assert all(np.all(np.diff(p) > 0) for p in parts)
    assert 0.7 < len(parts.train) / len(chembl_smiles) < 0.9


@pytest.mark.parametrize("method", METHODS)
def test_split_is_deterministic(chembl_smiles, method):
    first, second = split(chembl_smiles, method=method, seed=7), split(chembl_smiles, method=method, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))


@pytest.mark.parametrize("method", ["random", "scaffold_balanced", "cluster"])
def test_different_seeds_differ(mixed_smiles, method):
    first, second = split(mixed_smiles, method=method, seed=0), split(mixed_smiles, method=method, seed=1)
    assert not np.array_equal(first.test, second.test)


def test_deepchem_scaffold_ignores_seed(chembl_smiles):
    first, second = split(chembl_smiles, method="scaffold", seed=0), split(chembl_smiles, method="scaffold", seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))


@pytest.mark.parametrize("method", ["scaffold", "scaffold_balanced"])
def test_no_scaffold_shared_between_parts(mixed_smiles, method):
    parts = split(mixed_smiles, method=method, seed=0)
    scaffolds = [murcko_scaffold(parse_smiles(s)) for s in mixed_smiles]
    _assert_disjoint(_labels_in_parts(scaffolds, parts))


def test_no_cluster_shared_between_parts(mixed_smiles):
    parts = split(mixed_smiles, method="cluster", seed=0)
    _assert_disjoint(_labels_in_parts(butina_clusters(mixed_smiles), parts))


@pytest.mark.parametrize("method", GROUP_METHODS)
def test_no_molecule_shared_between_parts(mixed_smiles, method):
    keys = [inchikey(parse_smiles(s)) for s in mixed_smiles]
    assert len(set(keys)) < len(keys)  # the fixture holds duplicates
    for seed in (0, 1):
        parts = split(mixed_smiles, method=method, seed=seed)
        _assert_disjoint(_labels_in_parts(keys, parts))


@pytest.mark.parametrize("method", METHODS)
def test_kfold_partitions_and_keeps_groups(mixed_smiles, method):
    folds = kfold(mixed_smiles, k=4, method=method, seed=2)
    assert len(folds) == 4
    n = len(mixed_smiles)
    _assert_partition([test for _, test in folds], n)
    for train, test in folds:
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(n))
    sizes = [len(test) for _, test in folds]
    if method == "random":
        assert max(sizes) - min(sizes) <= 1
    else:  # whole groups make folds uneven, but none may be starved
        assert min(sizes) >= n // 8, sizes
    if method in GROUP_METHODS:
        labels = scaffold_groups(mixed_smiles) if method != "cluster" else butina_clusters(mixed_smiles)
        _assert_disjoint(_labels_in_parts(labels, [test for _, test in folds]))


@pytest.mark.parametrize("method", METHODS)
def test_kfold_is_deterministic(chembl_smiles, method):
    first, second = kfold(chembl_smiles, k=3, method=method, seed=5), kfold(chembl_smiles, k=3, method=method, seed=5)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, second))


def test_scaffold_groups_match_deepchem(chembl_smiles):
    dc = quiet_import("deepchem")
    dataset = dc.data.NumpyDataset(X=np.zeros((len(chembl_smiles), 1)), ids=np.array(chembl_smiles, dtype=object))
    theirs = {frozenset(s) for s in dc.splits.ScaffoldSplitter().generate_scaffolds(dataset)}
    labels = scaffold_groups(chembl_smiles)
    ours = {frozenset(np.flatnonzero(labels == g).tolist()) for g in np.unique(labels)}
    assert ours == theirs


def test_butina_matches_rdkit_reference():
    from rdkit import DataStructs
    from rdkit.Chem import rdFingerprintGenerator
    from rdkit.ML.Cluster import Butina

    smiles = load_dataset("nci_5k", nrows=400).smiles.tolist()
    smiles = [s for s in smiles if Chem.MolFromSmiles(s) is not None]
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    fps = [generator.GetFingerprint(parse_smiles(s, max_heavy_atoms=None)) for s in smiles]
    distances = []
    for i in range(1, len(fps)):
        distances.extend(1 - x for x in DataStructs.BulkTanimotoSimilarity(fps[i], fps[:i]))
    reference = Butina.ClusterData(distances, len(fps), 0.6, isDistData=True)
    expected = np.empty(len(fps), dtype=np.int64)
    for label, members in enumerate(reference):
        expected[list(members)] = label
    assert np.array_equal(butina_clusters(smiles), expected)


def test_group_split_and_group_kfold_on_labels():
    groups = ["a"] * 50 + ["b"] * 5 + [f"s{i}" for i in range(45)]
    parts = group_split(groups, sizes=(0.8, 0.1, 0.1), seed=0)
    _assert_partition(parts, 100)
    assert set(range(50)) <= set(parts.train)  # big group goes to train first
    folds = group_kfold(groups, k=5, seed=None)
    _assert_partition([test for _, test in folds], 100)
    _assert_disjoint(_labels_in_parts(groups, [test for _, test in folds]))


def test_random_split_sizes():
    smiles = ["C" * (i + 1) for i in range(20)]
    parts = split(smiles, method="random", sizes=(0.5, 0.25, 0.25), seed=0)
    assert [len(p) for p in parts] == [10, 5, 5]
    parts = split(smiles, method="random", sizes=(1.0, 0.0, 0.0), seed=0)
    assert [len(p) for p in parts] == [20, 0, 0]


@pytest.mark.parametrize("sizes", [(0.8, 0.1), (0.8, 0.1, 0.2), (0.9, 0.2, -0.1), (float("nan"), 0.5, 0.5)])
def test_bad_sizes(sizes):
    with pytest.raises(ValueError, match="sizes"):
        split(["CCO", "CCN"], method="random", sizes=sizes)


def test_invalid_smiles_names_the_row():
    with pytest.raises(InvalidMoleculeError, match="row 2"):
        split(["CCO", "c1ccccc1", "not a smiles", "CCN"], method="random")
    with pytest.raises(InvalidMoleculeError, match="row 1"):
        kfold(["CCO", "C1CC", "CCN"], k=2, method="scaffold_balanced")


def test_bad_inputs():
    with pytest.raises(ValueError, match="choose one of"):
        split(["CCO"], method="stratified")
    with pytest.raises(ValueError, match="single string"):
        split("CCO", method="random")
    with pytest.raises(ValueError, match="empty"):
        split([], method="random")
    with pytest.raises(ValueError, match="folds"):
        kfold(["CCO", "CCN"], k=3, method="random")
    with pytest.raises(ValueError, match="k must be"):
        kfold(["CCO", "CCN"], k=1, method="random")
    with pytest.raises(ValueError, match="groups"):
        kfold(["CCO", "CCN", "CCC"], k=2, method="scaffold")  # one (empty) scaffold


def test_importing_splits_does_not_import_deepchem():
    code = "import sys, molgen.data.splits, molgen.data.datasets, molgen.data.deepchem; print('deepchem' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    assert result.stderr == ""


def test_scaffold_split_is_quiet(capfd, chembl_smiles):
    split(chembl_smiles[:50], method="scaffold")
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.parametrize("method", ["scaffold_balanced", "cluster"])
def test_balanced_sizes_hold_for_many_seeds(chembl_smiles, method):
    # chembl2321810 has one dominant Butina cluster (about 2/3 of the rows): it must go to train
    for seed in range(5):
        parts = split(chembl_smiles, method=method, seed=seed)
        assert 0.7 < len(parts.train) / len(chembl_smiles) < 0.9, seed
