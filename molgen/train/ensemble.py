"""Train an ensemble of models on one split and combine their predictions."""

from dataclasses import replace

import numpy as np
import torch

from molgen.models import ModelConfig, MoleculeModel, build_model
from molgen.train.config import FitConfig, TrainConfig
from molgen.train.loop import predict_graphs, train_model
from molgen.utils.renamed import renamed_keywords


@renamed_keywords(n_members="ensemble_size")
def train_ensemble(
    model_config: ModelConfig,
    train_graphs: list,
    val_graphs: list,
    *,
    ensemble_size: int = FitConfig.ensemble_size,
    config: TrainConfig = TrainConfig(),
    progress: bool = False,
) -> tuple[list[MoleculeModel], list[dict]]:
    """Train ``ensemble_size`` models that differ only in their seed (``config.seed + i``).

    Returns the trained models (in eval mode, on CPU) and their training histories.
    ``n_members`` is the deprecated name of ``ensemble_size`` (until molgen 0.2).

    Raises
    ------
    ValueError
        ``ensemble_size`` below 1.
    """
    if ensemble_size < 1:
        raise ValueError(f"ensemble_size must be >= 1, got {ensemble_size}")
    members, histories = [], []
    for i in range(ensemble_size):
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
            desc=f"member {i + 1}/{ensemble_size}",
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
