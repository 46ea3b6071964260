"""Graph encoders: a PyG batch in, atom (or, for AttentiveFP, graph) embeddings out.

Every encoder takes plain ints ``atom_dim`` and ``bond_dim`` and exposes

- ``forward(batch) -> Tensor``: ``n_atoms x output_dim`` atom embeddings, or
  ``n_graphs x output_dim`` graph embeddings when ``graph_level`` is ``True``;
- ``output_dim`` (int): width of the embeddings;
- ``graph_level`` (bool): ``True`` when the encoder has its own readout (AttentiveFP),
  in which case :class:`~molgen.models.MoleculeModel` takes ``readout=None``.

Encoders are addressable by name through :data:`ENCODERS` (``"dmpnn"``, ``"gine"``,
``"attentivefp"``); :func:`build_encoder` builds one from a name.
"""

import torch
from torch import Tensor, nn
from torch_geometric.nn import GINEConv
from torch_geometric.nn.models import AttentiveFP

from molgen.models._graph import check_dropout, check_positive_int, graph_index, graph_tensors
from molgen.utils.registry import Registry

__all__ = ["ENCODERS", "AttentiveFPEncoder", "DMPNNEncoder", "GINEEncoder", "build_encoder"]

#: Encoder classes by name: ``"dmpnn"``, ``"gine"``, ``"attentivefp"``.
ENCODERS: Registry[type[nn.Module]] = Registry("encoder")


class _Encoder(nn.Module):
    """What every encoder shares: the checked dimensions, ``output_dim`` and the ``forward`` contract."""

    def __init__(self, atom_dim: int, bond_dim: int, hidden: int, depth: int, dropout: float):
        super().__init__()
        check_positive_int("atom_dim", atom_dim)
        check_positive_int("bond_dim", bond_dim)
        check_positive_int("hidden", hidden)
        check_positive_int("depth", depth)
        check_dropout(dropout)
        self.atom_dim, self.bond_dim, self.hidden, self.depth = atom_dim, bond_dim, hidden, depth

    @property
    def output_dim(self) -> int:
        """Width of the embeddings (``hidden``)."""
        return self.hidden

    def forward(self, batch) -> Tensor:
        """Atom embeddings, or graph embeddings when ``graph_level`` is true.

        Parameters
        ----------
        batch : torch_geometric.data.Batch or Data
            ``x`` (``n_atoms x atom_dim``), ``edge_index`` (``2 x n_edges``),
            ``edge_attr`` (``n_edges x bond_dim``).

        Returns
        -------
        Tensor
            ``n_atoms x hidden``, or ``n_graphs x hidden`` when ``graph_level`` is true.

        Raises
        ------
        ValueError
            On feature widths that do not match ``atom_dim`` and ``bond_dim``.
        """
        raise NotImplementedError


@ENCODERS.register("dmpnn")
class DMPNNEncoder(_Encoder):
    """Directed bond message passing (D-MPNN), as Chemprop v2's ``BondMessagePassing``.

    Hidden states live on directed edges ``v -> w``::

        H0_vw   = W_i [x_v || e_vw]                         (no activation yet)
        h_vw^0  = ReLU(H0_vw)
        m_vw^t  = sum_{k -> v} h_kv^t  -  h_wv^t            (reverse edge excluded)
        h_vw^t+1 = Dropout(ReLU(H0_vw + W_h m_vw^t))         for t = 0 .. depth - 2
        a_v     = Dropout(ReLU(W_o [x_v || sum_{k -> v} h_kv]))

    As in Chemprop, ``depth`` counts the initial edge state, so ``depth=3`` makes two
    message-passing updates. The sum over incoming edges is a scatter-add over edge
    targets; the reverse of directed edge ``e`` is ``e ^ 1``. Atoms with no edges get
    ``ReLU(W_o [x_v || 0])``.

    Parameters
    ----------
    atom_dim : int
        Width of ``batch.x``.
    bond_dim : int
        Width of ``batch.edge_attr``.
    hidden : int, default 300
        Width of edge hidden states and of the atom embeddings.
    depth : int, default 3
        Number of edge states computed (``depth - 1`` updates); ``>= 1``.
    dropout : float, default 0.0
        Dropout after each update and on the atom embeddings.

    Raises
    ------
    ValueError
        On non-positive dimensions or a dropout outside ``[0, 1)``; in ``forward``, on
        feature widths that do not match, or an edge list not in the ``e ^ 1`` layout.

    Examples
    --------
    >>> encoder = DMPNNEncoder(atom_dim=8, bond_dim=4, hidden=32)
    >>> encoder.output_dim, encoder.graph_level
    (32, False)
    """

    graph_level = False

    def __init__(self, atom_dim: int, bond_dim: int, *, hidden: int = 300, depth: int = 3, dropout: float = 0.0):
        super().__init__(atom_dim, bond_dim, hidden, depth, dropout)
        self.W_i = nn.Linear(atom_dim + bond_dim, hidden, bias=False)
        self.W_h = nn.Linear(hidden, hidden, bias=False)
        self.W_o = nn.Linear(atom_dim + hidden, hidden)
        self.dropout = nn.Dropout(dropout)

    @staticmethod
    def reverse_edges(edge_index: Tensor) -> Tensor:
        """Index of the reverse of every directed edge (``e ^ 1``), after checking the layout.

        Parameters
        ----------
        edge_index : Tensor
            ``2 x n_edges`` int64, both directions of each bond stored as adjacent pairs.

        Returns
        -------
        Tensor
            ``n_edges`` int64.

        Raises
        ------
        ValueError
            If ``n_edges`` is odd or edge ``e ^ 1`` is not the reverse of edge ``e``.
        """
        n_edges = edge_index.size(1)
        if n_edges % 2:
            raise ValueError(f"expected an even number of directed edges (both directions of each bond), got {n_edges}")
        rev = torch.arange(n_edges, device=edge_index.device) ^ 1
        if n_edges and not torch.equal(edge_index[:, rev], edge_index.flip(0)):
            raise ValueError("expected edge e ^ 1 to be the reverse of edge e (bond directions stored as adjacent pairs)")
        return rev

    def bond_hidden(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor) -> Tensor:
        """Final directed-edge hidden states ``h^{depth-1}``.

        Parameters
        ----------
        x : Tensor
            ``n_atoms x atom_dim``.
        edge_index : Tensor
            ``2 x n_edges`` int64, in the ``e ^ 1`` layout.
        edge_attr : Tensor
            ``n_edges x bond_dim``.

        Returns
        -------
        Tensor
            ``n_edges x hidden``.
        """
        src, dst = edge_index
        rev = self.reverse_edges(edge_index)
        # index_select, not x[src]: the backward of advanced indexing accumulates with
        # atomic adds on multi-threaded CPUs, which makes seeded runs differ in the last bits.
        h0 = self.W_i(torch.cat([x.index_select(0, src), edge_attr], dim=1))
        h = torch.relu(h0)
        for _ in range(1, self.depth):
            incoming = h.new_zeros(x.size(0), h.size(1)).index_add_(0, dst, h)
            message = incoming.index_select(0, src) - h.index_select(0, rev)
            h = self.dropout(torch.relu(h0 + self.W_h(message)))
        return h

    def forward(self, batch) -> Tensor:
        x, edge_index, edge_attr = graph_tensors(batch, self.atom_dim, self.bond_dim)
        h = self.bond_hidden(x, edge_index, edge_attr)
        incoming = h.new_zeros(x.size(0), h.size(1)).index_add_(0, edge_index[1], h)
        return self.dropout(torch.relu(self.W_o(torch.cat([x, incoming], dim=1))))


@ENCODERS.register("gine")
class GINEEncoder(_Encoder):
    """Graph isomorphism network with edge features (stacked ``torch_geometric.nn.GINEConv``).

    ``a^0 = Linear(x)``; each of ``depth`` layers computes
    ``a^{t+1} = Dropout(ReLU(GINEConv(a^t))) + a^t`` where the GINE update network is
    ``Linear -> ReLU -> Linear`` and bond features are projected to ``hidden`` inside the
    convolution. Edges may be in any order; atoms with no edges work.

    Parameters
    ----------
    atom_dim, bond_dim : int
        Widths of ``batch.x`` and ``batch.edge_attr``.
    hidden : int, default 300
        Width of the atom embeddings.
    depth : int, default 3
        Number of GINE layers.
    dropout : float, default 0.0
        Dropout after each layer.

    Raises
    ------
    ValueError
        On non-positive dimensions or a dropout outside ``[0, 1)``; in ``forward``, on
        feature widths that do not match.
    """

    graph_level = False

    def __init__(self, atom_dim: int, bond_dim: int, *, hidden: int = 300, depth: int = 3, dropout: float = 0.0):
        super().__init__(atom_dim, bond_dim, hidden, depth, dropout)
        self.lin_in = nn.Linear(atom_dim, hidden)
        self.convs = nn.ModuleList(
            GINEConv(
                nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden)),
                train_eps=True,
                edge_dim=bond_dim,
            )
            for _ in range(depth)
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, batch) -> Tensor:
        x, edge_index, edge_attr = graph_tensors(batch, self.atom_dim, self.bond_dim)
        h = self.lin_in(x)
        for conv in self.convs:
            h = h + self.dropout(torch.relu(conv(h, edge_index, edge_attr)))
        return h


@ENCODERS.register("attentivefp")
class AttentiveFPEncoder(_Encoder):
    """AttentiveFP (``torch_geometric.nn.models.AttentiveFP``), with its own attention readout.

    This encoder is graph-level: ``forward`` returns one ``hidden``-wide embedding per
    graph, so a :class:`~molgen.models.MoleculeModel` built on it takes ``readout=None``.

    Parameters
    ----------
    atom_dim, bond_dim : int
        Widths of ``batch.x`` and ``batch.edge_attr``.
    hidden : int, default 300
        Width of the atom states and of the graph embedding.
    depth : int, default 3
        Number of atom-level attention layers (AttentiveFP's ``num_layers``).
    dropout : float, default 0.0
        Dropout inside AttentiveFP.
    timesteps : int, default 2
        Refinement steps of the molecule-level attention readout (``num_timesteps``).

    Raises
    ------
    ValueError
        On non-positive dimensions or ``timesteps``, or a dropout outside ``[0, 1)``; in
        ``forward``, on feature widths that do not match.
    """

    graph_level = True

    def __init__(
        self,
        atom_dim: int,
        bond_dim: int,
        *,
        hidden: int = 300,
        depth: int = 3,
        dropout: float = 0.0,
        timesteps: int = 2,
    ):
        super().__init__(atom_dim, bond_dim, hidden, depth, dropout)
        check_positive_int("timesteps", timesteps)
        self.net = AttentiveFP(
            in_channels=atom_dim,
            hidden_channels=hidden,
            out_channels=hidden,
            edge_dim=bond_dim,
            num_layers=depth,
            num_timesteps=timesteps,
            dropout=dropout,
        )

    def forward(self, batch) -> Tensor:
        x, edge_index, edge_attr = graph_tensors(batch, self.atom_dim, self.bond_dim)
        index, n_graphs = graph_index(batch)
        out = self.net(x, edge_index, edge_attr, index)
        if out.size(0) < n_graphs:  # trailing graphs with no atoms
            out = torch.cat([out, out.new_zeros(n_graphs - out.size(0), out.size(1))])
        return out


def build_encoder(name: str, atom_dim: int, bond_dim: int, *, hidden: int = 300, depth: int = 3, dropout: float = 0.0) -> nn.Module:
    """Build an encoder by name.

    Parameters
    ----------
    name : str
        One of ``ENCODERS.names()``: ``"attentivefp"``, ``"dmpnn"``, ``"gine"``.
    atom_dim, bond_dim, hidden, depth, dropout
        Passed to the encoder class.

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ValueError
        If ``name`` is unknown (the message lists the valid names) or a value is invalid.
    """
    return ENCODERS.get(name)(atom_dim, bond_dim, hidden=hidden, depth=depth, dropout=dropout)
