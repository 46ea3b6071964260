"""Prediction heads: a feed-forward network from a graph embedding to task outputs.

``forward`` returns raw outputs (the quantities the losses in :mod:`molgen.models.losses`
expect); ``activate`` turns them into user-facing predictions (probabilities for
classification). Heads are addressable by task name through :data:`TASKS`
(``"regression"``, ``"binary"``, ``"multiclass"``), activations through
:data:`ACTIVATIONS`.
"""

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from molgen.models._graph import check_dropout, check_positive_int
from molgen.utils.registry import Registry

__all__ = ["ACTIVATIONS", "FFN", "TASKS", "BinaryHead", "MulticlassHead", "RegressionHead"]

#: Activation module classes by name.
ACTIVATIONS: Registry[type[nn.Module]] = Registry("activation")
for _name, _cls in {
    "relu": nn.ReLU,
    "leakyrelu": nn.LeakyReLU,
    "prelu": nn.PReLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "gelu": nn.GELU,
}.items():
    ACTIVATIONS.register(_name)(_cls)

#: Head classes by task name: ``"regression"``, ``"binary"``, ``"multiclass"``.
TASKS: Registry[type[nn.Module]] = Registry("task")


class FFN(nn.Sequential):
    """Feed-forward network, laid out as Chemprop v2's ``MLP``.

    ``Linear(input_dim, hidden)``, then ``n_layers - 1`` blocks of
    ``activation -> dropout -> Linear(hidden, hidden)``, then
    ``activation -> dropout -> Linear(hidden, output_dim)``. With ``n_layers=0`` it is a
    single ``Linear(input_dim, output_dim)``.

    Parameters
    ----------
    input_dim, output_dim : int
        Input and output widths.
    hidden : int, default 300
        Width of the hidden layers.
    n_layers : int, default 1
        Number of hidden layers (``>= 0``).
    dropout : float, default 0.0
        Dropout before every linear layer but the first.
    activation : str, default "relu"
        One of ``ACTIVATIONS.names()``.

    Raises
    ------
    ValueError
        On a non-positive width, a negative ``n_layers``, a dropout outside ``[0, 1)`` or
        an unknown activation.
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        *,
        hidden: int = 300,
        n_layers: int = 1,
        dropout: float = 0.0,
        activation: str = "relu",
    ):
        check_positive_int("input_dim", input_dim)
        check_positive_int("output_dim", output_dim)
        check_positive_int("hidden", hidden)
        check_positive_int("n_layers", n_layers, minimum=0)
        check_dropout(dropout)
        act = ACTIVATIONS.get(activation)
        dims = [input_dim] + [hidden] * n_layers + [output_dim]
        layers: list[nn.Module] = [nn.Linear(dims[0], dims[1])]
        for d_in, d_out in zip(dims[1:-1], dims[2:]):
            layers += [act(), nn.Dropout(dropout), nn.Linear(d_in, d_out)]
        super().__init__(*layers)
        self.input_dim, self.output_dim = input_dim, output_dim


class _Head(nn.Module):
    def __init__(self, input_dim: int, n_tasks: int, n_outputs: int, **ffn):
        super().__init__()
        check_positive_int("n_tasks", n_tasks)
        self.input_dim, self.n_tasks = input_dim, n_tasks
        self.ffn = FFN(input_dim, n_outputs, **ffn)

    def activate(self, output: Tensor) -> Tensor:
        """Turn raw outputs of ``forward`` into predictions (identity here)."""
        return output


@TASKS.register("regression")
class RegressionHead(_Head):
    """Regression head, optionally with a mean-variance (Gaussian) output.

    Parameters
    ----------
    input_dim : int
        Width of the graph embedding.
    n_tasks : int
        Number of regression targets.
    mean_variance : bool, default False
        Also predict a variance per target (through softplus) for a Gaussian NLL loss.
    hidden, n_layers, dropout, activation
        Passed to :class:`FFN`.

    Returns
    -------
    forward(z) : Tensor
        ``n_graphs x n_tasks``; with ``mean_variance``, ``n_graphs x n_tasks x 2`` holding
        the mean in ``[..., 0]`` and the (positive) variance in ``[..., 1]``.

    Raises
    ------
    ValueError
        On invalid dimensions or FFN settings.
    """

    def __init__(
        self,
        input_dim: int,
        n_tasks: int,
        *,
        mean_variance: bool = False,
        hidden: int = 300,
        n_layers: int = 1,
        dropout: float = 0.0,
        activation: str = "relu",
    ):
        n_out = 2 * n_tasks if mean_variance else n_tasks
        super().__init__(input_dim, n_tasks, n_out, hidden=hidden, n_layers=n_layers, dropout=dropout, activation=activation)
        self.mean_variance = bool(mean_variance)

    def forward(self, z: Tensor) -> Tensor:
        out = self.ffn(z)
        if not self.mean_variance:
            return out
        mean, raw_var = out.view(-1, self.n_tasks, 2).unbind(-1)
        return torch.stack([mean, F.softplus(raw_var)], dim=-1)


@TASKS.register("binary")
class BinaryHead(_Head):
    """Binary classification head: one logit per task.

    Parameters
    ----------
    input_dim : int
        Width of the graph embedding.
    n_tasks : int
        Number of binary tasks.
    hidden, n_layers, dropout, activation
        Passed to :class:`FFN`.

    Returns
    -------
    forward(z) : Tensor
        ``n_graphs x n_tasks`` logits; ``activate`` applies a sigmoid.
    """

    def __init__(
        self,
        input_dim: int,
        n_tasks: int,
        *,
        hidden: int = 300,
        n_layers: int = 1,
        dropout: float = 0.0,
        activation: str = "relu",
    ):
        super().__init__(input_dim, n_tasks, n_tasks, hidden=hidden, n_layers=n_layers, dropout=dropout, activation=activation)

    def forward(self, z: Tensor) -> Tensor:
        return self.ffn(z)

    def activate(self, output: Tensor) -> Tensor:
        """Probabilities, ``n_graphs x n_tasks``."""
        return torch.sigmoid(output)


@TASKS.register("multiclass")
class MulticlassHead(_Head):
    """Multiclass classification head: ``n_classes`` logits per task.

    Parameters
    ----------
    input_dim : int
        Width of the graph embedding.
    n_tasks : int
        Number of classification tasks.
    n_classes : int
        Number of classes per task (``>= 2``).
    hidden, n_layers, dropout, activation
        Passed to :class:`FFN`.

    Returns
    -------
    forward(z) : Tensor
        ``n_graphs x n_tasks x n_classes`` logits; ``activate`` applies a softmax over classes.

    Raises
    ------
    ValueError
        If ``n_classes < 2`` or on invalid dimensions or FFN settings.
    """

    def __init__(
        self,
        input_dim: int,
        n_tasks: int,
        n_classes: int,
        *,
        hidden: int = 300,
        n_layers: int = 1,
        dropout: float = 0.0,
        activation: str = "relu",
    ):
        check_positive_int("n_classes", n_classes, minimum=2)
        check_positive_int("n_tasks", n_tasks)
        super().__init__(
            input_dim,
            n_tasks,
            n_tasks * n_classes,
            hidden=hidden,
            n_layers=n_layers,
            dropout=dropout,
            activation=activation,
        )
        self.n_classes = n_classes

    def forward(self, z: Tensor) -> Tensor:
        return self.ffn(z).view(-1, self.n_tasks, self.n_classes)

    def activate(self, output: Tensor) -> Tensor:
        """Class probabilities, ``n_graphs x n_tasks x n_classes``."""
        return torch.softmax(output, dim=-1)
