"""Packed fingerprint bits as 64-bit words, and Tanimoto similarity by popcount."""

from collections.abc import Iterator

import numpy as np


def packed_words(packed: np.ndarray) -> np.ndarray:
    """Packed (``np.packbits``) rows as uint64 words, zero-padded to a multiple of 8 bytes."""
    arr = np.ascontiguousarray(packed, dtype=np.uint8)
    pad = (-arr.shape[1]) % 8
    if pad:
        arr = np.concatenate([arr, np.zeros((len(arr), pad), dtype=np.uint8)], axis=1)
    return arr.view(np.uint64)


def popcount_tanimoto_blocks(
    query: np.ndarray, train: np.ndarray, rows_per_block: int = 32
) -> Iterator[tuple[int, np.ndarray]]:
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
