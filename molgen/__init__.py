"""molgen: molecular modeling for drug discovery.

Subpackages are imported on first use, so ``import molgen`` stays fast and quiet.
"""

import importlib

from molgen._version import __version__

_SUBPACKAGES = ("chem", "featurize", "data", "models", "metrics", "scoring", "utils")

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"molgen.{name}")
    raise AttributeError(f"module 'molgen' has no attribute {name!r}")
