"""Training hyperparameters: a frozen dataclass that round-trips through JSON."""

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """How one ensemble member is trained.

    The learning rate rises linearly from ``init_lr`` to ``max_lr`` over ``warmup_epochs``,
    then decays exponentially to ``final_lr`` at ``epochs`` (Chemprop's Noam-like schedule).
    Training stops early when the validation loss has not improved for ``patience`` epochs;
    the best epoch's weights are kept.
    """

    epochs: int = 100
    batch_size: int = 50
    warmup_epochs: int = 2
    init_lr: float = 1e-4
    max_lr: float = 1e-3
    final_lr: float = 1e-4
    weight_decay: float = 0.0
    patience: int = 15
    grad_clip: float = 10.0
    seed: int = 0
    device: str = "auto"

    def __post_init__(self):
        for name in ("epochs", "batch_size", "patience"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.warmup_epochs < 0 or self.warmup_epochs >= self.epochs and self.epochs > 1:
            raise ValueError(f"warmup_epochs must be in [0, epochs), got {self.warmup_epochs}")
        if min(self.init_lr, self.max_lr, self.final_lr) <= 0:
            raise ValueError("learning rates must be > 0")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        valid = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - valid)
        if unknown:
            raise ValueError(f"unknown training option(s) {unknown}; valid: {', '.join(sorted(valid))}")
        return cls(**data)
