"""Structure-activity relationships of a series: R-group decomposition and Free-Wilson analysis.

:func:`decompose` splits each molecule into its core and substituents (RDKit's R-group
decomposition, the core given or found by :func:`find_core`); :class:`FreeWilson` fits
per-substituent contributions with confidence intervals and ranks the untested combinations.

Examples
--------
>>> from molgen.data import load_dataset
>>> from molgen.sar import FreeWilson, decompose
>>> frame = load_dataset("chembl2321810").frame
>>> table = decompose(frame["smiles"])  # doctest: +SKIP
>>> model = FreeWilson().fit(table, frame["pIC50"])  # doctest: +SKIP
>>> model.contributions_.head(), model.loo_rmse_, model.untested(top=10)  # doctest: +SKIP
"""

from molgen.sar.decompose import CORE_COL, NO_CORE_MATCH, assemble, decompose, find_core, position_columns
from molgen.sar.free_wilson import FreeWilson

__all__ = ["CORE_COL", "NO_CORE_MATCH", "FreeWilson", "assemble", "decompose", "find_core", "position_columns"]
