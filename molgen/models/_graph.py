"""Small checks and helpers shared by the encoders and the model (torch only)."""

import torch
from torch import Tensor


def graph_index(batch) -> tuple[Tensor, int]:
    """Graph index of every atom and the number of graphs.

    Parameters
    ----------
    batch : torch_geometric.data.Batch or torch_geometric.data.Data
        A batch, or a single graph (treated as a batch of one).

    Returns
    -------
    index : Tensor
        ``n_atoms`` int64, the graph each atom belongs to.
    n_graphs : int
        Number of graphs in the batch.
    """
    index = getattr(batch, "batch", None)
    if index is None:
        return torch.zeros(batch.x.size(0), dtype=torch.long, device=batch.x.device), 1
    return index, int(batch.num_graphs)


def graph_tensors(batch, atom_dim: int, bond_dim: int) -> tuple[Tensor, Tensor, Tensor]:
    """Return ``x``, ``edge_index`` and ``edge_attr`` after checking their shapes.

    Parameters
    ----------
    batch : torch_geometric.data.Batch or torch_geometric.data.Data
        Holds ``x`` (``n_atoms x atom_dim``), ``edge_index`` (``2 x n_edges``) and
        ``edge_attr`` (``n_edges x bond_dim``). ``edge_attr`` may be ``None`` only
        when there are no edges.
    atom_dim, bond_dim : int
        Expected feature widths.

    Returns
    -------
    x, edge_index, edge_attr : Tensor

    Raises
    ------
    ValueError
        If a tensor is missing or has the wrong shape.
    """
    x = getattr(batch, "x", None)
    if x is None or x.dim() != 2 or x.size(1) != atom_dim:
        shape = None if x is None else tuple(x.shape)
        raise ValueError(f"expected batch.x of shape n_atoms x {atom_dim}, got {shape}")
    edge_index = getattr(batch, "edge_index", None)
    if edge_index is None:
        edge_index = torch.empty(2, 0, dtype=torch.long, device=x.device)
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"expected batch.edge_index of shape 2 x n_edges, got {tuple(edge_index.shape)}")
    n_edges = edge_index.size(1)
    edge_attr = getattr(batch, "edge_attr", None)
    if edge_attr is None and n_edges == 0:
        edge_attr = x.new_zeros(0, bond_dim)
    if edge_attr is None or edge_attr.dim() != 2 or tuple(edge_attr.shape) != (n_edges, bond_dim):
        shape = None if edge_attr is None else tuple(edge_attr.shape)
        raise ValueError(f"expected batch.edge_attr of shape {n_edges} x {bond_dim} (n_edges x bond_dim), got {shape}")
    return x, edge_index, edge_attr


def check_positive_int(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` if it is an int ``>= minimum``, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def check_dropout(value) -> float:
    """Return ``value`` as a float if it is a probability in ``[0, 1)``, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ValueError(f"dropout must be a float in [0, 1), got {value!r}")
    return float(value)
