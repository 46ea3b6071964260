"""Applicability domain: nearest-neighbour Tanimoto similarity of queries to a training set."""

import numpy as np

from molgen.utils.bits import popcount_tanimoto_blocks


def _rows_as_float(block: np.ndarray, packed: bool, n_bits: int, name: str) -> np.ndarray:
    """A block of fingerprint rows as float32 0/1 (NaN rows kept as NaN)."""
    if packed:
        return np.unpackbits(block, axis=1, count=n_bits).astype(np.float32)
    out = np.asarray(block, dtype=np.float32)
    finite = np.isfinite(out)
    if np.any(finite & (out != 0) & (out != 1)):
        raise ValueError(f"{name} must hold 0/1 bits; pass packed=True for np.packbits output")
    return out


def _check(fps, packed: bool, name: str) -> np.ndarray:
    arr = fps if isinstance(fps, np.ndarray) else np.asarray(fps)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_molecules, n_bits), got shape {arr.shape}")
    if packed and arr.dtype != np.uint8:
        raise ValueError(f"packed {name} must be uint8 (np.packbits output), got {arr.dtype}")
    return arr


#: Up to this many query x training pairs, packed inputs are compared by popcount on 64-bit
#: words (no unpacking: fast for the small batches of interactive scoring); beyond it, by
#: float32 matrix products, which BLAS does faster.
_POPCOUNT_MAX_PAIRS = 4_000_000


def _max_tanimoto_popcount(query, train, ok) -> tuple[np.ndarray, np.ndarray]:
    best = np.full(len(query), np.nan)
    best_idx = np.full(len(query), -1, dtype=np.int64)
    for q0, sim in popcount_tanimoto_blocks(query, train):
        arg = sim.argmax(axis=1)
        rows_ok = ok[q0 : q0 + len(sim)]
        best[q0 : q0 + len(sim)] = np.where(rows_ok, sim[np.arange(len(sim)), arg], np.nan)
        best_idx[q0 : q0 + len(sim)] = np.where(rows_ok, arg, -1)
    return best, best_idx


def max_tanimoto(
    query_fps,
    train_fps,
    *,
    packed: bool = False,
    valid=None,
    chunk_size: int = 1024,
    train_chunk_size: int = 4096,
    return_index: bool = False,
):
    """Maximum Tanimoto similarity of each query fingerprint to a training set.

    Intersections are counted with float32 matrix products of 0/1 blocks (exact for up to
    2**24 bits), so memory stays near ``4 * n_bits * (chunk_size + train_chunk_size)
    + 16 * chunk_size * train_chunk_size`` bytes (about 100 MB at the defaults with 2048
    bits) however many rows there are; the training set itself is kept as given (pack it
    with ``np.packbits`` to hold 100k fingerprints in 26 MB). Queries may be a memory-mapped array
    (``np.load(path, mmap_mode="r")``); they are read one chunk at a time.

    Parameters
    ----------
    query_fps : array-like of shape (n_query, n_bits), or (n_query, n_bits / 8) if packed
        Query fingerprints as 0/1 rows (uint8, bool, int or float). A float row containing
        NaN (a molecule that failed to featurize) counts as invalid.
    train_fps : array-like of shape (n_train, n_bits), or (n_train, n_bits / 8) if packed
        Training-set fingerprints; must not contain NaN.
    packed : bool
        Both inputs are ``np.packbits(bits, axis=1)`` output (uint8, 8 bits per byte).
    valid : array-like of bool, shape (n_query,), optional
        ``False`` marks a query row whose result should be NaN (e.g. an invalid SMILES).
    chunk_size, train_chunk_size : int
        Rows of queries / training fingerprints processed per block.
    return_index : bool
        Also return the index of the most similar training row (first on ties).

    Returns
    -------
    similarity : ndarray of float64, shape (n_query,)
        In [0, 1]; NaN for invalid rows. Two all-zero fingerprints have similarity 0,
        as in RDKit.
    index : ndarray of int64, shape (n_query,)
        Only with ``return_index``; -1 for invalid rows.

    Raises
    ------
    ValueError
        If shapes disagree, the training set is empty or has NaN, unpacked values are not
        0/1, or ``valid`` has the wrong length.

    Examples
    --------
    >>> train = np.array([[1, 1, 0, 0], [0, 1, 1, 1]], dtype=np.uint8)
    >>> max_tanimoto(np.array([[1, 1, 1, 0]], dtype=np.uint8), train)
    array([0.66666667])
    """
    for size, label in ((chunk_size, "chunk_size"), (train_chunk_size, "train_chunk_size")):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"{label} must be a positive int, got {size!r}")
    query, train = _check(query_fps, packed, "query_fps"), _check(train_fps, packed, "train_fps")
    if query.shape[1] != train.shape[1]:
        raise ValueError(f"query_fps has {query.shape[1]} columns but train_fps has {train.shape[1]}")
    if len(train) == 0:
        raise ValueError("train_fps is empty")
    n_bits = 8 * train.shape[1] if packed else train.shape[1]
    n_query = len(query)
    ok = np.ones(n_query, dtype=bool)
    if valid is not None:
        ok = np.asarray(valid, dtype=bool).ravel()
        if len(ok) != n_query:
            raise ValueError(f"valid has {len(ok)} entries for {n_query} query rows")

    if packed and hasattr(np, "bitwise_count") and n_query * len(train) <= _POPCOUNT_MAX_PAIRS:
        best, best_idx = _max_tanimoto_popcount(query, train, ok)
        return (best, best_idx) if return_index else best

    train_blocks = []  # (start, counts) per block; bits are re-expanded per query chunk
    for start in range(0, len(train), train_chunk_size):
        bits = _rows_as_float(train[start : start + train_chunk_size], packed, n_bits, "train_fps")
        if np.isnan(bits).any():
            raise ValueError("train_fps contains NaN rows; drop the failed molecules first")
        train_blocks.append((start, bits.sum(axis=1)))

    best = np.full(n_query, np.nan)
    best_idx = np.full(n_query, -1, dtype=np.int64)
    for q0 in range(0, n_query, chunk_size):
        q = _rows_as_float(query[q0 : q0 + chunk_size], packed, n_bits, "query_fps")
        rows_ok = ok[q0 : q0 + len(q)] & np.isfinite(q).all(axis=1)
        q = np.where(rows_ok[:, None], q, 0.0).astype(np.float32)
        q_counts = q.sum(axis=1)
        top = np.full(len(q), -1.0)
        top_idx = np.full(len(q), -1, dtype=np.int64)
        for t0, t_counts in train_blocks:
            t = _rows_as_float(train[t0 : t0 + train_chunk_size], packed, n_bits, "train_fps")
            common = q @ t.T
            union = q_counts[:, None] + t_counts[None, :] - common
            sim = np.divide(common, union, out=np.zeros_like(common), where=union > 0)
            arg = sim.argmax(axis=1)
            rows = np.arange(len(q))
            num, den = common[rows, arg].astype(np.float64), union[rows, arg].astype(np.float64)
            val = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
            better = val > top
            top[better], top_idx[better] = val[better], arg[better] + t0
        best[q0 : q0 + len(q)] = np.where(rows_ok, top, np.nan)
        best_idx[q0 : q0 + len(q)] = np.where(rows_ok, top_idx, -1)
    return (best, best_idx) if return_index else best
