"""Deprecated name of :mod:`molgen.efficacy` (renamed in 0.1.1: the package fits as well as predicts)."""

from molgen.utils.renamed import alias_package

alias_package(
    "molgen.predict",
    "molgen.efficacy",
    {
        "attribution": "attribution",
        "blend": "blend",
        "checkpoint": "checkpoint",
        "domain": "domain",
        "efficacy": "model",
        "fit": "fit",
        "prepare": "prepare",
    },
)
