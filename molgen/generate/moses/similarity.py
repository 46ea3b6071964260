"""Tanimoto aggregates over fingerprint matrices: SNN and internal diversity (MOSES).

The similarities come from :func:`molgen.utils.tanimoto.tanimoto_tiles`, which follows
MOSES (float32 ratio; 1 for two empty fingerprints).
"""

from __future__ import annotations

import numpy as np

from molgen.generate.moses.molecule import FP_BITS
from molgen.utils.tanimoto import tanimoto_tiles


def unpack_fingerprints(packed) -> np.ndarray:
    """``n x 128`` packed uint8 rows (or a list of 128-byte strings) -> ``n x 1024`` 0/1 uint8."""
    if isinstance(packed, (list, tuple)):
        packed = (
            np.frombuffer(b"".join(packed), dtype=np.uint8).reshape(len(packed), -1) if packed else np.zeros((0, FP_BITS // 8), np.uint8)
        )
    return np.unpackbits(np.asarray(packed, dtype=np.uint8), axis=1)[:, :FP_BITS]


def _aggregate(ref_bits, gen_bits, *, agg, ps, batch_size, device, progress) -> list[float]:
    """One sweep over the ``n_ref x n_gen`` similarity tiles, aggregated for each power."""
    from tqdm.auto import tqdm

    n_gen = len(gen_bits)
    result = np.zeros((len(ps), n_gen), dtype=np.float64)
    total = np.zeros(n_gen, dtype=np.float64)
    tiles = tanimoto_tiles(ref_bits, gen_bits, tile_size=batch_size, device=device)
    n_tiles = -(-len(ref_bits) // batch_size) * -(-n_gen // batch_size)
    for _, i, jac in tqdm(tiles, total=n_tiles, desc=f"Tanimoto ({agg})", disable=not progress):
        stop = i + jac.shape[1]
        for row, p in enumerate(ps):
            powered = jac if p == 1 else jac**p
            if agg == "max":
                result[row, i:stop] = np.maximum(result[row, i:stop], powered.max(0))
            else:
                result[row, i:stop] += powered.sum(0)
        total[i:stop] += jac.shape[0]
    out = []
    for row, p in enumerate(ps):
        values = result[row] / total if agg == "mean" else result[row]
        out.append(float(np.mean(values if p == 1 else values ** (1.0 / p))))
    return out


def average_agg_tanimoto(
    ref_bits: np.ndarray,
    gen_bits: np.ndarray,
    *,
    agg: str = "max",
    p: int = 1,
    batch_size: int = 5000,
    device: str = "cpu",
    progress: bool = False,
) -> float:
    """For each generated fingerprint, aggregate its Tanimoto similarities to all reference
    fingerprints (``max`` or power ``mean``), then average over the generated set.

    MOSES's ``average_agg_tanimoto``: two all-zero fingerprints have similarity 1; each row's
    value is ``(agg sim^p)^(1/p)``.

    Parameters
    ----------
    ref_bits, gen_bits : numpy.ndarray of shape (n_ref, 1024) and (n_gen, 1024)
        0/1 fingerprint matrices (see :func:`unpack_fingerprints`).
    agg : {"max", "mean"}
    p : int
        Power (MOSES uses ``p != 1`` with ``agg="mean"`` only).
    batch_size : int
        Block size of the similarity matrix (``batch_size x batch_size`` floats in memory).
    device : str
        Torch device for the block products.
    progress : bool
        Show a tqdm bar over reference blocks.

    Returns
    -------
    float
        NaN when either set is empty.

    Raises
    ------
    ValueError
        Unknown ``agg`` or fingerprint widths that differ.
    """
    _check(ref_bits, gen_bits, agg)
    if len(ref_bits) == 0 or len(gen_bits) == 0:
        return float("nan")
    return _aggregate(ref_bits, gen_bits, agg=agg, ps=(p,), batch_size=batch_size, device=device, progress=progress)[0]


def _check(ref_bits, gen_bits, agg) -> None:
    if agg not in ("max", "mean"):
        raise ValueError(f"agg must be 'max' or 'mean', got {agg!r}")
    if ref_bits.shape[1:] != gen_bits.shape[1:]:
        raise ValueError(f"fingerprint widths differ: {ref_bits.shape} vs {gen_bits.shape}")


def snn(ref_bits: np.ndarray, gen_bits: np.ndarray, **kwargs) -> float:
    """Similarity to nearest neighbour: mean over generated molecules of the highest
    Tanimoto similarity to any reference molecule (Morgan r=2, 1,024 bits)."""
    return average_agg_tanimoto(ref_bits, gen_bits, agg="max", **kwargs)


def internal_diversity(bits: np.ndarray, p: int = 1, **kwargs) -> float:
    """IntDiv_p: ``1 - (1/|A|) sum_x ((1/|A|) sum_y T(x, y)^p)^(1/p)`` over all pairs of the
    set, itself included (MOSES's definition; a set of one repeated molecule scores 0)."""
    return 1.0 - average_agg_tanimoto(bits, bits, agg="mean", p=p, **kwargs)


def internal_diversities(
    bits: np.ndarray, ps=(1, 2), *, batch_size: int = 5000, device: str = "cpu", progress: bool = False
) -> list[float]:
    """IntDiv_p for several ``p`` in one sweep over the pairs (see :func:`internal_diversity`);
    NaN for an empty set."""
    if len(bits) == 0:
        return [float("nan")] * len(ps)
    means = _aggregate(bits, bits, agg="mean", ps=tuple(ps), batch_size=batch_size, device=device, progress=progress)
    return [1.0 - m for m in means]
