"""Random molecule-like PyG graphs in the featurizer's layout (edge e ^ 1 reverses edge e)."""

import pytest
import torch
from torch_geometric.data import Batch, Data

ATOM_DIM = 10
BOND_DIM = 4


def make_graph(n_atoms: int, generator: torch.Generator, *, ring: bool = True, one_hot: bool = False) -> Data:
    """A random tree on ``n_atoms`` atoms plus (optionally) one ring-closing bond.

    Each bond ``i - j`` is stored as edges ``i -> j`` and ``j -> i`` next to each other,
    both carrying the same bond features.
    """
    bonds = [(int(torch.randint(0, i, (1,), generator=generator)), i) for i in range(1, n_atoms)]
    if ring and n_atoms >= 4 and (0, n_atoms - 1) not in bonds:
        bonds.append((0, n_atoms - 1))
    pairs = [p for i, j in bonds for p in ((i, j), (j, i))]
    edge_index = torch.tensor(pairs, dtype=torch.long).t().contiguous() if pairs else torch.empty(2, 0, dtype=torch.long)
    bond_feats = torch.rand(len(bonds), BOND_DIM, generator=generator).round()
    edge_attr = bond_feats.repeat_interleave(2, dim=0)
    if one_hot:
        kinds = torch.randint(0, ATOM_DIM, (n_atoms,), generator=generator)
        x = torch.nn.functional.one_hot(kinds, ATOM_DIM).float()
    else:
        x = torch.rand(n_atoms, ATOM_DIM, generator=generator)
    return Data(x=x, edge_index=edge_index, edge_attr=edge_attr.float())


@pytest.fixture
def generator() -> torch.Generator:
    torch.manual_seed(0)
    return torch.Generator().manual_seed(0)


@pytest.fixture
def new_graph(generator):
    """``new_graph(n_atoms, ring=True, one_hot=False) -> Data`` drawing from the seeded generator."""

    def new(n_atoms: int, **kwargs) -> Data:
        return make_graph(n_atoms, generator, **kwargs)

    return new


@pytest.fixture
def graphs(generator) -> list[Data]:
    """Five graphs, including a single atom with no edges and a two-atom graph."""
    return [make_graph(n, generator) for n in (5, 1, 8, 2, 6)]


@pytest.fixture
def batch(graphs) -> Batch:
    return Batch.from_data_list(graphs)
