"""``MoleculeModel``: encoder -> readout -> (+ descriptors) -> head, and ``build_model``."""

import torch
from torch import Tensor, nn

from molgen.models._graph import check_positive_int, graph_index
from molgen.models.config import ModelConfig
from molgen.models.encoders import build_encoder
from molgen.models.heads import TASKS
from molgen.models.readout import build_readout

__all__ = ["MoleculeModel", "build_model"]


class MoleculeModel(nn.Module):
    """A graph model composed of parts, like Chemprop v2's ``MPNN``.

    ``embed(batch)`` runs the encoder, pools atoms per graph with the readout and appends
    ``batch.descriptors`` (Chemprop's ``X_d``); ``forward(batch)`` passes that embedding
    through the head.

    Parameters
    ----------
    encoder : nn.Module
        Maps a batch to ``n_atoms x encoder.output_dim`` atom embeddings, or to
        ``n_graphs x encoder.output_dim`` when ``encoder.graph_level`` is true
        (see :mod:`molgen.models.encoders`).
    readout : nn.Module or None
        ``readout(h, index, n_graphs)`` (see :mod:`molgen.models.readout`); must be
        ``None`` exactly when the encoder is graph-level.
    head : nn.Module
        Maps ``n_graphs x (encoder.output_dim + descriptor_dim)`` to predictions and has
        ``input_dim`` and ``activate`` (see :mod:`molgen.models.heads`).
    descriptor_dim : int, default 0
        Width of ``batch.descriptors`` (already scaled by the caller); 0 for none.

    Raises
    ------
    ValueError
        If the readout does not fit the encoder, or ``head.input_dim`` is not
        ``encoder.output_dim + descriptor_dim``.

    Examples
    --------
    >>> from molgen.models import DMPNNEncoder, RegressionHead, SumReadout
    >>> model = MoleculeModel(DMPNNEncoder(8, 4, hidden=16), SumReadout(), RegressionHead(16, 2, hidden=8))
    >>> model.embedding_dim
    16
    """

    def __init__(
        self,
        encoder: nn.Module,
        readout: nn.Module | None,
        head: nn.Module,
        descriptor_dim: int = 0,
        batch_norm: bool = False,
    ):
        super().__init__()
        check_positive_int("descriptor_dim", descriptor_dim, minimum=0)
        graph_level = bool(getattr(encoder, "graph_level", False))
        if graph_level and readout is not None:
            raise ValueError(f"{type(encoder).__name__} returns graph embeddings itself; pass readout=None")
        if not graph_level and readout is None:
            raise ValueError(f"{type(encoder).__name__} returns atom embeddings; it needs a readout")
        expected = encoder.output_dim + descriptor_dim
        if getattr(head, "input_dim", expected) != expected:
            raise ValueError(f"head.input_dim is {head.input_dim}, expected encoder.output_dim + descriptor_dim = {expected}")
        self.encoder, self.readout, self.head = encoder, readout, head
        self.descriptor_dim = descriptor_dim
        # Batch norm of the graph embedding (Chemprop's ``batch_norm``): spreads the
        # embeddings of close analogues apart, which speeds up learning on congeneric series.
        self.norm = nn.BatchNorm1d(encoder.output_dim) if batch_norm else nn.Identity()

    @property
    def embedding_dim(self) -> int:
        """Width of ``embed`` output: ``encoder.output_dim + descriptor_dim``."""
        return self.encoder.output_dim + self.descriptor_dim

    def embed(self, batch) -> Tensor:
        """Graph embeddings (the learned fingerprint, with descriptors appended).

        Parameters
        ----------
        batch : torch_geometric.data.Batch or Data
            Graphs as made by ``molgen.featurize``; with ``descriptor_dim > 0`` also
            ``descriptors`` of shape ``n_graphs x descriptor_dim`` (store it as
            ``1 x descriptor_dim`` per ``Data`` so batching concatenates it).

        Returns
        -------
        Tensor
            ``n_graphs x embedding_dim``.

        Raises
        ------
        ValueError
            On feature widths that do not match, or missing / misshapen descriptors.
        """
        h = self.encoder(batch)
        index, n_graphs = graph_index(batch)
        if self.readout is not None:
            h = self.readout(h, index, n_graphs)
        h = self.norm(h)
        if self.descriptor_dim == 0:
            return h
        descriptors = getattr(batch, "descriptors", None)
        expected = (n_graphs, self.descriptor_dim)
        if descriptors is None or tuple(descriptors.shape) != expected:
            shape = None if descriptors is None else tuple(descriptors.shape)
            raise ValueError(f"expected batch.descriptors of shape {expected} (n_graphs x descriptor_dim), got {shape}")
        return torch.cat([h, descriptors.to(h.dtype)], dim=1)

    def forward(self, batch) -> Tensor:
        """Raw head outputs (regression values or variances, or logits).

        Returns
        -------
        Tensor
            ``n_graphs x n_tasks`` (regression, binary),
            ``n_graphs x n_tasks x 2`` (mean-variance regression: mean, variance) or
            ``n_graphs x n_tasks x n_classes`` (multiclass).
        """
        return self.head(self.embed(batch))

    def predict(self, batch) -> Tensor:
        """User-facing predictions: ``forward`` passed through ``head.activate``.

        Probabilities for classification, unchanged outputs for regression. Gradients
        are tracked as usual; wrap the call in ``torch.no_grad()`` for inference.
        """
        return self.head.activate(self.forward(batch))


def build_model(config: ModelConfig) -> MoleculeModel:
    """Build a :class:`MoleculeModel` from a :class:`~molgen.models.ModelConfig`.

    Parameters
    ----------
    config : ModelConfig

    Returns
    -------
    MoleculeModel
        Freshly initialized (seed with ``torch.manual_seed`` for reproducibility).

    Raises
    ------
    TypeError
        If ``config`` is not a ``ModelConfig`` (build one with ``ModelConfig.from_dict``).
    """
    if not isinstance(config, ModelConfig):
        raise TypeError(f"expected a ModelConfig, got {type(config).__name__}; use ModelConfig.from_dict for dicts")
    encoder = build_encoder(
        config.encoder, config.atom_dim, config.bond_dim, hidden=config.hidden, depth=config.depth, dropout=config.dropout
    )
    readout = None if config.readout is None else build_readout(config.readout, norm=config.readout_norm)
    ffn = dict(hidden=config.ffn_hidden, n_layers=config.ffn_layers, dropout=config.dropout, activation=config.ffn_activation)
    input_dim = encoder.output_dim + config.descriptor_dim
    head_cls = TASKS.get(config.task)
    if config.task == "multiclass":
        head = head_cls(input_dim, config.n_tasks, config.n_classes, **ffn)
    elif config.task == "regression":
        head = head_cls(input_dim, config.n_tasks, mean_variance=config.mean_variance, **ffn)
    else:
        head = head_cls(input_dim, config.n_tasks, **ffn)
    return MoleculeModel(encoder, readout, head, descriptor_dim=config.descriptor_dim, batch_norm=config.batch_norm)
