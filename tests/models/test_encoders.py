"""Encoders: shapes, isolated atoms, the D-MPNN's reverse-edge exclusion, input checks."""

import pytest
import torch
from torch_geometric.data import Batch, Data

from molgen.models import ENCODERS, DMPNNEncoder, build_encoder

ATOM_DIM, BOND_DIM, HIDDEN = 10, 4, 16


@pytest.mark.parametrize("name", ["dmpnn", "gine", "attentivefp"])
def test_output_shape(name, batch):
    encoder = build_encoder(name, ATOM_DIM, BOND_DIM, hidden=HIDDEN, depth=2)
    out = encoder(batch)
    n_rows = batch.num_graphs if encoder.graph_level else batch.num_nodes
    assert out.shape == (n_rows, HIDDEN) == (n_rows, encoder.output_dim)
    assert torch.isfinite(out).all()


def test_registry_names_and_error():
    assert ENCODERS.names() == ["attentivefp", "dmpnn", "gine"]
    with pytest.raises(ValueError, match="attentivefp, dmpnn, gine"):
        build_encoder("gcn", ATOM_DIM, BOND_DIM)


@pytest.mark.parametrize("name", ["dmpnn", "gine", "attentivefp"])
@pytest.mark.parametrize("edge_attr", ["empty", "none"])
def test_single_atom_graph(name, edge_attr):
    x = torch.rand(1, ATOM_DIM)
    attr = torch.empty(0, BOND_DIM) if edge_attr == "empty" else None
    graph = Data(x=x, edge_index=torch.empty(2, 0, dtype=torch.long), edge_attr=attr)
    encoder = build_encoder(name, ATOM_DIM, BOND_DIM, hidden=HIDDEN).eval()
    for data in (graph, Batch.from_data_list([graph])):
        out = encoder(data)
        assert out.shape == (1, HIDDEN)
        assert torch.isfinite(out).all()


def test_dmpnn_isolated_atom_sees_only_its_features():
    encoder = DMPNNEncoder(ATOM_DIM, BOND_DIM, hidden=HIDDEN)
    x = torch.rand(1, ATOM_DIM)
    out = encoder(Data(x=x, edge_index=torch.empty(2, 0, dtype=torch.long), edge_attr=torch.empty(0, BOND_DIM)))
    expected = torch.relu(encoder.W_o(torch.cat([x, torch.zeros(1, HIDDEN)], dim=1)))
    torch.testing.assert_close(out, expected)


def test_dmpnn_excludes_reverse_edge():
    # On a single bond the only incoming edge of each directed edge is its own reverse,
    # so with the reverse excluded every message is zero: h^t = h^0 = ReLU(W_i [x_v || e_vw]).
    torch.manual_seed(0)
    graph = Data(
        x=torch.rand(2, ATOM_DIM),
        edge_index=torch.tensor([[0, 1], [1, 0]]),
        edge_attr=torch.rand(1, BOND_DIM).repeat(2, 1),
    )
    encoder = DMPNNEncoder(ATOM_DIM, BOND_DIM, hidden=HIDDEN, depth=4).eval()
    h0 = torch.relu(encoder.W_i(torch.cat([graph.x[graph.edge_index[0]], graph.edge_attr], dim=1)))
    torch.testing.assert_close(encoder.bond_hidden(graph.x, graph.edge_index, graph.edge_attr), h0)
    deep = encoder(graph)
    encoder.depth = 1
    torch.testing.assert_close(encoder(graph), deep)


def _naive_bond_hidden(encoder: DMPNNEncoder, x, edge_index, edge_attr):
    src, dst = edge_index.tolist()
    h0 = encoder.W_i(torch.cat([x[edge_index[0]], edge_attr], dim=1))
    h = torch.relu(h0)
    for _ in range(encoder.depth - 1):
        rows = []
        for e, (v, w) in enumerate(zip(src, dst)):
            message = torch.zeros(h.size(1))
            for k, (a, b) in enumerate(zip(src, dst)):
                if b == v and a != w:  # into v, except the reverse edge w -> v
                    message = message + h[k]
            rows.append(torch.relu(h0[e] + encoder.W_h(message)))
        h = torch.stack(rows)
    return h


def test_dmpnn_matches_naive_loop(new_graph):
    graph = new_graph(7)  # a tree plus one ring bond
    encoder = DMPNNEncoder(ATOM_DIM, BOND_DIM, hidden=HIDDEN, depth=3).eval()
    fast = encoder.bond_hidden(graph.x, graph.edge_index, graph.edge_attr)
    naive = _naive_bond_hidden(encoder, graph.x, graph.edge_index, graph.edge_attr)
    torch.testing.assert_close(fast, naive, rtol=1e-5, atol=1e-6)


def test_dmpnn_rejects_edges_out_of_pair_layout():
    encoder = DMPNNEncoder(ATOM_DIM, BOND_DIM, hidden=HIDDEN)
    x = torch.rand(3, ATOM_DIM)
    odd = Data(x=x, edge_index=torch.tensor([[0, 1, 1], [1, 0, 2]]), edge_attr=torch.rand(3, BOND_DIM))
    with pytest.raises(ValueError, match="even number"):
        encoder(odd)
    unpaired = Data(x=x, edge_index=torch.tensor([[0, 1, 1, 2], [1, 2, 0, 1]]), edge_attr=torch.rand(4, BOND_DIM))
    with pytest.raises(ValueError, match="reverse"):
        encoder(unpaired)


@pytest.mark.parametrize("name", ["dmpnn", "gine", "attentivefp"])
def test_wrong_feature_widths(name, graphs):
    encoder = build_encoder(name, ATOM_DIM + 1, BOND_DIM, hidden=HIDDEN)
    with pytest.raises(ValueError, match="batch.x"):
        encoder(graphs[0])
    encoder = build_encoder(name, ATOM_DIM, BOND_DIM + 1, hidden=HIDDEN)
    with pytest.raises(ValueError, match="batch.edge_attr"):
        encoder(graphs[0])


@pytest.mark.parametrize("kwargs", [{"hidden": 0}, {"depth": 0}, {"dropout": 1.0}, {"dropout": -0.1}, {"hidden": 3.5}])
def test_invalid_hyperparameters(kwargs):
    with pytest.raises(ValueError):
        build_encoder("dmpnn", ATOM_DIM, BOND_DIM, **kwargs)
