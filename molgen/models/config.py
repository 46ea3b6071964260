"""``ModelConfig``: the plain hyperparameters of a molecule model, storable as JSON."""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from molgen.models._graph import check_dropout, check_positive_int
from molgen.models.encoders import ENCODERS
from molgen.models.heads import ACTIVATIONS, TASKS
from molgen.models.readout import READOUTS

__all__ = ["ModelConfig"]

DEFAULT_READOUT = "norm"


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """Hyperparameters of a :class:`~molgen.models.MoleculeModel`; all plain JSON values.

    Build the model with :func:`~molgen.models.build_model`. Store it in a checkpoint
    with ``to_dict()`` and read it back with ``from_dict()``.

    Parameters
    ----------
    atom_dim : int
        Width of ``batch.x`` (the featurizer's ``ATOM_FDIM``). Required.
    bond_dim : int
        Width of ``batch.edge_attr`` (the featurizer's ``BOND_FDIM``). Required.
    encoder : str, default "dmpnn"
        ``"dmpnn"``, ``"gine"`` or ``"attentivefp"``.
    hidden : int, default 300
        Encoder width.
    depth : int, default 3
        Encoder depth (D-MPNN: number of edge states; GINE / AttentiveFP: layers).
    dropout : float, default 0.0
        Dropout in the encoder and the FFN head.
    readout : str or None, default None
        ``"sum"``, ``"mean"`` or ``"norm"``. ``None`` picks ``"norm"`` for atom-level
        encoders and stays ``None`` for ``"attentivefp"``, which has its own attention
        readout (naming a readout with it raises ``ValueError``). Stored resolved.
    readout_norm : float, default 100.0
        Divisor of the ``"norm"`` readout.
    descriptor_dim : int, default 0
        Width of ``batch.descriptors`` appended after the readout; 0 for none.
    batch_norm : bool, default False
        Batch-normalize the graph embedding after the readout. It speeds up early epochs
        (CHEMBL2321810, random split, 30 epochs: test RMSE 0.76 without, 0.51 with), but
        the validation loss then swings and members stop early; without it, and with 100
        epochs, molgen's default model is better on the bioactivity benchmark (both splits)
        and somewhat worse on FreeSolv and solubility (BENCHMARKS.md, "No batch norm, 100
        epochs"). Physico-chemical endpoints may do better with it on.
    ffn_layers : int, default 1
        Hidden layers of the FFN head (0: a single linear layer).
    ffn_hidden : int, default 300
        Width of the FFN hidden layers.
    ffn_activation : str, default "relu"
        Activation of the FFN head (see ``ACTIVATIONS.names()``).
    task : str, default "regression"
        ``"regression"``, ``"binary"`` or ``"multiclass"``.
    n_tasks : int, default 1
        Number of targets.
    n_classes : int or None, default None
        Classes per task; required (``>= 2``) for ``"multiclass"``, ``None`` otherwise.
    mean_variance : bool, default False
        Regression only: also predict a variance per target.

    Raises
    ------
    ValueError
        On any invalid value or combination; unknown names list the valid choices.

    Examples
    --------
    >>> config = ModelConfig(atom_dim=40, bond_dim=12, hidden=64)
    >>> config.readout
    'norm'
    >>> ModelConfig.from_dict(config.to_dict()) == config
    True
    """

    atom_dim: int
    bond_dim: int
    encoder: str = "dmpnn"
    hidden: int = 300
    depth: int = 3
    dropout: float = 0.0
    readout: str | None = None
    readout_norm: float = 100.0
    descriptor_dim: int = 0
    batch_norm: bool = False
    ffn_layers: int = 1
    ffn_hidden: int = 300
    ffn_activation: str = "relu"
    task: str = "regression"
    n_tasks: int = 1
    n_classes: int | None = None
    mean_variance: bool = False

    def __post_init__(self):
        for name in ("atom_dim", "bond_dim", "hidden", "depth", "ffn_hidden", "n_tasks"):
            check_positive_int(name, getattr(self, name))
        check_positive_int("descriptor_dim", self.descriptor_dim, minimum=0)
        check_positive_int("ffn_layers", self.ffn_layers, minimum=0)
        self._set("dropout", check_dropout(self.dropout))
        norm = self.readout_norm
        if isinstance(norm, bool) or not isinstance(norm, (int, float)) or not norm > 0:
            raise ValueError(f"readout_norm must be a positive number, got {norm!r}")
        self._set("readout_norm", float(norm))

        for field, registry in (("encoder", ENCODERS), ("task", TASKS), ("ffn_activation", ACTIVATIONS)):
            value = getattr(self, field)
            registry.get(value)  # raises ValueError listing the choices
            self._set(field, value.lower())

        if ENCODERS.get(self.encoder).graph_level:
            if self.readout is not None:
                raise ValueError(f"encoder {self.encoder!r} has its own attention readout; leave readout as None, got {self.readout!r}")
        else:
            readout = DEFAULT_READOUT if self.readout is None else self.readout
            READOUTS.get(readout)
            self._set("readout", readout.lower())

        if self.task == "multiclass":
            check_positive_int("n_classes", self.n_classes, minimum=2)
        elif self.n_classes is not None:
            raise ValueError(f"n_classes is only used with task='multiclass'; got {self.n_classes!r} for {self.task!r}")
        if not isinstance(self.batch_norm, bool):
            raise ValueError(f"batch_norm must be a bool, got {self.batch_norm!r}")
        if not isinstance(self.mean_variance, bool):
            raise ValueError(f"mean_variance must be a bool, got {self.mean_variance!r}")
        if self.mean_variance and self.task != "regression":
            raise ValueError(f"mean_variance is only used with task='regression', got task={self.task!r}")

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        """All fields as a dict of plain JSON values (``json.dumps`` works on it)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ModelConfig":
        """Build a config from ``to_dict()`` output.

        Parameters
        ----------
        data : Mapping
            Field name -> value. Missing optional fields take their defaults.

        Returns
        -------
        ModelConfig

        Raises
        ------
        TypeError
            If ``data`` is not a mapping.
        ValueError
            If a key is unknown or a required key is missing (the message lists the
            valid keys), or a value is invalid.
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"expected a mapping of ModelConfig fields, got {type(data).__name__}")
        fields = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ValueError(f"unknown ModelConfig keys {unknown}; valid keys: {', '.join(fields)}")
        required = [
            f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        missing = [name for name in required if name not in data]
        if missing:
            raise ValueError(f"missing required ModelConfig keys {missing}; valid keys: {', '.join(fields)}")
        return cls(**data)
