"""Train one model: seeded shuffling, warm-up and decay, clipping, early stopping, progress."""

import copy
import math

import numpy as np
import torch
from torch_geometric.loader import DataLoader
from tqdm import tqdm

from molgen.models import (
    MoleculeModel,
    gaussian_nll,
    masked_bce_with_logits,
    masked_cross_entropy,
    masked_mse,
)
from molgen.train.config import TrainConfig


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` picks CUDA when present, else CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def compute_loss(model: MoleculeModel, batch, task: str, mean_variance: bool) -> torch.Tensor:
    """The task's loss on one batch; ``batch.y`` is ``n_graphs x n_tasks`` with NaN for missing."""
    out = model(batch)
    y = batch.y
    if task == "regression":
        if mean_variance:
            return gaussian_nll(out[..., 0], out[..., 1], y)
        return masked_mse(out, y)
    if task == "binary":
        return masked_bce_with_logits(out, y)
    return masked_cross_entropy(out, y)


def lr_at(step: int, *, steps_per_epoch: int, config: TrainConfig) -> float:
    """Learning rate at an optimizer step: linear warm-up, then exponential decay."""
    warmup = config.warmup_epochs * steps_per_epoch
    total = config.epochs * steps_per_epoch
    if step < warmup:
        return config.init_lr + (config.max_lr - config.init_lr) * step / warmup
    decay_steps = max(total - warmup, 1)
    gamma = (config.final_lr / config.max_lr) ** (1.0 / decay_steps)
    return config.max_lr * gamma ** (step - warmup)


@torch.no_grad()
def evaluate_loss(model: MoleculeModel, loader, task: str, mean_variance: bool, device) -> float:
    model.eval()
    total, count = 0.0, 0
    for batch in loader:
        batch = batch.to(device)
        n = int(torch.isfinite(batch.y).sum())
        if n:
            total += float(compute_loss(model, batch, task, mean_variance)) * n
            count += n
    return total / count if count else math.nan


def train_epoch(model, loader, optimizer, step: int, steps_per_epoch: int, config, task: str, mean_variance: bool, device):
    """One pass over ``loader`` with the scheduled learning rate and clipping.

    Returns the batch losses and the global step after the epoch.
    """
    model.train()
    losses = []
    for batch in loader:
        batch = batch.to(device)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, steps_per_epoch=steps_per_epoch, config=config)
        optimizer.zero_grad()
        loss = compute_loss(model, batch, task, mean_variance)
        loss.backward()
        if config.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        losses.append(loss.item())
        step += 1
    return losses, step


def train_model(
    model: MoleculeModel,
    train_graphs: list,
    val_graphs: list,
    *,
    task: str,
    mean_variance: bool = False,
    config: TrainConfig = TrainConfig(),
    progress: bool = False,
    desc: str = "training",
) -> dict:
    """Train ``model`` in place and restore its best validation epoch.

    Parameters
    ----------
    model : MoleculeModel
    train_graphs, val_graphs : list of torch_geometric.data.Data
        Each with ``y`` of shape ``1 x n_tasks`` (scaled targets, NaN where missing).
    task : {"regression", "binary", "multiclass"}
    config : TrainConfig
        ``config.seed`` fixes initialisation order and shuffling; on CPU two runs with
        the same seed give identical weights.

    Returns
    -------
    dict
        ``train_loss`` and ``val_loss`` per epoch, ``best_epoch``, ``epochs_run``.
    """
    if not train_graphs:
        raise ValueError("no training molecules")
    device = resolve_device(config.device)
    model.to(device)
    generator = torch.Generator().manual_seed(config.seed)
    # A last batch of one graph would break batch norm; drop it (a different one each epoch).
    drop_last = len(train_graphs) % config.batch_size == 1 and len(train_graphs) > 1
    train_loader = DataLoader(train_graphs, batch_size=config.batch_size, shuffle=True, generator=generator, drop_last=drop_last)
    val_loader = DataLoader(val_graphs or train_graphs, batch_size=256)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.init_lr, weight_decay=config.weight_decay)
    steps_per_epoch = len(train_loader)
    history = {"train_loss": [], "val_loss": [], "best_epoch": 0, "epochs_run": 0}
    best, best_state, since_best, step = math.inf, None, 0, 0
    bar = tqdm(range(config.epochs), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        losses, step = train_epoch(model, train_loader, optimizer, step, steps_per_epoch, config, task, mean_variance, device)
        val = evaluate_loss(model, val_loader, task, mean_variance, device)
        history["train_loss"].append(float(np.mean(losses)))
        history["val_loss"].append(val)
        history["epochs_run"] = epoch + 1
        bar.set_postfix(train=f"{history['train_loss'][-1]:.3f}", val=f"{val:.3f}")
        if val < best:
            best, since_best, history["best_epoch"] = val, 0, epoch + 1
            best_state = copy.deepcopy(model.state_dict())
        else:
            since_best += 1
            if since_best >= config.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


@torch.no_grad()
def predict_graphs(model: MoleculeModel, graphs: list, *, batch_size: int = 256, device=None) -> np.ndarray:
    """Activated outputs for a list of graphs: ``n x n_tasks`` (``x 2`` mean-variance, ``x k`` multiclass)."""
    device = device or next(model.parameters()).device
    model.eval()
    outputs = []
    for batch in DataLoader(graphs, batch_size=batch_size):
        outputs.append(model.predict(batch.to(device)).cpu().numpy())
    if not outputs:
        return np.zeros((0,), dtype=np.float32)
    return np.concatenate(outputs).astype(np.float64)
