"""The pickle-based fast path gives exactly the reference (RDKit Python API) features."""

import gzip
import itertools
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from rdkit import Chem

from molgen.featurize._arrays import _fast_arrays, fast_path_enabled, graph_arrays, reference_arrays

MOSES_TRAIN = Path(sysconfig.get_paths()["purelib"]) / "moses" / "dataset" / "data" / "train.csv.gz"
ODD = [
    "[13CH3][2H]",
    "[CH2]C",  # radical
    "C[N+](C)(C)C.[Cl-]",
    "[O-][N+](=O)c1ccccc1",
    "[Cu+2].[O-]S(=O)(=O)[O-]",
    "[B-](F)(F)(F)F",
    "c1cc[se]c1",
    "C12C3C4C1C5C2C3C45",  # cubane
    "C[C@@]12CC[C@H]3[C@@H](CC=C4C[C@@H](O)CC[C@]34C)[C@@H]1CC[C@@H]2O",
    "C/C=C/C=C/C",
    "[NH3]->[Pt]",
    "C1" + "C" * 120 + "1",
    "[U]",
]


def assert_same(mol):
    fast, ref = graph_arrays(mol), reference_arrays(mol)
    for a, b in zip(fast, ref):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), Chem.MolToSmiles(mol)


def test_fast_path_is_active_for_the_installed_rdkit():
    # if this fails after an RDKit upgrade, featurization is still correct but slow:
    # teach molgen/featurize/_rdpickle.py the new pickle layout
    assert fast_path_enabled()
    mol = Chem.MolFromSmiles("CCO")
    fast = _fast_arrays(mol)
    assert fast is not None, "the fast path declined a plain molecule"
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(fast, reference_arrays(mol), strict=True))


@pytest.mark.parametrize("smiles", ODD)
def test_odd_molecules(smiles):
    mol = Chem.MolFromSmiles(smiles)
    assert_same(mol)
    assert_same(Chem.AddHs(mol))


def test_unhandled_layouts_fall_back_to_reference():
    for smiles in ("[CH3:1]CO", "*CC", "C" * 300):  # atom map, dummy atom, > 255 atoms
        mol = Chem.MolFromSmiles(smiles)
        assert _fast_arrays(mol) is None
        assert_same(mol)


@pytest.mark.skipif(not MOSES_TRAIN.exists(), reason="MOSES training data not installed")
def test_moses_sample():
    with gzip.open(MOSES_TRAIN, "rt") as handle:
        next(handle)
        smiles = [line.strip() for line in itertools.islice(handle, 0, 20000, 40)]
    for s in smiles:
        assert_same(Chem.MolFromSmiles(s))


def test_fresh_cache_under_threads(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from molgen.featurize import _arrays

    for name, width in (("_ATOMS", _arrays.ATOM_FDIM), ("_BONDS", _arrays.BOND_FDIM)):
        cache = _arrays._RowCache(width)
        cache.table = np.zeros((2, width), dtype=np.float32)  # force the table to grow
        monkeypatch.setattr(_arrays, name, cache)
    mols = [Chem.MolFromSmiles(s) for s in ODD[:-2] + ["CCO", "c1ccncc1", "CC(=O)N", "C#CC(F)(F)F"]] * 3

    def work(offset):
        return [graph_arrays(m) for m in mols[offset:] + mols[:offset]]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, range(4)))
    for offset, arrays in enumerate(results):
        for mol, got in zip(mols[offset:] + mols[:offset], arrays):
            for a, b in zip(got, reference_arrays(mol)):
                assert np.array_equal(a, b)
    assert len(_arrays._ATOMS.index) > 2 and len(_arrays._BONDS.index) > 2


def test_graphs_match_the_public_data_constructor():
    import torch
    from torch_geometric.data import Data

    from molgen.featurize import graphs_from_smiles
    from molgen.featurize.graph import _direct_data, _new_data

    assert _new_data is _direct_data  # the fast constructor passed its self-check
    g = graphs_from_smiles(["CC(=O)O"])[0]
    public = Data(x=g.x, edge_index=g.edge_index, edge_attr=g.edge_attr, smiles=g.smiles)
    assert g.keys() == public.keys() and g.num_nodes == public.num_nodes == 4 and g.num_edges == 6
    assert g.is_node_attr("x") and g.is_edge_attr("edge_attr")
    g.validate(raise_on_error=True)
    assert torch.equal(g.x, public.x)
