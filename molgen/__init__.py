"""molgen: molecular modeling for drug discovery.

Subpackages are imported on first use, so ``import molgen`` stays fast and quiet.
"""

import importlib

from molgen._version import __version__

_SUBPACKAGES = (
    "chem",
    "featurize",
    "data",
    "models",
    "train",
    "efficacy",
    "metrics",
    "scoring",
    "pipeline",
    "utils",
    "distributed",
    "generate",
    "sar",
)

__all__ = ["__version__", "load_model", *_SUBPACKAGES]


def load_model(path):
    """Load a saved efficacy model directory; see :func:`molgen.efficacy.load_model`."""
    from molgen.efficacy import load_model as _load

    return _load(path)


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"molgen.{name}")
    raise AttributeError(f"module 'molgen' has no attribute {name!r}")
