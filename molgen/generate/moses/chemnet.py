"""Fréchet ChemNet Distance (FCD) with the ChemNet weights shipped in the PyPI package ``fcd``.

The weights (``ChemNet_v0.13_pretrained.pt``, Preuer et al. 2018) are installed with the
package; nothing is downloaded. The input encoding is the package's own (one-hot over its
35-symbol vocabulary, padded to 350 positions, scaled by 1/35), so activations equal those of
``fcd.get_predictions`` and of MOSES's ``fcd_torch``. SMILES are canonicalized by the caller.
"""

from __future__ import annotations

import functools

import numpy as np

#: ChemNet's default input length (SMILES characters + end token).
PAD_LENGTH = 350
#: Width of ChemNet's penultimate layer, the space the distance is measured in.
N_FEATURES = 512


@functools.lru_cache(maxsize=1)
def load_chemnet():
    """The pretrained ChemNet (``torch.nn.Module`` in eval mode) from the ``fcd`` package.

    Raises
    ------
    ModuleNotFoundError
        The ``fcd`` package is not installed (``pip install fcd``).
    """
    try:
        import fcd
    except ModuleNotFoundError:
        raise ModuleNotFoundError("FCD needs the 'fcd' package (ChemNet weights): pip install fcd") from None
    return fcd.load_ref_model()


def _one_hot(smiles: list[str], pad_length: int) -> np.ndarray:
    from fcd.utils import get_one_hot

    batch = np.stack([get_one_hot(s, pad_len=pad_length) for s in smiles])
    return (batch / batch.shape[2]).astype(np.float32)


def chemnet_activations(smiles, *, batch_size: int = 512, device: str = "cpu", progress: bool = False) -> np.ndarray:
    """ChemNet penultimate-layer activations, one row per SMILES.

    Parameters
    ----------
    smiles : sequence of str
        SMILES as ChemNet should read them (canonicalize first for FCD). Characters outside
        ChemNet's vocabulary map to its unknown symbol, as in the ``fcd`` package.
    batch_size : int
        Molecules per forward pass.
    device : str
        Torch device, e.g. ``"cpu"`` or ``"cuda"``.
    progress : bool
        Show a tqdm bar.

    Returns
    -------
    numpy.ndarray of shape (n, 512), float32
        Rows in input order. A SMILES longer than 349 characters is encoded on its own with
        a longer padding (as the ``fcd`` package does for such input).

    Raises
    ------
    ValueError
        If an entry is not a string or ``batch_size`` is not positive.
    """
    import torch
    from tqdm.auto import tqdm

    smiles = list(smiles)
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    bad = [i for i, s in enumerate(smiles) if not isinstance(s, str)]
    if bad:
        raise ValueError(f"ChemNet needs SMILES strings; entry {bad[0]} is {smiles[bad[0]]!r}")
    out = np.zeros((len(smiles), N_FEATURES), dtype=np.float32)
    short = [i for i, s in enumerate(smiles) if len(s) + 1 <= PAD_LENGTH]
    long = [i for i, s in enumerate(smiles) if len(s) + 1 > PAD_LENGTH]
    model = load_chemnet().to(device)
    with torch.no_grad(), tqdm(total=len(smiles), desc="ChemNet", unit="mol", disable=not progress) as bar:
        for start in range(0, len(short), batch_size):
            rows = short[start : start + batch_size]
            x = torch.from_numpy(_one_hot([smiles[i] for i in rows], PAD_LENGTH)).transpose(1, 2).to(device)
            out[rows] = model(x).cpu().numpy()
            bar.update(len(rows))
        for i in long:
            x = torch.from_numpy(_one_hot([smiles[i]], len(smiles[i]) + 1)).transpose(1, 2).to(device)
            out[i] = model(x).cpu().numpy()[0]
            bar.update(1)
    return out


def fcd_statistics(activations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (512,) and covariance (512 x 512, ``np.cov``, n-1 normalized) of activations.

    Raises
    ------
    ValueError
        Fewer than two rows (the covariance is undefined).
    """
    activations = np.asarray(activations, dtype=np.float64)
    if activations.ndim != 2 or len(activations) < 2:
        raise ValueError(f"FCD statistics need at least 2 molecules, got {len(activations)}")
    return activations.mean(axis=0), np.cov(activations.T)


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """Fréchet distance between Gaussians ``N(mu1, sigma1)`` and ``N(mu2, sigma2)``.

    ``||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 sqrt(sigma1 sigma2))``, computed as the ``fcd``
    package's (and MOSES's) ``calculate_frechet_distance``: when the matrix square root is
    not finite, ``eps`` is added to both diagonals; a tiny imaginary part is dropped.

    Raises
    ------
    ValueError
        If the shapes disagree or the square root has a large imaginary part.
    """
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(np.asarray(mu1, dtype=np.float64)), np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64)), np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (len(mu1), len(mu1)):
        raise ValueError(f"mismatched FCD statistics: mu {mu1.shape} vs {mu2.shape}, sigma {sigma1.shape} vs {sigma2.shape}")
    diff = mu1 - mu2
    covmean = linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all() or not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
        offset = np.eye(len(mu1)) * eps
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"FCD matrix square root has an imaginary component {np.max(np.abs(covmean.imag)):.3g}")
        covmean = covmean.real
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))
