"""Deprecated name of :mod:`molgen.generate.moses` (renamed in 0.1.1: it holds the MOSES metrics)."""

from molgen.utils.renamed import alias_package

_SUBMODULES = ("chemnet", "evaluate", "molecule", "moses_stats", "plots", "reference", "similarity")
alias_package("molgen.generate.metrics", "molgen.generate.moses", {name: name for name in _SUBMODULES})
