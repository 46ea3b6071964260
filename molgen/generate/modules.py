"""Autoregressive token models: a multi-layer GRU/LSTM and a small causal transformer.

Both take ``n x L`` token ids and return ``n x L x vocab`` next-token logits, and offer
``step(ids, state)`` for sampling one token at a time. Hyperparameters are plain ints so
a model is rebuilt from its JSON config with :func:`build_module`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from molgen.utils.registry import Registry

__all__ = ["ARCHITECTURES", "RNNLanguageModel", "TransformerLanguageModel", "build_module"]

ARCHITECTURES: Registry = Registry("prior architecture")


class RNNLanguageModel(nn.Module):
    """Embedding → multi-layer GRU or LSTM → linear head (REINVENT's prior layout).

    Parameters
    ----------
    vocab_size : int
        Number of token ids.
    embedding_dim : int
        Size of the token embedding.
    hidden_size : int
        Width of each recurrent layer.
    num_layers : int
        Number of stacked recurrent layers.
    cell : {"gru", "lstm"}
        Recurrent cell.
    dropout : float
        Dropout between recurrent layers (training only).
    pad_id : int
        Padding id (its embedding is kept at zero).
    """

    def __init__(
        self,
        vocab_size: int,
        *,
        embedding_dim: int = 128,
        hidden_size: int = 512,
        num_layers: int = 3,
        cell: str = "gru",
        dropout: float = 0.0,
        pad_id: int = 0,
    ):
        super().__init__()
        if cell not in ("gru", "lstm"):
            raise ValueError(f"cell must be 'gru' or 'lstm', got {cell!r}")
        _check_positive(vocab_size=vocab_size, embedding_dim=embedding_dim, hidden_size=hidden_size, num_layers=num_layers)
        self.config = {
            "vocab_size": int(vocab_size),
            "embedding_dim": int(embedding_dim),
            "hidden_size": int(hidden_size),
            "num_layers": int(num_layers),
            "cell": cell,
            "dropout": float(dropout),
            "pad_id": int(pad_id),
        }
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True, dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """``n x L`` ids → ``n x L x vocab`` logits of the next token."""
        out, _ = self.rnn(self.embedding(ids))
        return self.head(out)

    def step(self, ids: torch.Tensor, state=None):
        """One token per row: ``n`` ids → (``n x vocab`` logits, new state)."""
        out, state = self.rnn(self.embedding(ids[:, None]), state)
        return self.head(out[:, 0]), state


class TransformerLanguageModel(nn.Module):
    """A small decoder-only transformer with learned positions and a causal mask.

    Parameters
    ----------
    vocab_size : int
        Number of token ids.
    d_model : int
        Width of the residual stream.
    num_heads : int
        Attention heads (must divide ``d_model``).
    num_layers : int
        Transformer blocks.
    max_length : int
        Longest sequence (BOS and EOS included) the position table covers.
    dropout : float
        Dropout (training only).
    pad_id : int
        Padding id.
    """

    def __init__(
        self,
        vocab_size: int,
        *,
        d_model: int = 256,
        num_heads: int = 8,
        num_layers: int = 4,
        max_length: int = 128,
        dropout: float = 0.1,
        pad_id: int = 0,
    ):
        super().__init__()
        _check_positive(vocab_size=vocab_size, d_model=d_model, num_heads=num_heads, num_layers=num_layers, max_length=max_length)
        if d_model % num_heads:
            raise ValueError(f"num_heads ({num_heads}) must divide d_model ({d_model})")
        self.config = {
            "vocab_size": int(vocab_size),
            "d_model": int(d_model),
            "num_heads": int(num_heads),
            "num_layers": int(num_layers),
            "max_length": int(max_length),
            "dropout": float(dropout),
            "pad_id": int(pad_id),
        }
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=pad_id)
        self.position = nn.Embedding(max_length, d_model)
        layer = nn.TransformerEncoderLayer(d_model, num_heads, 4 * d_model, dropout, batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """``n x L`` ids → ``n x L x vocab`` logits of the next token (L ≤ max_length)."""
        length = ids.shape[1]
        if length > self.config["max_length"]:
            raise ValueError(f"sequence length {length} exceeds the transformer's max_length {self.config['max_length']}")
        pos = torch.arange(length, device=ids.device)
        x = self.embedding(ids) * math.sqrt(self.config["d_model"]) + self.position(pos)[None]
        mask = nn.Transformer.generate_square_subsequent_mask(length, device=ids.device)
        x = self.blocks(x, mask=mask, is_causal=True)
        return self.head(self.norm(x))

    def step(self, ids: torch.Tensor, state=None):
        """One token per row; the state is the prefix so far (recomputed each step)."""
        prefix = ids[:, None] if state is None else torch.cat([state, ids[:, None]], dim=1)
        prefix = prefix[:, -self.config["max_length"] :]
        return self.forward(prefix)[:, -1], prefix


def _check_positive(**values) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


ARCHITECTURES.register("gru")(lambda vocab_size, **kw: RNNLanguageModel(vocab_size, cell="gru", **kw))
ARCHITECTURES.register("lstm")(lambda vocab_size, **kw: RNNLanguageModel(vocab_size, cell="lstm", **kw))
ARCHITECTURES.register("transformer")(TransformerLanguageModel)


def build_module(architecture: str, vocab_size: int, **hyperparameters) -> nn.Module:
    """Build a prior network by name (``"gru"``, ``"lstm"`` or ``"transformer"``).

    Raises
    ------
    ValueError
        Unknown architecture (the message lists the choices) or a bad hyperparameter.
    TypeError
        A hyperparameter the architecture does not take.
    """
    hyperparameters = {k: v for k, v in hyperparameters.items() if k not in ("vocab_size", "cell")}
    return ARCHITECTURES.get(architecture)(vocab_size, **hyperparameters)
