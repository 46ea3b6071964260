"""Masked losses for multi-target data with missing labels.

Every loss takes the model's raw outputs, the targets (``NaN`` where a label is missing)
and an optional boolean ``mask`` of the targets' shape (``True`` = observed). A label
counts as observed when the mask says so *and* it is not ``NaN``. Missing labels are
replaced before any arithmetic, so they add neither value nor gradient (not even a
``NaN`` one). Each loss returns a scalar: the mean over observed labels, or ``0`` (still
differentiable) when none is observed.
"""

import torch
from torch import Tensor
from torch.nn import functional as F

__all__ = ["gaussian_nll", "masked_bce_with_logits", "masked_cross_entropy", "masked_mse", "observed_mask"]


def observed_mask(targets: Tensor, mask: Tensor | None = None) -> Tensor:
    """Boolean mask of observed labels: ``mask`` (if given) and not ``NaN``.

    Parameters
    ----------
    targets : Tensor
        ``n_graphs x n_tasks`` labels, ``NaN`` where missing.
    mask : Tensor, optional
        Same shape, bool; ``True`` where observed.

    Returns
    -------
    Tensor
        ``n_graphs x n_tasks`` bool.

    Raises
    ------
    ValueError
        If ``mask`` does not have the shape of ``targets``.
    """
    observed = ~torch.isnan(targets) if targets.is_floating_point() else torch.ones_like(targets, dtype=torch.bool)
    if mask is None:
        return observed
    if mask.shape != targets.shape:
        raise ValueError(f"expected mask of shape {tuple(targets.shape)}, got {tuple(mask.shape)}")
    return observed & mask.to(torch.bool)


def _observed(targets: Tensor, mask: Tensor | None, **outputs: Tensor) -> Tensor:
    """Check that each of ``outputs`` has the targets' shape, then :func:`observed_mask`."""
    for name, tensor in outputs.items():
        if tensor.shape != targets.shape:
            raise ValueError(f"expected {name} of shape {tuple(targets.shape)} (the targets' shape), got {tuple(tensor.shape)}")
    return observed_mask(targets, mask)


def _masked_mean(per_label: Tensor, observed: Tensor) -> Tensor:
    per_label = torch.where(observed, per_label, torch.zeros_like(per_label))
    return per_label.sum() / observed.sum().clamp_min(1)


def masked_mse(preds: Tensor, targets: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean squared error over observed labels.

    Parameters
    ----------
    preds : Tensor
        ``n_graphs x n_tasks``.
    targets : Tensor
        ``n_graphs x n_tasks``, ``NaN`` where missing.
    mask : Tensor, optional
        ``n_graphs x n_tasks`` bool, ``True`` where observed.

    Returns
    -------
    Tensor
        Scalar: the mean of ``(preds - targets)^2`` over observed labels (0 when none is).

    Raises
    ------
    ValueError
        If shapes differ.
    """
    observed = _observed(targets, mask, preds=preds)
    targets = torch.where(observed, targets, preds.detach())
    return _masked_mean((preds - targets) ** 2, observed)


def gaussian_nll(mean: Tensor, variance: Tensor, targets: Tensor, mask: Tensor | None = None, eps: float = 1e-6) -> Tensor:
    """Gaussian negative log-likelihood over observed labels (mean-variance regression).

    Per label ``0.5 * (log(var) + (y - mean)^2 / var)`` with ``var`` clamped to ``>= eps``
    (the constant ``0.5 log 2 pi`` is left out, as in ``torch.nn.GaussianNLLLoss``).

    Parameters
    ----------
    mean, variance : Tensor
        ``n_graphs x n_tasks`` each (``preds[..., 0]`` and ``preds[..., 1]`` of a
        mean-variance head).
    targets : Tensor
        ``n_graphs x n_tasks``, ``NaN`` where missing.
    mask : Tensor, optional
        ``n_graphs x n_tasks`` bool, ``True`` where observed.
    eps : float, default 1e-6
        Lower bound on the variance.

    Returns
    -------
    Tensor
        Scalar: the mean negative log-likelihood over observed labels (0 when none is).

    Raises
    ------
    ValueError
        If shapes differ.
    """
    observed = _observed(targets, mask, mean=mean, variance=variance)
    targets = torch.where(observed, targets, mean.detach())
    variance = variance.clamp_min(eps)
    return _masked_mean(0.5 * (torch.log(variance) + (targets - mean) ** 2 / variance), observed)


def masked_bce_with_logits(logits: Tensor, targets: Tensor, mask: Tensor | None = None) -> Tensor:
    """Binary cross-entropy on logits over observed labels.

    Parameters
    ----------
    logits : Tensor
        ``n_graphs x n_tasks``.
    targets : Tensor
        ``n_graphs x n_tasks`` floats in ``[0, 1]``, ``NaN`` where missing.
    mask : Tensor, optional
        ``n_graphs x n_tasks`` bool, ``True`` where observed.

    Returns
    -------
    Tensor
        Scalar: the mean binary cross-entropy over observed labels (0 when none is).

    Raises
    ------
    ValueError
        If shapes differ.
    """
    observed = _observed(targets, mask, logits=logits)
    targets = torch.where(observed, targets.to(logits.dtype), torch.zeros_like(logits))
    per_label = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    return _masked_mean(per_label, observed)


def masked_cross_entropy(logits: Tensor, targets: Tensor, mask: Tensor | None = None) -> Tensor:
    """Cross-entropy for multiclass tasks over observed labels.

    Parameters
    ----------
    logits : Tensor
        ``n_graphs x n_tasks x n_classes``.
    targets : Tensor
        ``n_graphs x n_tasks`` class indices: integers, or floats with ``NaN`` where missing.
    mask : Tensor, optional
        ``n_graphs x n_tasks`` bool, ``True`` where observed.

    Returns
    -------
    Tensor
        Scalar: the mean cross-entropy over observed labels (0 when none is).

    Raises
    ------
    ValueError
        If shapes differ, or an observed label is not an integer in ``[0, n_classes)``.
    """
    if logits.dim() != 3 or logits.shape[:2] != targets.shape:
        raise ValueError(
            f"expected logits of shape {tuple(targets.shape)} x n_classes (n_graphs x n_tasks x n_classes), got {tuple(logits.shape)}"
        )
    n_classes = logits.size(-1)
    observed = observed_mask(targets, mask)
    labels = torch.where(observed, targets, torch.zeros_like(targets))
    if labels.is_floating_point() and not torch.equal(labels, labels.round()):
        raise ValueError("expected integer class labels (or NaN for missing)")
    labels = labels.long()
    if ((labels < 0) | (labels >= n_classes)).any():
        raise ValueError(f"expected observed class labels in [0, {n_classes})")
    per_label = F.cross_entropy(logits.reshape(-1, n_classes), labels.reshape(-1), reduction="none")
    return _masked_mean(per_label.view_as(labels).to(logits.dtype), observed)
