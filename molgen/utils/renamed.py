"""Keep renamed names working under their old names, with a ``DeprecationWarning``: subpackages and keywords."""

import functools
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


def renamed_keywords(removed_in: str = "0.2", **renames: str):
    """Decorator: keep each old keyword (``old="new"``) working, with a ``DeprecationWarning``.

    The warning points at the caller. Passing both the old and the new name is a ``TypeError``.

    Examples
    --------
    >>> @renamed_keywords(n_members="ensemble_size")
    ... def fit(*, ensemble_size=3):
    ...     return ensemble_size
    >>> import warnings
    >>> with warnings.catch_warnings(record=True):
    ...     fit(n_members=2)
    2
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise TypeError(f"{func.__name__}() got both {old!r} and its new name {new!r}")
                warnings.warn(
                    f"{func.__name__}({old}=...) is deprecated; use {new}= (the old name goes in molgen {removed_in})",
                    DeprecationWarning,
                    stacklevel=2,
                )
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate
