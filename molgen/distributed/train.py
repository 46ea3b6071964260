"""Data-parallel training of an efficacy model with Ray Train (TorchTrainer, DDP).

The data are prepared by :func:`molgen.efficacy.prepare_training_data`, as for
:func:`molgen.efficacy.fit_efficacy_model` (standardize, deduplicate, four-way split, scale,
featurize), and the trained members are assembled into a calibrated, evaluated model by
:func:`molgen.efficacy.assemble_efficacy_model`; each ensemble member is one
``TorchTrainer`` run with ``num_workers`` DDP workers (a GPU each when ``use_gpu``), and
the members run in parallel. Every epoch rank 0 reports a checkpoint; a run that fails is
restarted from its latest checkpoint up to ``max_failures`` times. The result is a normal
model directory for :func:`molgen.load_model`.
"""

import dataclasses
import math
import tempfile
from pathlib import Path

import numpy as np

from molgen.chem import Standardizer
from molgen.train.config import FitConfig
from molgen.utils.renamed import renamed_keywords

CHECKPOINT_FILE = "state.pt"
#: Defaults of :func:`fit_distributed` beyond the fitting ones (FitConfig): DDP workers per member, restarts.
NUM_WORKERS = 2
MAX_FAILURES = 2
_STANDARDIZER = Standardizer()


def train_loop(config: dict) -> None:
    """The per-worker loop (Ray Train ``train_loop_per_worker``).

    ``config`` holds ``model_config``/``train_config`` dicts, object refs ``train``/
    ``valid`` to lists of graphs, and ``fail_after_epoch`` (a fault drill: raise once
    after that epoch unless resuming from a checkpoint).
    """
    import ray
    import ray.train
    import ray.train.torch
    import torch
    from torch.utils.data.distributed import DistributedSampler
    from torch_geometric.loader import DataLoader

    from molgen.models import ModelConfig, build_model
    from molgen.train import TrainConfig
    from molgen.train.loop import evaluate_loss, train_epoch

    model_config = ModelConfig.from_dict(config["model_config"])
    tc = TrainConfig.from_dict(config["train_config"])
    train_graphs, val_graphs = ray.get(config["train"]), ray.get(config["valid"])
    ctx = ray.train.get_context()
    rank, world = ctx.get_world_rank(), ctx.get_world_size()
    torch.manual_seed(tc.seed)
    model = build_model(model_config)
    device = ray.train.torch.get_device()
    sampler = DistributedSampler(train_graphs, num_replicas=world, rank=rank, shuffle=True, seed=tc.seed, drop_last=False)
    per_rank = math.ceil(len(train_graphs) / world)
    loader = DataLoader(train_graphs, batch_size=tc.batch_size, sampler=sampler, drop_last=per_rank % tc.batch_size == 1 and per_rank > 1)
    val_loader = DataLoader(val_graphs or train_graphs, batch_size=256)
    optimizer = torch.optim.Adam(model.parameters(), lr=tc.init_lr, weight_decay=tc.weight_decay)
    start, step, best, best_state, since_best = 0, 0, math.inf, None, 0
    checkpoint = ray.train.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as folder:
            saved = torch.load(Path(folder) / CHECKPOINT_FILE, weights_only=True)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        start, step, best, since_best = int(saved["epoch"]) + 1, int(saved["step"]), float(saved["best"]), int(saved["since_best"])
        best_state = saved["best_state"]
    model = ray.train.torch.prepare_model(model)  # DDP (and the device)
    core = model.module if hasattr(model, "module") else model
    steps_per_epoch = max(len(loader), 1)
    for epoch in range(start, tc.epochs):
        if config.get("fail_after_epoch") is not None and checkpoint is None and epoch == config["fail_after_epoch"] + 1:
            raise RuntimeError(f"fault drill: worker {rank} fails once at epoch {epoch}")
        sampler.set_epoch(epoch)
        losses, step = train_epoch(
            model, loader, optimizer, step, steps_per_epoch, tc, model_config.task, model_config.mean_variance, device
        )
        val = evaluate_loss(core, val_loader, model_config.task, model_config.mean_variance, device)
        if val < best:
            best, since_best = val, 0
            best_state = {k: v.detach().cpu().clone() for k, v in core.state_dict().items()}
        else:
            since_best += 1
        metrics = {"epoch": epoch, "train_loss": float(np.mean(losses)) if losses else math.nan, "val_loss": val, "best_val_loss": best}
        with tempfile.TemporaryDirectory() as folder:
            ckpt = None
            if rank == 0:
                state = {
                    "model": core.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "epoch": epoch,
                    "step": step,
                    "best": best,
                    "since_best": since_best,
                    "best_state": best_state,
                }
                torch.save(state, Path(folder) / CHECKPOINT_FILE)
                ckpt = ray.train.Checkpoint.from_directory(folder)
            ray.train.report(metrics, checkpoint=ckpt)
        if since_best >= tc.patience:
            break


def best_state_dict(checkpoint) -> dict:
    """The best-validation weights stored in a checkpoint of :func:`train_loop`."""
    import torch

    with checkpoint.as_directory() as folder:
        return torch.load(Path(folder) / CHECKPOINT_FILE, weights_only=True)["best_state"]


@renamed_keywords(out="out_dir", coverage_target="coverage")
def fit_distributed(
    smiles,
    targets,
    *,
    out_dir,
    target_names=None,
    task: str = "regression",
    ensemble_size: int = FitConfig.ensemble_size,
    num_workers: int = NUM_WORKERS,
    use_gpu: bool | None = None,
    model_options: dict | None = None,
    descriptors: str | None = None,
    train_config=None,
    split_method: str = FitConfig.split_method,
    valid_split: str | None = FitConfig.valid_split,
    sizes=FitConfig.sizes,
    coverage: float = FitConfig.coverage,
    standardizer: Standardizer | None = _STANDARDIZER,
    kernel: str | None = FitConfig.kernel,
    forest: bool = FitConfig.forest,
    refit: bool = FitConfig.refit,
    storage_path=None,
    max_failures: int = MAX_FAILURES,
    fail_after_epoch: int | None = None,
    address: str | None = None,
):
    """Train an efficacy model with Ray Train and save it as a molgen model directory.

    Parameters
    ----------
    smiles, targets, target_names, task, model_options, descriptors, split_method, valid_split, sizes, coverage, kernel, forest, refit
        As for :func:`molgen.efficacy.fit_efficacy_model` (defaults: :class:`molgen.train.FitConfig`).
    out_dir : path
        Model directory to write. ``out`` and ``coverage_target`` are the deprecated names of
        ``out_dir`` and ``coverage`` (until molgen 0.2).
    ensemble_size : int
        Members, each trained by its own ``TorchTrainer`` run; the runs go in parallel.
    num_workers : int
        DDP workers per member.
    use_gpu : bool, optional
        A GPU per worker (default: when the cluster has GPUs).
    train_config : molgen.train.TrainConfig
    standardizer : molgen.chem.Standardizer or None
        As for :func:`molgen.efficacy.fit_efficacy_model`: ``None`` keeps molecules as parsed.
    storage_path : path, optional
        Where Ray Train keeps checkpoints (default: a folder ``ray_train`` beside ``out_dir``).
    max_failures : int
        Restarts from the latest checkpoint after a worker failure (Ray Train
        ``FailureConfig``).
    fail_after_epoch : int, optional
        Fault drill: each member fails once after this epoch, then resumes.

    Returns
    -------
    molgen.efficacy.EfficacyModel
        The saved model (also at ``out_dir``), with ``info["ray_train"]`` recording the runs.

    Raises
    ------
    ValueError
        As :func:`~molgen.efficacy.fit_efficacy_model`; a member that still fails after
        ``max_failures`` restarts raises Ray's ``TrainingFailedError``.
    """
    import ray
    from ray.train import CheckpointConfig, FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    from molgen.distributed.runtime import ensure_ray
    from molgen.efficacy import assemble_efficacy_model, prepare_training_data
    from molgen.efficacy.blend import check_kernel
    from molgen.models import build_model
    from molgen.train import TrainConfig

    kernel = check_kernel(kernel)
    ensure_ray(address)
    train_config = train_config or TrainConfig()
    data = prepare_training_data(
        smiles,
        targets,
        target_names=target_names,
        task=task,
        split_method=split_method,
        sizes=sizes,
        valid_split=valid_split,
        model_options=model_options,
        train_config=train_config,
        standardizer=standardizer,
        descriptors=descriptors,
    )
    if use_gpu is None:
        use_gpu = ray.cluster_resources().get("GPU", 0) >= num_workers
    out = Path(out_dir).expanduser().resolve()
    storage = Path(storage_path).expanduser().resolve() if storage_path else out.parent / "ray_train"
    train_ref, valid_ref = ray.put(data.graphs(data.train)), ray.put(data.graphs(data.valid))

    def member_trainer(i: int) -> TorchTrainer:
        member_tc = dataclasses.replace(train_config, seed=train_config.seed + i, device="auto")
        return TorchTrainer(
            train_loop,
            train_loop_config={
                "model_config": data.model_config.to_dict(),
                "train_config": member_tc.to_dict(),
                "train": train_ref,
                "valid": valid_ref,
                "fail_after_epoch": fail_after_epoch,
            },
            scaling_config=ScalingConfig(num_workers=num_workers, use_gpu=bool(use_gpu)),
            run_config=RunConfig(
                name=f"{out.name}-member{i}",
                storage_path=str(storage),
                failure_config=FailureConfig(max_failures=max_failures),
                checkpoint_config=CheckpointConfig(num_to_keep=2),
            ),
        )

    @ray.remote(num_cpus=0)
    def fit_member(i: int):
        result = member_trainer(i).fit()
        return best_state_dict(result.checkpoint), dict(result.metrics), str(result.path)

    results = ray.get([fit_member.remote(i) for i in range(ensemble_size)])
    members = []
    for state, _, _ in results:
        model = build_model(data.model_config)
        model.load_state_dict(state)
        members.append(model.eval())
    model = assemble_efficacy_model(data, members, coverage=coverage, kernel=kernel, forest=forest, refit=refit)
    model.info["ray_train"] = {
        "num_workers": num_workers,
        "use_gpu": bool(use_gpu),
        "runs": [{"path": path, "final_metrics": metrics} for _, metrics, path in results],
    }
    model.save(out)
    return model
