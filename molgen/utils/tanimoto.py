"""Tanimoto similarity of fingerprint rows: the one home for every Tanimoto computation.

Rows are 0/1 bits, or ``np.packbits(bits, axis=1)`` output (uint8, 8 bits a byte).
Intersections are counted exactly: by popcount on 64-bit words for small packed inputs,
else by float32 products of 0/1 rows (exact to 2**24 bits). Similarities are divided in
float64, and two all-zero rows have similarity 0, as RDKit's ``TanimotoSimilarity``;
:func:`tanimoto_tiles` alone follows MOSES instead (see there).

numpy only (torch is imported by :func:`tanimoto_tiles` when called) and no RDKit, so
:mod:`molgen.models` and :mod:`molgen.metrics` can use it.
"""

from collections.abc import Iterator

import numpy as np

__all__ = [
    "POPCOUNT_MAX_PAIRS",
    "max_tanimoto",
    "packed_words",
    "popcount_tanimoto_blocks",
    "tanimoto_blocks",
    "tanimoto_matrix",
    "tanimoto_neighbors",
    "tanimoto_tiles",
]

#: Up to this many query x training pairs, packed rows are compared by popcount on 64-bit
#: words (no unpacking: fast for the small batches of interactive scoring); beyond it, by
#: float32 matrix products, which BLAS does faster.
POPCOUNT_MAX_PAIRS = 4_000_000


def _use_popcount(n_pairs: int) -> bool:
    return hasattr(np, "bitwise_count") and n_pairs <= POPCOUNT_MAX_PAIRS


def packed_words(packed: np.ndarray) -> np.ndarray:
    """Packed (``np.packbits``) rows as uint64 words, zero-padded to a multiple of 8 bytes."""
    arr = np.ascontiguousarray(packed, dtype=np.uint8)
    pad = (-arr.shape[1]) % 8
    if pad:
        arr = np.concatenate([arr, np.zeros((len(arr), pad), dtype=np.uint8)], axis=1)
    return arr.view(np.uint64)


def popcount_tanimoto_blocks(query: np.ndarray, train: np.ndarray, rows_per_block: int = 32) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, similarities)`` for blocks of packed query rows against all packed training rows.

    Each block is a float64 ``rows x len(train)`` Tanimoto matrix; two all-zero rows have
    similarity 0, as in RDKit. Needs ``np.bitwise_count`` (numpy >= 2).
    """
    q, t = packed_words(query), packed_words(train)
    q_counts = np.bitwise_count(q).sum(axis=1, dtype=np.int64)
    t_counts = np.bitwise_count(t).sum(axis=1, dtype=np.int64)
    for start in range(0, len(q), rows_per_block):
        block = q[start : start + rows_per_block]
        common = np.bitwise_count(block[:, None, :] & t[None, :, :]).sum(axis=2, dtype=np.int64)
        union = q_counts[start : start + len(block), None] + t_counts[None, :] - common
        yield start, np.divide(common, union, out=np.zeros(common.shape), where=union > 0)


def _as_bits(block: np.ndarray, packed: bool) -> np.ndarray:
    return np.unpackbits(block, axis=1).astype(np.float32) if packed else np.asarray(block, dtype=np.float32)


def tanimoto_blocks(
    query: np.ndarray, train: np.ndarray, *, packed: bool = False, rows_per_block: int = 1024
) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, similarities)`` for blocks of query rows against all training rows, by matrix products.

    Like :func:`popcount_tanimoto_blocks` (float64 blocks, 0 for two all-zero rows) but
    counts intersections with float32 products of 0/1 rows; packed rows are unpacked
    (all ``8 * n_bytes`` bits) one block at a time.
    """
    t = _as_bits(train, packed)
    t_counts = t.sum(axis=1, dtype=np.float64)
    for start in range(0, len(query), rows_per_block):
        q = _as_bits(query[start : start + rows_per_block], packed)
        common = (q @ t.T).astype(np.float64)  # exact integer counts
        union = q.sum(axis=1, dtype=np.float64)[:, None] + t_counts[None, :] - common
        yield start, np.divide(common, union, out=np.zeros_like(common), where=union > 0)


def tanimoto_matrix(query: np.ndarray, train: np.ndarray, *, chunk_size: int = 4096) -> np.ndarray:
    """Tanimoto similarities between packed fingerprint rows (``np.packbits`` output).

    Parameters
    ----------
    query, train : numpy.ndarray
        ``n_query x n_bytes`` and ``n_train x n_bytes`` uint8 packed rows.
    chunk_size : int
        Query rows per matrix product (the path for more than :data:`POPCOUNT_MAX_PAIRS` pairs).

    Returns
    -------
    numpy.ndarray
        float64 ``n_query x n_train``; two all-zero rows have similarity 0, as in RDKit.

    Raises
    ------
    ValueError
        For inputs that are not 2-D uint8 or whose widths differ.
    """
    query, train = np.asarray(query), np.asarray(train)
    if query.ndim != 2 or train.ndim != 2 or query.dtype != np.uint8 or train.dtype != np.uint8:
        raise ValueError("tanimoto_matrix expects 2-D uint8 packed fingerprints")
    if query.shape[1] != train.shape[1]:
        raise ValueError(f"query has {query.shape[1]} bytes per row but train has {train.shape[1]}")
    if _use_popcount(len(query) * len(train)):
        blocks = popcount_tanimoto_blocks(query, train)
    else:
        blocks = tanimoto_blocks(query, train, packed=True, rows_per_block=chunk_size)
    out = np.empty((len(query), len(train)), dtype=np.float64)
    for start, sim in blocks:
        out[start : start + len(sim)] = sim
    return out


def tanimoto_neighbors(bits: np.ndarray, cutoff: float) -> list[np.ndarray]:
    """Rows within Tanimoto distance ``cutoff`` (``1 - similarity <= cutoff``) of each row.

    ``bits`` is an ``n x n_bits`` 0/1 matrix; each row counts as its own neighbour. The
    similarities equal RDKit's ``TanimotoSimilarity`` (0 for two empty fingerprints).
    Memory stays near ``8 * n * min(1024, 4e6 / n)`` bytes a block.
    """
    n = len(bits)
    neighbors = []
    for start, sim in tanimoto_blocks(bits, bits, rows_per_block=max(16, min(1024, 4_000_000 // n))):
        distance = 1.0 - sim
        distance[np.arange(len(sim)), np.arange(start, start + len(sim))] = 0.0
        neighbors.extend(np.flatnonzero(row <= cutoff) for row in distance)
    return neighbors


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

    if packed and _use_popcount(n_query * len(train)):
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
            arg = sim.argmax(axis=1)  # float32 ranks; the value is recomputed in float64
            rows = np.arange(len(q))
            num, den = common[rows, arg].astype(np.float64), union[rows, arg].astype(np.float64)
            val = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
            better = val > top
            top[better], top_idx[better] = val[better], arg[better] + t0
        best[q0 : q0 + len(q)] = np.where(rows_ok, top, np.nan)
        best_idx[q0 : q0 + len(q)] = np.where(rows_ok, top_idx, -1)
    return (best, best_idx) if return_index else best


def tanimoto_tiles(
    rows: np.ndarray, cols: np.ndarray, *, tile_size: int = 5000, device: str = "cpu"
) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(row_start, col_start, similarities)`` tiles of a 0/1 ``rows x cols`` Tanimoto matrix,
    computed with torch on ``device``, row blocks outermost.

    The MOSES convention (``moses.metrics.utils.average_agg_tanimoto``), not RDKit's: the
    ratio is taken in float32 and two all-zero rows have similarity 1. Tiles are float64
    numpy arrays of at most ``tile_size x tile_size``.
    """
    import torch

    col_blocks = [
        (i, torch.from_numpy(cols[i : i + tile_size]).to(device=device, dtype=torch.float32).T) for i in range(0, len(cols), tile_size)
    ]
    col_counts = [block.sum(0, keepdim=True) for _, block in col_blocks]
    for j in range(0, len(rows), tile_size):
        row = torch.from_numpy(rows[j : j + tile_size]).to(device=device, dtype=torch.float32)
        row_count = row.sum(1, keepdim=True)
        for (i, col), col_count in zip(col_blocks, col_counts):
            both = row @ col
            sim = (both / (row_count + col_count - both)).double().cpu().numpy()
            sim[np.isnan(sim)] = 1.0
            yield j, i, sim
