"""Training chunks that each sample the whole file: a streamed, resumable global shuffle.

Large SMILES files are often ordered (MOSES's training set keeps analogue series together),
so shuffling within chunks of consecutive rows leaves the model following the file's local
mix. Here every row is hashed, with the seed and epoch, into one of ``n_buckets`` buckets of
about ``chunk_size`` rows; a bucket is a uniform random sample of the file and is read in a
streaming pass that keeps only its rows. One pass fills :data:`BUCKETS_PER_PASS` buckets,
so an epoch costs ``n_buckets / BUCKETS_PER_PASS`` reads of the file and never holds more
than that many buckets in memory. A bucket depends only on ``(seed, epoch, index)``, so a
run resumes at any bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from molgen.generate.data_stream import iter_smiles_chunks

__all__ = ["BUCKETS_PER_PASS", "iter_buckets", "n_buckets", "row_buckets", "validation_rows"]

#: Buckets collected per pass over the file.
BUCKETS_PER_PASS = 8
_READ_ROWS = 200_000
_MASK = np.uint64(2**64 - 1)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: a well-mixed 64-bit hash of each value."""
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK
        return x ^ (x >> np.uint64(31))


def row_buckets(rows: np.ndarray, *, seed: int, epoch: int, n_buckets: int) -> np.ndarray:
    """Bucket of each global row index for one epoch (int64, in ``[0, n_buckets)``)."""
    key = _splitmix64(np.uint64(seed & (2**64 - 1)) ^ _splitmix64(np.uint64(epoch)))
    return (_splitmix64(np.asarray(rows, dtype=np.uint64) ^ key) % np.uint64(n_buckets)).astype(np.int64)


def n_buckets(n_train: int, chunk_size: int) -> int:
    """Buckets per epoch: about ``chunk_size`` training rows each."""
    return max(1, -(-int(n_train) // int(chunk_size)))


def validation_rows(n_rows: int, val_size: int, seed: int) -> np.ndarray:
    """Sorted indices of ``val_size`` rows drawn at random from the whole file."""
    if val_size <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(int(n_rows), size=int(val_size), replace=False)).astype(np.int64)


def iter_buckets(
    path: Path, *, smiles_col, seed: int, epoch: int, buckets: int, start: int = 0, exclude: np.ndarray | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(bucket, smiles)`` for buckets ``start, start + 1, ..., buckets - 1``.

    Rows of a bucket come in file order (the caller shuffles them). Rows whose global index
    is in ``exclude`` (sorted; the validation rows) are left out.
    """
    exclude = np.zeros(0, dtype=np.int64) if exclude is None else np.asarray(exclude, dtype=np.int64)
    for first in range(start, buckets, BUCKETS_PER_PASS):
        wanted = range(first, min(first + BUCKETS_PER_PASS, buckets))
        found: dict[int, list[str]] = {b: [] for b in wanted}
        offset = 0
        for chunk in iter_smiles_chunks(path, chunk_size=_READ_ROWS, smiles_col=smiles_col):
            rows = np.arange(offset, offset + len(chunk), dtype=np.int64)
            offset += len(chunk)
            ids = row_buckets(rows, seed=seed, epoch=epoch, n_buckets=buckets)
            keep = (ids >= wanted.start) & (ids < wanted.stop)
            if len(exclude):
                keep &= ~np.isin(rows, exclude, assume_unique=True)
            for i in np.flatnonzero(keep):
                found[int(ids[i])].append(chunk[i])
        for b in wanted:
            yield b, found.pop(b)
