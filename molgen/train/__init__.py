"""Training layer: the training loop, target scaling and ensembles.

Names load on first use (as ``molgen``'s subpackages do), so the configs in
:mod:`molgen.train.config` import without torch: the command line reads its defaults there.
"""

import importlib

#: public name -> the module of molgen.train that defines it
_HOMES = {
    "FitConfig": "config",
    "TrainConfig": "config",
    "ensemble_predict": "ensemble",
    "train_ensemble": "ensemble",
    "lr_at": "loop",
    "predict_graphs": "loop",
    "resolve_device": "loop",
    "train_model": "loop",
    "IdentityScaler": "scaler",
    "TargetScaler": "scaler",
}

__all__ = sorted(_HOMES)


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(f"molgen.train.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'molgen.train' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__})
