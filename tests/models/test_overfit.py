"""A D-MPNN can learn a simple graph-level target."""

import torch
from torch_geometric.data import Batch

from molgen.models import ModelConfig, build_model, masked_mse


def test_dmpnn_learns_atom_type_count(generator, new_graph):
    graphs = [new_graph(int(torch.randint(3, 13, (1,), generator=generator)), one_hot=True) for _ in range(100)]
    batch = Batch.from_data_list(graphs)
    targets = torch.stack([g.x[:, 0].sum() for g in graphs]).unsqueeze(1)  # atoms of type 0
    baseline = targets.var(unbiased=False).item()

    torch.manual_seed(0)
    config = ModelConfig(atom_dim=10, bond_dim=4, hidden=32, depth=2, readout="sum", ffn_hidden=32)
    model = build_model(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(300):
        optimizer.zero_grad()
        loss = masked_mse(model(batch), targets)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        final = masked_mse(model(batch), targets).item()
    assert baseline > 0.2
    assert final < 0.05, (final, baseline)
