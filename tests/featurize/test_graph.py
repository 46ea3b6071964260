"""Molecule -> PyG graph: shapes, known values, D-MPNN edge layout, batch states."""

import numpy as np
import pytest
import torch
from rdkit import Chem
from torch_geometric.data import Batch

from molgen.chem import InvalidMoleculeError, MolState, Standardizer
from molgen.featurize import (
    ATOM_FDIM,
    BOND_FDIM,
    GraphBatch,
    atom_feature_names,
    bond_feature_names,
    graphs_from_smiles,
    mol_to_graph,
    smiles_to_graph,
)

A = {name: i for i, name in enumerate(atom_feature_names())}
B = {name: i for i, name in enumerate(bond_feature_names())}
VARIED = [
    "CCO",
    "c1ccccc1",
    "C[C@H](N)C(=O)O",
    "F/C=C/F",
    "CC(=O)Oc1ccccc1C(=O)O",
    "C1CC2CCC1C2",
    "[Na+].[O-]C(=O)C",
    "C",
    "[2H]C([2H])([2H])O",
]


def assert_reverse_edges(edge_index: torch.Tensor, edge_attr: torch.Tensor):
    e = torch.arange(edge_index.shape[1])
    assert edge_index.shape[1] % 2 == 0
    assert torch.equal(edge_index[:, e ^ 1], edge_index[[1, 0]][:, e])
    assert torch.equal(edge_attr[e ^ 1], edge_attr[e])


def test_ethanol():
    g = mol_to_graph(Chem.MolFromSmiles("CCO"))
    assert g.x.shape == (3, ATOM_FDIM) and g.x.dtype == torch.float32
    assert g.edge_index.shape == (2, 4) and g.edge_index.dtype == torch.int64
    assert g.edge_attr.shape == (4, BOND_FDIM) and g.edge_attr.dtype == torch.float32
    assert g.edge_index.tolist() == [[0, 1, 1, 2], [1, 0, 2, 1]]
    assert g.x[:, A["element=C"]].tolist() == [1, 1, 0]
    assert g.x[2, A["element=O"]] == 1 and g.x[2, A["num_hs=1"]] == 1
    assert g.x[0, A["num_hs=3"]] == 1 and g.x[0, A["degree=4"]] == 1
    assert g.edge_attr[:, B["bond_type=SINGLE"]].tolist() == [1, 1, 1, 1]
    g.validate(raise_on_error=True)


def test_benzene_is_aromatic_and_cyclic():
    g = mol_to_graph(Chem.MolFromSmiles("c1ccccc1"))
    assert g.x[:, A["aromatic"]].tolist() == [1] * 6
    assert g.x[:, A["in_ring"]].tolist() == [1] * 6
    assert g.x[:, A["hybridization=SP2"]].tolist() == [1] * 6
    for name in ("bond_type=AROMATIC", "conjugated", "in_ring"):
        assert g.edge_attr[:, B[name]].tolist() == [1] * 12


def test_stereo_from_smiles():
    batch = graphs_from_smiles(["C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O", "F/C=C/F", "F/C=C\\F", "C[C@H](C)C"])
    assert batch[0].x[1, A["chiral_tag=CHI_TETRAHEDRAL_CCW"]] == 1
    assert batch[1].x[1, A["chiral_tag=CHI_TETRAHEDRAL_CW"]] == 1
    assert batch[2].edge_attr[2, B["stereo=STEREOE"]] == 1  # bond 1 = edges 2 and 3
    assert batch[3].edge_attr[3, B["stereo=STEREOZ"]] == 1
    # a chiral tag on an atom that is not a stereocentre is removed, as MolFromSmiles does
    assert batch[4].x[1, A["chiral_tag=CHI_UNSPECIFIED"]] == 1


@pytest.mark.parametrize("smiles", VARIED)
def test_reverse_of_edge_e_is_e_xor_1(smiles):
    g = mol_to_graph(Chem.MolFromSmiles(smiles))
    assert g.edge_index.shape[1] == 2 * Chem.MolFromSmiles(smiles).GetNumBonds()
    assert_reverse_edges(g.edge_index, g.edge_attr)


def test_reverse_edges_survive_batching():
    batch = Batch.from_data_list(graphs_from_smiles(VARIED + ["[Cl-]", "CC#N"]).valid_graphs())
    assert_reverse_edges(batch.edge_index, batch.edge_attr)
    assert batch.x.shape[1] == ATOM_FDIM and batch.num_graphs == len(VARIED) + 2


@pytest.mark.parametrize("smiles", ["C", "[Na+]", "[Xe]"])
def test_single_atom(smiles):
    g = smiles_to_graph(smiles)
    assert g.x.shape == (1, ATOM_FDIM)
    assert g.edge_index.shape == (2, 0) and g.edge_index.dtype == torch.int64
    assert g.edge_attr.shape == (0, BOND_FDIM) and g.edge_attr.dtype == torch.float32
    assert g.smiles == smiles
    assert Batch.from_data_list([g, smiles_to_graph("CO")]).edge_index.tolist() == [[1, 2], [2, 1]]


def test_zoo_alignment_and_states(zoo):
    names = list(zoo)
    batch = graphs_from_smiles([zoo[n][0] for n in names])
    assert isinstance(batch, GraphBatch) and len(batch) == len(names)
    for name, graph, state, error in zip(names, batch, batch.states, batch.errors):
        assert state == zoo[name][1], name
        assert (graph is not None) == (state == "valid") and (error == "") == (state == "valid"), name
    assert batch.valid_mask.dtype == bool and batch.valid_mask.tolist() == [s == "valid" for s in batch.states]
    assert len(batch.valid_graphs()) == batch.valid_mask.sum()
    assert batch[names.index("aspirin")].smiles == zoo["aspirin"][0]


def test_zoo_with_standardizer(zoo):
    batch = graphs_from_smiles([s for s, _ in zoo.values()], standardizer=Standardizer())
    assert batch.states == [state for _, state in zoo.values()]
    salt = batch[list(zoo).index("sodium_acetate_salt")]
    assert salt.x.shape[0] == 4  # the sodium counter-ion is gone


def test_other_failure_states():
    def failing_standardizer(mol):
        raise InvalidMoleculeError("", MolState.STANDARDIZATION_FAILED, "no")

    assert graphs_from_smiles(["CCO"], standardizer=failing_standardizer).states == ["standardization_failed"]
    unsanitized = Chem.MolFromSmiles("CCO", sanitize=False)
    batch = graphs_from_smiles([unsanitized, None, float("nan"), "C" * 5], max_heavy_atoms=4)
    assert batch.states == ["featurization_failed", "empty", "empty", "too_many_atoms"]
    assert batch.errors[0] and batch.graphs[0] is None


def test_single_item_functions_raise_typed_errors():
    with pytest.raises(InvalidMoleculeError) as info:
        smiles_to_graph("this is not a smiles")
    assert info.value.state is MolState.INVALID_SMILES
    with pytest.raises(InvalidMoleculeError) as info:
        mol_to_graph(None)
    assert info.value.state is MolState.EMPTY
    with pytest.raises(InvalidMoleculeError) as info:
        mol_to_graph(Chem.MolFromSmiles("CCO", sanitize=False))
    assert info.value.state is MolState.FEATURIZATION_FAILED


def test_batch_matches_single_molecule_and_is_deterministic():
    smiles = VARIED + ["CCN(CC)CC", "O=C1NC(=O)C(=O)N1"]
    first = graphs_from_smiles(smiles)
    second = graphs_from_smiles(smiles[::-1])
    for g, h, s in zip(first, second.graphs[::-1], smiles):
        ref = mol_to_graph(Chem.MolFromSmiles(s))
        for key in ("x", "edge_index", "edge_attr"):
            assert torch.equal(g[key], h[key]) and torch.equal(g[key], ref[key]), (s, key)


def test_progress_bar_goes_to_stderr(capsys):
    batch = graphs_from_smiles(iter(["CCO", "CCN"]), progress=True)
    assert batch.states == ["valid", "valid"]
    captured = capsys.readouterr()
    assert captured.out == "" and "graphs" in captured.err


def test_quiet_by_default(capfd):
    graphs_from_smiles(["CCO", "C1CC", "C(C)(C)(C)(C)C"])
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_graph_tensors_are_not_shared():
    a, b = graphs_from_smiles(["CCO", "CCO"]).graphs
    a.x[0, 0] = 42.0
    assert b.x[0, 0] == 0.0 and np.all(mol_to_graph(Chem.MolFromSmiles("CCO")).x.numpy()[0, 0] == 0.0)
