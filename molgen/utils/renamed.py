"""Keep a renamed subpackage importable under its old name, with a ``DeprecationWarning``."""

import importlib
import sys
import warnings


def alias_package(old: str, new: str, submodules: dict[str, str], *, removed_in: str = "0.2") -> None:
    """Make ``old`` and ``old.<sub>`` the same module objects as ``new`` and ``new.<submodules[sub]>``.

    Called from the old package's ``__init__``, so it warns once per process.
    """
    warnings.warn(
        f"{old} was renamed to {new}; the old name goes in molgen {removed_in}",
        DeprecationWarning,
        stacklevel=3,
    )
    package = importlib.import_module(new)
    for old_sub, new_sub in submodules.items():
        sys.modules[f"{old}.{old_sub}"] = importlib.import_module(f"{new}.{new_sub}")
    sys.modules[old] = package
