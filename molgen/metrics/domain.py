"""Applicability domain: nearest-neighbour Tanimoto similarity of queries to a training set.

:func:`max_tanimoto` lives in :mod:`molgen.utils.tanimoto`, with the other Tanimoto code.
"""

from molgen.utils.tanimoto import max_tanimoto

__all__ = ["max_tanimoto"]
