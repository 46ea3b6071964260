"""Keep third-party noise away from the user without global side effects."""

import contextlib
import importlib
import io
import logging
import warnings


@contextlib.contextmanager
def rdkit_quiet():
    """Silence RDKit's C++ log for the enclosed block only (``rdBase.BlockLogs``)."""
    from rdkit import rdBase

    block = rdBase.BlockLogs()
    try:
        yield
    finally:
        del block


def quiet_import(name: str):
    """Import ``name`` with its import-time prints, warnings and log records swallowed.

    DeepChem prints and logs a dozen lines about optional backends on import; this keeps
    them from the user. Errors still propagate.
    """
    if name in _CACHE:
        return _CACHE[name]
    root = logging.getLogger()
    old_level = root.level
    loggers = [logging.getLogger(n) for n in ("deepchem", "tensorflow", "jax", "absl")]
    old = [lg.level for lg in loggers]
    sink = io.StringIO()
    try:
        root.setLevel(logging.CRITICAL)
        for lg in loggers:
            lg.setLevel(logging.CRITICAL)
        with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            warnings.simplefilter("ignore")
            module = importlib.import_module(name)
    finally:
        root.setLevel(old_level)
        for lg, level in zip(loggers, old):
            lg.setLevel(level)
    _CACHE[name] = module
    return module


_CACHE: dict = {}
