"""Readouts (Chemprop's "aggregation"): atom embeddings -> one embedding per graph.

Every readout is called as ``readout(h, index, n_graphs)`` with ``h`` of shape
``n_atoms x d`` and returns ``n_graphs x d``; a graph with no atoms gets zeros.
Readouts are addressable by name through :data:`READOUTS` (``"sum"``, ``"mean"``,
``"norm"``); :func:`build_readout` builds one from a name.
"""

from torch import Tensor, nn
from torch_geometric.utils import scatter

from molgen.utils.registry import Registry

__all__ = ["READOUTS", "MeanReadout", "NormReadout", "SumReadout", "build_readout"]

#: Readout classes by name: ``"sum"``, ``"mean"``, ``"norm"``.
READOUTS: Registry[type[nn.Module]] = Registry("readout")


class _Readout(nn.Module):
    reduce = "sum"

    def forward(self, h: Tensor, index: Tensor, n_graphs: int) -> Tensor:
        """Pool atom embeddings per graph.

        Parameters
        ----------
        h : Tensor
            ``n_atoms x d`` atom embeddings.
        index : Tensor
            ``n_atoms`` int64, graph of each atom (``batch.batch``), values in ``[0, n_graphs)``.
        n_graphs : int
            Number of graphs.

        Returns
        -------
        Tensor
            ``n_graphs x d``.
        """
        return scatter(h, index, dim=0, dim_size=n_graphs, reduce=self.reduce)


@READOUTS.register("sum")
class SumReadout(_Readout):
    """Sum of atom embeddings per graph."""

    reduce = "sum"


@READOUTS.register("mean")
class MeanReadout(_Readout):
    """Mean of atom embeddings per graph."""

    reduce = "mean"


@READOUTS.register("norm")
class NormReadout(_Readout):
    """Sum of atom embeddings per graph divided by a constant (Chemprop's ``NormAggregation``).

    Parameters
    ----------
    norm : float, default 100.0
        The constant; must be positive.

    Raises
    ------
    ValueError
        If ``norm`` is not positive.
    """

    reduce = "sum"

    def __init__(self, norm: float = 100.0):
        super().__init__()
        if isinstance(norm, bool) or not isinstance(norm, (int, float)) or not norm > 0:
            raise ValueError(f"norm must be a positive number, got {norm!r}")
        self.norm = float(norm)

    def forward(self, h: Tensor, index: Tensor, n_graphs: int) -> Tensor:
        return super().forward(h, index, n_graphs) / self.norm


def build_readout(name: str, *, norm: float = 100.0) -> nn.Module:
    """Build a readout by name.

    Parameters
    ----------
    name : str
        One of ``READOUTS.names()``: ``"mean"``, ``"norm"``, ``"sum"``.
    norm : float, default 100.0
        Divisor for ``"norm"``; ignored by the others.

    Raises
    ------
    ValueError
        If ``name`` is unknown (the message lists the valid names).
    """
    cls = READOUTS.get(name)
    return cls(norm=norm) if cls is NormReadout else cls()
