"""Training layer: the training loop, target scaling and ensembles."""

from molgen.train.config import TrainConfig
from molgen.train.ensemble import ensemble_predict, train_ensemble
from molgen.train.loop import lr_at, predict_graphs, resolve_device, train_model
from molgen.train.scaler import IdentityScaler, TargetScaler

__all__ = [
    "IdentityScaler",
    "TargetScaler",
    "TrainConfig",
    "ensemble_predict",
    "lr_at",
    "predict_graphs",
    "resolve_device",
    "train_ensemble",
    "train_model",
]
