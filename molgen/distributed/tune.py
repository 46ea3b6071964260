"""Hyperparameter search for the efficacy model with Ray Tune and ASHA early stopping.

Each trial trains one model on the training split (the same preparation as
:func:`molgen.efficacy.fit_efficacy_model`) and reports its validation loss every epoch;
ASHA stops the weak trials early. The best configuration is written as JSON and a
model with it is fitted and saved.
"""

import json
from pathlib import Path

from molgen.train.config import FitConfig, TrainConfig
from molgen.utils.files import write_text
from molgen.utils.renamed import renamed_keywords

#: Defaults of the search itself (the fitting defaults are FitConfig's and TrainConfig's).
NUM_SAMPLES = 16
GRACE_PERIOD = 3
#: Members of the final model: one unless asked (the search tunes one model).
ENSEMBLE_SIZE = 1

#: The searched hyperparameters and their default search space (Ray Tune domains are built lazily).
DEFAULT_SPACE = {
    "depth": ("choice", [2, 3, 4, 5]),
    "hidden": ("choice", [64, 128, 300]),
    "dropout": ("uniform", 0.0, 0.3),
    "max_lr": ("loguniform", 1e-4, 3e-3),
    "batch_size": ("choice", [32, 50, 64]),
}


def _domain(spec):
    from ray import tune

    kind, *args = spec
    return {"choice": lambda v: tune.choice(v), "uniform": tune.uniform, "loguniform": tune.loguniform}[kind](*args)


def trial(config: dict, data=None, base: dict | None = None) -> None:
    """One Tune trial: train with ``config`` and ``tune.report`` the validation loss per epoch."""
    import dataclasses
    import math

    import torch
    from ray import tune
    from torch_geometric.loader import DataLoader

    from molgen.models import ModelConfig, build_model
    from molgen.train.loop import compute_loss, evaluate_loss, lr_at

    mc = ModelConfig.from_dict(
        {
            **data["model_config"],
            "depth": config["depth"],
            "hidden": config["hidden"],
            "ffn_hidden": config["hidden"],
            "dropout": config["dropout"],
        }
    )
    tc = dataclasses.replace(
        TrainConfig.from_dict(base),
        max_lr=config["max_lr"],
        init_lr=config["max_lr"] / 10,
        final_lr=config["max_lr"] / 10,
        batch_size=config["batch_size"],
        device="cpu",
    )
    torch.manual_seed(tc.seed)
    model = build_model(mc)
    train, valid = data["train"], data["valid"]
    drop_last = len(train) % tc.batch_size == 1
    loader = DataLoader(
        train, batch_size=tc.batch_size, shuffle=True, generator=torch.Generator().manual_seed(tc.seed), drop_last=drop_last
    )
    val_loader = DataLoader(valid, batch_size=256)
    optimizer = torch.optim.Adam(model.parameters(), lr=tc.init_lr, weight_decay=tc.weight_decay)
    step = 0
    for epoch in range(tc.epochs):
        model.train()
        for batch in loader:
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, steps_per_epoch=max(len(loader), 1), config=tc)
            optimizer.zero_grad()
            loss = compute_loss(model, batch, mc.task, mc.mean_variance)
            loss.backward()
            optimizer.step()
            step += 1
        val = evaluate_loss(model, val_loader, mc.task, mc.mean_variance, torch.device("cpu"))
        tune.report({"val_loss": val if math.isfinite(val) else 1e9, "epoch": epoch + 1})


@renamed_keywords(out="out_dir", max_epochs="epochs")
def tune_efficacy_model(
    smiles,
    targets,
    *,
    out_dir,
    num_samples: int = NUM_SAMPLES,
    epochs: int = TrainConfig.epochs,
    grace_period: int = GRACE_PERIOD,
    space: dict | None = None,
    train_config=None,
    split_method: str = FitConfig.split_method,
    ensemble_size: int = ENSEMBLE_SIZE,
    storage_path=None,
    address: str | None = None,
    seed: int = 0,
):
    """Search hyperparameters with ASHA; write ``best_config.json`` and the best model.

    Parameters
    ----------
    out_dir : path
        Folder to create: ``best_config.json`` and ``model/`` (a molgen model directory
        fitted with the best configuration by :func:`molgen.efficacy.fit_efficacy_model`).
    num_samples : int
        Trials.
    epochs, grace_period : int
        ASHA's ``max_t`` and ``grace_period`` in epochs. The final model trains for up to
        ``epochs`` (default :class:`molgen.train.TrainConfig`'s, 100; the graph members have
        no batch norm and learn slowly, so a short budget under-trains them).
        ``out`` and ``max_epochs`` are the deprecated names of ``out_dir`` and ``epochs``
        (until molgen 0.2).
    space : dict, optional
        ``name -> ("choice", values) | ("uniform", lo, hi) | ("loguniform", lo, hi)``
        over ``depth``, ``hidden``, ``dropout``, ``max_lr``, ``batch_size``.

    Returns
    -------
    dict
        The best configuration and its validation loss.
    """
    import dataclasses

    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search import BasicVariantGenerator

    from molgen.distributed.runtime import ensure_ray
    from molgen.efficacy import fit_efficacy_model, prepare_training_data

    ensure_ray(address)
    space = {**DEFAULT_SPACE, **(space or {})}
    unknown = sorted(set(space) - set(DEFAULT_SPACE))
    if unknown:
        raise ValueError(f"unknown hyperparameter(s) {unknown}; searchable: {', '.join(DEFAULT_SPACE)}")
    base = dataclasses.replace(
        train_config or TrainConfig(), epochs=epochs, warmup_epochs=min((train_config or TrainConfig()).warmup_epochs, epochs - 1)
    )
    data = prepare_training_data(smiles, targets, split_method=split_method, train_config=base)
    shared = {"model_config": data.model_config.to_dict(), "train": data.graphs(data.train), "valid": data.graphs(data.valid)}
    out = Path(out_dir).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    tuner = tune.Tuner(
        tune.with_resources(tune.with_parameters(trial, data=shared, base=base.to_dict()), {"cpu": 1}),
        param_space={k: _domain(v) for k, v in space.items()},
        tune_config=tune.TuneConfig(
            metric="val_loss",
            mode="min",
            num_samples=num_samples,
            scheduler=ASHAScheduler(max_t=epochs, grace_period=min(grace_period, epochs), reduction_factor=3),
            search_alg=BasicVariantGenerator(random_state=seed),
        ),
        run_config=tune.RunConfig(name="molgen-tune", storage_path=str(storage_path or out / "ray_tune"), verbose=0),
    )
    best = tuner.fit().get_best_result()
    config = dict(best.config)
    record = {"config": config, "val_loss": best.metrics["val_loss"], "epochs": best.metrics["epoch"], "num_samples": num_samples}
    write_text(out / "best_config.json", json.dumps(record, indent=2) + "\n")
    tc = dataclasses.replace(
        base, max_lr=config["max_lr"], init_lr=config["max_lr"] / 10, final_lr=config["max_lr"] / 10, batch_size=config["batch_size"]
    )
    model = fit_efficacy_model(
        list(smiles),
        targets,
        split_method=split_method,
        ensemble_size=ensemble_size,
        train_config=tc,
        model_options={"depth": config["depth"], "hidden": config["hidden"], "ffn_hidden": config["hidden"], "dropout": config["dropout"]},
    )
    model.info["tune"] = record
    model.save(out / "model")
    return record
