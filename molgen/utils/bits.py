"""Packed fingerprint bits as 64-bit words, for popcount similarity."""

import numpy as np


def packed_words(packed: np.ndarray) -> np.ndarray:
    """Packed (``np.packbits``) rows as uint64 words, zero-padded to a multiple of 8 bytes."""
    arr = np.ascontiguousarray(packed, dtype=np.uint8)
    pad = (-arr.shape[1]) % 8
    if pad:
        arr = np.concatenate([arr, np.zeros((len(arr), pad), dtype=np.uint8)], axis=1)
    return arr.view(np.uint64)
