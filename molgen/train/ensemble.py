"""Train an ensemble of models on one split and combine their predictions."""

from dataclasses import replace

import numpy as np
import torch

from molgen.models import ModelConfig, MoleculeModel, build_model
from molgen.train.config import TrainConfig
from molgen.train.loop import predict_graphs, train_model


def train_ensemble(
    model_config: ModelConfig,
    train_graphs: list,
    val_graphs: list,
    *,
    n_members: int = 3,
    config: TrainConfig = TrainConfig(),
    progress: bool = False,
) -> tuple[list[MoleculeModel], list[dict]]:
    """Train ``n_members`` models that differ only in their seed (``config.seed + i``).

    Returns the trained models (in eval mode, on CPU) and their training histories.
    """
    if n_members < 1:
        raise ValueError(f"n_members must be >= 1, got {n_members}")
    members, histories = [], []
    for i in range(n_members):
        member_config = replace(config, seed=config.seed + i)
        torch.manual_seed(member_config.seed)
        model = build_model(model_config)
        history = train_model(
            model,
            train_graphs,
            val_graphs,
            task=model_config.task,
            mean_variance=model_config.mean_variance,
            config=member_config,
            progress=progress,
            desc=f"member {i + 1}/{n_members}",
        )
        members.append(model.cpu().eval())
        histories.append(history)
    return members, histories


def ensemble_predict(members: list[MoleculeModel], graphs: list, *, mean_variance: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Mean and spread over members, in the models' (scaled) units.

    Returns
    -------
    mean : ndarray, ``n x n_tasks`` (``n x n_tasks x k`` for multiclass probabilities)
    sigma : ndarray, same shape: the ensemble standard deviation, combined with the
        mean-variance head's predicted variance when there is one (total = aleatoric +
        epistemic). Zero for a single member without a variance head.
    """
    outputs = np.stack([predict_graphs(m, graphs) for m in members])
    if mean_variance:
        means, variances = outputs[..., 0], outputs[..., 1]
        mean = means.mean(axis=0)
        total = variances.mean(axis=0) + means.var(axis=0)
        return mean, np.sqrt(total)
    return outputs.mean(axis=0), outputs.std(axis=0)
