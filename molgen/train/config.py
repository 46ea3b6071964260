"""Fitting defaults: how one member trains (:class:`TrainConfig`) and how a model is fitted (:class:`FitConfig`).

These dataclasses are the one source of the defaults that :func:`molgen.efficacy.fit_efficacy_model`,
``molgen train``, ``molgen run`` (``[model]``) and the Ray jobs use. The module imports nothing heavy,
so the command line reads them without loading torch.
"""

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


@dataclass(frozen=True, kw_only=True)
class FitConfig:
    """How an efficacy model is fitted around its members' training (:class:`TrainConfig`).

    Each field is a keyword of :func:`molgen.efficacy.fit_efficacy_model`, which takes its
    default from here, as do ``molgen train``, ``molgen run`` and the Ray jobs.

    Parameters
    ----------
    ensemble_size : int, default 3
        Members, differing in their seed; their spread is the uncertainty.
    split_method : str, default "scaffold"
        How the test part is split off (a ``molgen.data.SPLITTERS`` name).
    valid_split : str or None, default None
        How the valid (early-stopping) and calibration parts are split off the rest; ``None`` is ``"random"``.
    sizes : four floats, default (0.7, 0.1, 0.1, 0.1)
        Train, valid, calibration and test shares.
    coverage : float, default 0.9
        Coverage of the conformal intervals (regression).
    kernel : str or None, default "tanimoto"
        The kernel ridge member blended in (regression); ``None`` for none.
    forest : bool, default False
        Also blend a random forest (regression).
    refit : bool, default True
        Refit the fingerprint members on every labelled molecule once the intervals are
        calibrated and the test metrics measured (regression).

    Raises
    ------
    ValueError
        ``ensemble_size`` below 1, or ``coverage`` outside (0, 1).
    """

    ensemble_size: int = 3
    split_method: str = "scaffold"
    valid_split: str | None = None
    sizes: tuple[float, float, float, float] = (0.7, 0.1, 0.1, 0.1)
    coverage: float = 0.9
    kernel: str | None = "tanimoto"
    forest: bool = False
    refit: bool = True

    def __post_init__(self):
        if int(self.ensemble_size) < 1:
            raise ValueError(f"ensemble_size must be >= 1, got {self.ensemble_size!r}")
        if not 0 < self.coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got {self.coverage!r}")

    def to_dict(self) -> dict:
        return asdict(self)
