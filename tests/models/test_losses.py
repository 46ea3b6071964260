"""Masked losses: NaN labels add neither loss nor gradient; values match torch's losses."""

import math

import pytest
import torch
from torch.nn import functional as F

from molgen.models import gaussian_nll, masked_bce_with_logits, masked_cross_entropy, masked_mse

N, T, C = 6, 3, 4


def _inputs(kind: str, generator: torch.Generator):
    if kind == "multiclass":
        preds = torch.randn(N, T, C, generator=generator)
        targets = torch.randint(0, C, (N, T), generator=generator).float()
    elif kind == "gaussian":
        preds = torch.stack([torch.randn(N, T, generator=generator), torch.rand(N, T, generator=generator) + 0.1], -1)
        targets = torch.randn(N, T, generator=generator)
    else:
        preds = torch.randn(N, T, generator=generator)
        targets = torch.randint(0, 2, (N, T), generator=generator).float() if kind == "binary" else torch.randn(N, T, generator=generator)
    return preds.requires_grad_(), targets


def _loss(kind, preds, targets, mask=None):
    if kind == "mse":
        return masked_mse(preds, targets, mask)
    if kind == "gaussian":
        return gaussian_nll(preds[..., 0], preds[..., 1], targets, mask)
    if kind == "binary":
        return masked_bce_with_logits(preds, targets, mask)
    return masked_cross_entropy(preds, targets, mask)


def _reference(kind, preds, targets):
    if kind == "mse":
        return F.mse_loss(preds, targets)
    if kind == "gaussian":
        return F.gaussian_nll_loss(preds[..., 0], targets, preds[..., 1])
    if kind == "binary":
        return F.binary_cross_entropy_with_logits(preds, targets)
    return F.cross_entropy(preds.reshape(-1, C), targets.long().reshape(-1))


KINDS = ["mse", "gaussian", "binary", "multiclass"]


@pytest.mark.parametrize("kind", KINDS)
def test_matches_torch_without_missing_labels(kind, generator):
    preds, targets = _inputs(kind, generator)
    torch.testing.assert_close(_loss(kind, preds, targets), _reference(kind, preds, targets))


@pytest.mark.parametrize("kind", KINDS)
def test_missing_label_changes_neither_loss_nor_gradient(kind, generator):
    preds, targets = _inputs(kind, generator)
    mask = torch.ones(N, T, dtype=torch.bool)
    mask[1, 2] = mask[4, 0] = False

    # Reference: the mean over the observed labels only, computed label by label.
    per_label = [_loss(kind, preds[i : i + 1, j : j + 1], targets[i : i + 1, j : j + 1]) for i in range(N) for j in range(T) if mask[i, j]]
    expected = torch.stack(per_label).mean()
    (expected_grad,) = torch.autograd.grad(expected, preds)

    with_nan = targets.clone()
    with_nan[~mask] = math.nan
    wrong_value = targets.clone()
    wrong_value[~mask] = 1e6 if kind != "multiclass" else 1.0
    for loss in (_loss(kind, preds, with_nan), _loss(kind, preds, wrong_value, mask), _loss(kind, preds, with_nan, mask)):
        (grad,) = torch.autograd.grad(loss, preds)
        torch.testing.assert_close(loss, expected)
        torch.testing.assert_close(grad, expected_grad)
        assert torch.isfinite(grad).all()
        assert (grad[1, 2] == 0).all() and (grad[4, 0] == 0).all()


@pytest.mark.parametrize("kind", KINDS)
def test_no_observed_labels_gives_zero(kind, generator):
    preds, targets = _inputs(kind, generator)
    loss = _loss(kind, preds, torch.full_like(targets, math.nan))
    assert loss.item() == 0.0
    loss.backward()
    assert (preds.grad == 0).all()


def test_shape_and_label_errors():
    with pytest.raises(ValueError, match="shape"):
        masked_mse(torch.zeros(2, 3), torch.zeros(2, 2))
    with pytest.raises(ValueError, match="mask"):
        masked_mse(torch.zeros(2, 3), torch.zeros(2, 3), torch.ones(3, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="n_classes"):
        masked_cross_entropy(torch.zeros(2, 3), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        masked_cross_entropy(torch.zeros(2, 1, 4), torch.tensor([[1.0], [4.0]]))
    with pytest.raises(ValueError, match="integer"):
        masked_cross_entropy(torch.zeros(2, 1, 4), torch.tensor([[1.5], [2.0]]))
    assert masked_cross_entropy(torch.zeros(2, 1, 4), torch.tensor([[1], [3]])).item() == pytest.approx(math.log(4))
