"""Train a SMILES prior by teacher forcing on a streamed file, with exact checkpoint/resume."""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import math
import os
import platform
import time
from pathlib import Path

import torch

from molgen.generate.data_stream import count_smiles, iter_smiles_chunks, resolve_training_data
from molgen.generate.prior import DEFAULT_MAX_LENGTH, Prior, load_prior, pad_sequences, resolve_device
from molgen.generate.shuffle import iter_buckets, n_buckets, validation_rows
from molgen.generate.tokenizer import TOKENIZERS, SmilesTokenizer, UnknownTokenError
from molgen.utils.files import write_bytes

__all__ = ["CHECKPOINT_FILE", "train_prior"]

#: Name of the resumable training state inside the output directory.
CHECKPOINT_FILE = "checkpoint.pt"
#: ``shuffle`` choices: chunks that sample the whole file, or chunks of consecutive rows.
SHUFFLES = ("global", "chunk")


def train_prior(
    out_dir,
    *,
    data=None,
    smiles_col: str | None = None,
    tokenizer: str = "smiles",
    architecture: str = "gru",
    hidden_size: int = 512,
    num_layers: int = 3,
    embedding_dim: int = 128,
    d_model: int = 256,
    num_heads: int = 8,
    dropout: float = 0.0,
    max_length: int = DEFAULT_MAX_LENGTH,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    lr_decay: float = 0.5,
    lr_decay_molecules: int = 500_000,
    clip_grad: float = 1.0,
    epochs: float = 1.0,
    max_molecules: int | None = None,
    time_limit: float | None = None,
    val_size: int = 2_000,
    chunk_size: int = 50_000,
    shuffle: str = "global",
    init_from=None,
    checkpoint_every: int = 500,
    resume: bool = False,
    device=None,
    seed: int = 0,
    progress: bool = True,
) -> Prior:
    """Train (or continue training) a prior on a SMILES file and save it to ``out_dir``.

    The file is streamed in chunks of about ``chunk_size`` rows; each chunk is shuffled with
    a seed derived from ``(seed, epoch, chunk)`` and cut into batches. With
    ``shuffle="global"`` (the default) every chunk is a random sample of the whole file
    (:mod:`molgen.generate.shuffle`; ordered files such as MOSES's keep analogue series
    together) and ``val_size`` random rows are held out for the validation NLL; with
    ``shuffle="chunk"`` chunks are consecutive rows and the first ``val_size`` rows are
    held out. The vocabulary is built from the whole file
    in a first streaming pass. The loss is the mean per-molecule negative log-likelihood
    (teacher forcing), optimised with Adam, gradient-norm clipping and an exponential
    learning-rate decay (``lr = learning_rate * lr_decay ** (molecules / lr_decay_molecules)``).

    Every ``checkpoint_every`` steps, and when training stops, ``out_dir/checkpoint.pt``
    (weights, optimizer, RNG states, data position, history) is written atomically and the
    validation NLL is measured; at the end the prior is saved to ``out_dir`` (see
    :meth:`Prior.save`), its JSON recording the budget (molecules seen, epochs, steps, wall
    time, machine). With ``resume=True`` training continues from the checkpoint exactly as
    if it had not stopped; the model, data and optimisation settings then come from the
    checkpoint, and only the budget (``epochs``, ``max_molecules``, ``time_limit``),
    ``checkpoint_every``, ``device`` and ``progress`` may change.

    Parameters
    ----------
    out_dir : str or Path
        Output directory (created when missing).
    data : str or Path or None
        CSV/TSV (optionally gzipped) with a SMILES column, or ``.smi``; ``None`` is the
        MOSES training set from the molsets wheel (1,584,663 SMILES).
    smiles_col : str or None
        SMILES column of a CSV (default: ``SMILES`` or ``smiles``).
    tokenizer : {"smiles", "selfies"}
        Regex SMILES tokens (default) or SELFIES symbols (needs the ``selfies`` package;
        SMILES it cannot encode are skipped like over-long ones).
    architecture : {"gru", "lstm", "transformer"}
        Network family.
    hidden_size, num_layers, embedding_dim : int
        RNN sizes (``num_layers`` is also the transformer's depth).
    d_model, num_heads : int
        Transformer sizes.
    dropout : float
        Dropout between layers.
    max_length : int
        Longest sequence in tokens (BOS/EOS included); longer training SMILES are skipped.
    batch_size : int
        Molecules per optimizer step.
    learning_rate, lr_decay, lr_decay_molecules, clip_grad : float
        Optimisation settings (``clip_grad`` is the max gradient norm).
    epochs : float
        Passes over the training rows (fractions allowed).
    max_molecules : int or None
        Stop after this many training molecules (whichever of the limits comes first).
    time_limit : float or None
        Stop after this many seconds of training in this call.
    val_size : int
        SMILES held out for the validation NLL (0: none).
    chunk_size : int
        Rows shuffled and trained on at a time.
    init_from : str or Path or None
        A saved prior (:meth:`Prior.save`) to start from instead of random weights: its
        network, vocabulary and maximum length replace ``tokenizer``, ``architecture``, the
        size settings, ``dropout`` and ``max_length``; the optimizer, schedule and data order
        start afresh (transfer learning, or a new schedule for a prior). SMILES with tokens
        outside its vocabulary are skipped and counted. Recorded in the budget.
    shuffle : {"global", "chunk"}
        Chunks drawn at random from the whole file (one streaming pass per 8 chunks), or
        chunks of consecutive rows (one pass per epoch).
    checkpoint_every : int
        Optimizer steps between checkpoints.
    resume : bool
        Continue from ``out_dir/checkpoint.pt``.
    device : str or torch.device or None
        ``None``: CUDA when present, else CPU.
    seed : int
        Seeds initial weights, shuffling and dropout.
    progress : bool
        Show a tqdm bar.

    Returns
    -------
    Prior
        The trained prior (also saved to ``out_dir``).

    Raises
    ------
    ValueError
        Bad settings; a checkpoint exists and ``resume`` is false; the data file differs
        from the checkpoint's.
    FileNotFoundError
        ``resume`` is true and there is no checkpoint, or the data file is missing.
    """
    out_dir = Path(out_dir)
    ckpt_path = out_dir / CHECKPOINT_FILE
    device = resolve_device(device)
    data_path = resolve_training_data(data)
    _check_budget(epochs, max_molecules, time_limit, checkpoint_every)

    if resume:
        if not ckpt_path.is_file():
            raise FileNotFoundError(f"cannot resume: {ckpt_path} does not exist")
        state = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        settings = state["settings"]
        if data is not None and _file_id(data_path) != settings["data_id"]:
            raise ValueError(f"cannot resume: {data_path} is not the file the checkpoint was trained on ({settings['data']})")
        data_path = Path(settings["data"]) if data is None and Path(settings["data"]).is_file() else data_path
    else:
        if ckpt_path.exists():
            raise ValueError(f"{ckpt_path} exists: pass resume=True (--resume) to continue it, or choose another output folder")
        settings = _settings(locals())
        settings.update(data=str(data_path), data_id=_file_id(data_path))
        start = None
        if init_from is not None:  # the network and its vocabulary come from the starting prior
            start = load_prior(init_from, device="cpu")
            settings.update(_start_settings(start), init_from=_start_record(start, init_from))
        state = None
    out_dir.mkdir(parents=True, exist_ok=True)

    if state is None:
        if start is None:
            tokenizer, n_rows = _build_vocabulary(
                data_path, settings["smiles_col"], settings["chunk_size"], _TOKENIZER_KINDS[settings["tokenizer"]], progress
            )
        else:  # SMILES with tokens outside the starting prior's vocabulary are skipped and counted
            tokenizer, n_rows = start.tokenizer, count_smiles(data_path, smiles_col=settings["smiles_col"])
        if n_rows <= settings["val_size"]:
            raise ValueError(f"{data_path} has {n_rows} SMILES, not more than val_size={settings['val_size']}")
        settings["n_rows"] = n_rows
        torch.manual_seed(settings["seed"])
        prior = (
            start
            if start is not None
            else Prior(
                tokenizer,
                architecture=settings["architecture"],
                max_length=settings["max_length"],
                device="cpu",
                **_hyperparameters(settings),
            )
        )
        position = {"epoch": 0, "chunk": 0, "batch": 0, "step": 0, "molecules": 0, "skipped": 0, "elapsed": 0.0}
        history: list = []
    else:
        tokenizer = TOKENIZERS[_TOKENIZER_KINDS[settings.get("tokenizer", "smiles")]](state["tokens"])
        prior = Prior(
            tokenizer, architecture=settings["architecture"], max_length=settings["max_length"], device="cpu", **_hyperparameters(settings)
        )
        prior.module.load_state_dict(state["model"])
        position = dict(state["position"])
        history = list(state["history"])
    prior.to(device)
    optimizer = torch.optim.Adam(prior.module.parameters(), lr=settings["learning_rate"])
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng_cpu"])
        if device.type == "cuda" and "rng_cuda" in state:
            torch.cuda.set_rng_state(state["rng_cuda"], device)

    val_rows = validation_rows(settings["n_rows"], settings["val_size"], settings["seed"]) if _shuffle(settings) == "global" else None
    val = _validation_set(prior, data_path, settings, val_rows)
    n_train = settings["n_rows"] - settings["val_size"]
    target = math.floor(epochs * n_train)
    if max_molecules is not None:
        target = min(target, int(max_molecules))
    started = time.perf_counter()
    elapsed_before = position["elapsed"]

    def save_checkpoint(val_nll: float | None) -> None:
        position["elapsed"] = elapsed_before + time.perf_counter() - started
        record = {
            "step": position["step"],
            "molecules": position["molecules"],
            "elapsed_s": round(position["elapsed"], 1),
            "lr": _lr(settings, position["molecules"]),
            "train_nll": running.get("mean"),
            "val_nll": val_nll,
        }
        if not history or history[-1]["step"] != position["step"]:
            history.append(record)
        payload = {
            "settings": settings,
            "tokens": tokenizer.to_dict()["tokens"],
            "model": {k: v.detach().cpu() for k, v in prior.module.state_dict().items()},
            "optimizer": optimizer.state_dict(),
            "rng_cpu": torch.get_rng_state(),
            "position": position,
            "history": history,
        }
        if device.type == "cuda":
            payload["rng_cuda"] = torch.cuda.get_rng_state(device)
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        write_bytes(ckpt_path, buffer.getvalue())

    running: dict = {}
    from tqdm.auto import tqdm

    bar = tqdm(
        total=target, initial=min(position["molecules"], target), desc="training prior", unit="mol", disable=not progress, smoothing=0.05
    )
    stop = position["molecules"] >= target
    prior.module.train()
    try:
        while not stop:
            for chunk_index, rows in _epoch_chunks(data_path, settings, position["epoch"], position["chunk"], val_rows):
                batches = _batches(rows, settings["batch_size"], _chunk_generator(settings["seed"], position["epoch"], chunk_index))
                for batch_index in range(position["batch"], len(batches)):
                    ids = [rows[i] for i in batches[batch_index]]
                    encoded = [_encode(tokenizer, s, settings["max_length"]) for s in ids]
                    encoded = [e for e in encoded if e is not None]
                    position["skipped"] += len(ids) - len(encoded)
                    if encoded:
                        loss = _train_step(prior, optimizer, encoded, settings, position["molecules"])
                        running["mean"] = loss if "mean" not in running else 0.98 * running["mean"] + 0.02 * loss
                    position["batch"] = batch_index + 1
                    position["step"] += 1
                    position["molecules"] += len(ids)
                    bar.update(len(ids))
                    if running:
                        bar.set_postfix(nll=f"{running['mean']:.2f}", refresh=False)
                    stop = position["molecules"] >= target or (time_limit is not None and time.perf_counter() - started >= time_limit)
                    if stop:
                        break
                    if position["step"] % checkpoint_every == 0:
                        save_checkpoint(_validation_nll(prior, val))
                if stop:
                    break
                position["chunk"], position["batch"] = chunk_index + 1, 0
            else:
                position["epoch"] += 1
                position["chunk"], position["batch"] = 0, 0
    finally:
        bar.close()
        prior.module.eval()
    val_nll = _validation_nll(prior, val)
    if history and history[-1]["step"] == position["step"]:
        history[-1]["val_nll"] = val_nll
    save_checkpoint(val_nll)
    prior.metadata = _budget(settings, position, history, device, val_nll, n_train)
    prior.save(out_dir)
    return prior


# -------------------------------------------------------------------- pieces
def _train_step(prior: Prior, optimizer, encoded: list[list[int]], settings: dict, molecules: int) -> float:
    for group in optimizer.param_groups:
        group["lr"] = _lr(settings, molecules)
    batch = pad_sequences(encoded, prior.tokenizer.pad_id).to(prior.device)
    optimizer.zero_grad(set_to_none=True)
    loss = prior.nll_loss(batch)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(prior.module.parameters(), settings["clip_grad"])
    optimizer.step()
    return float(loss.detach())


def _batches(rows: list[str], batch_size: int, generator: torch.Generator, window: int = 32) -> list[list[int]]:
    """Shuffle, sort windows of ``window`` batches by length (less padding), shuffle batch order."""
    order = torch.randperm(len(rows), generator=generator).tolist()
    batches = []
    span = batch_size * window
    for start in range(0, len(order), span):
        part = sorted(order[start : start + span], key=lambda i: len(rows[i]))
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def _lr(settings: dict, molecules: int) -> float:
    return settings["learning_rate"] * settings["lr_decay"] ** (molecules / settings["lr_decay_molecules"])


def _encode(tokenizer: SmilesTokenizer, smiles: str, max_length: int) -> list[int] | None:
    try:
        ids = tokenizer.encode(smiles)
    except UnknownTokenError:
        return None
    return ids if len(ids) <= max_length else None


def _training_rows(chunk: list[str], chunk_index: int, settings: dict) -> list[str]:
    """Drop the held-out validation rows (the file's first ``val_size``)."""
    start = chunk_index * settings["chunk_size"]
    skip = max(0, settings["val_size"] - start)
    return chunk[skip:]


def _shuffle(settings: dict) -> str:
    return settings.get("shuffle", "chunk")  # checkpoints from before the setting shuffled within chunks


def _epoch_chunks(data_path: Path, settings: dict, epoch: int, start: int, val_rows):
    """``(index, training rows)`` of one epoch's chunks from chunk ``start`` on, validation rows left out."""
    if _shuffle(settings) == "global":
        buckets = n_buckets(settings["n_rows"] - settings["val_size"], settings["chunk_size"])
        yield from iter_buckets(
            data_path, smiles_col=settings["smiles_col"], seed=settings["seed"], epoch=epoch, buckets=buckets, start=start, exclude=val_rows
        )
        return
    for index, chunk in enumerate(iter_smiles_chunks(data_path, chunk_size=settings["chunk_size"], smiles_col=settings["smiles_col"])):
        if index >= start:
            yield index, _training_rows(chunk, index, settings)


def _validation_set(prior: Prior, data_path: Path, settings: dict, rows=None) -> list[torch.Tensor]:
    """The validation SMILES, encoded: the file's first ``val_size`` rows, or the given row indices."""
    if settings["val_size"] == 0:
        return []
    smiles: list[str] = []
    offset = 0
    for chunk in iter_smiles_chunks(
        data_path, chunk_size=max(settings["val_size"], 1000) if rows is None else 200_000, smiles_col=settings["smiles_col"]
    ):
        if rows is None:
            smiles.extend(chunk)
        else:
            inside = rows[(rows >= offset) & (rows < offset + len(chunk))] - offset
            smiles.extend(chunk[i] for i in inside)
            offset += len(chunk)
        if len(smiles) >= settings["val_size"]:
            break
    encoded = [e for s in smiles[: settings["val_size"]] if (e := _encode(prior.tokenizer, s, settings["max_length"]))]
    return [pad_sequences(encoded[i : i + 512], prior.tokenizer.pad_id) for i in range(0, len(encoded), 512)]


def _validation_nll(prior: Prior, val: list[torch.Tensor]) -> float | None:
    if not val:
        return None
    was_training = prior.module.training
    prior.module.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in val:
            total += float(-prior.log_likelihood(batch.to(prior.device)).sum())
            count += len(batch)
    prior.module.train(was_training)
    return round(total / count, 4)


def _build_vocabulary(
    path: Path, smiles_col, chunk_size: int, kind: str = "smiles_regex", progress: bool = False
) -> tuple[SmilesTokenizer, int]:
    from collections import Counter

    cls = TOKENIZERS[kind]
    counts: Counter = Counter()
    n = 0
    chunks = iter_smiles_chunks(path, chunk_size=chunk_size, smiles_col=smiles_col)
    if progress:
        from tqdm.auto import tqdm

        chunks = tqdm(chunks, desc="vocabulary", unit="chunk", leave=False)
    for chunk in chunks:
        for smi in chunk:
            try:
                counts.update(cls.split(smi))
            except UnknownTokenError:
                continue
        n += len(chunk)
    if not counts:
        raise ValueError(f"{path}: no SMILES could be tokenized")
    return cls(sorted(counts, key=lambda t: (-counts[t], t))), n


def _chunk_generator(seed: int, epoch: int, chunk: int) -> torch.Generator:
    digest = hashlib.sha256(f"{seed}/{epoch}/{chunk}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))


def _file_id(path: Path) -> str:
    stat = Path(path).stat()
    return f"{Path(path).name}:{stat.st_size}"


#: ``train_prior(tokenizer=...)`` names -> tokenizer kinds.
_TOKENIZER_KINDS = {"smiles": "smiles_regex", "selfies": "selfies"}

_SETTING_NAMES = (
    "smiles_col",
    "tokenizer",
    "architecture",
    "hidden_size",
    "num_layers",
    "embedding_dim",
    "d_model",
    "num_heads",
    "dropout",
    "max_length",
    "batch_size",
    "learning_rate",
    "lr_decay",
    "lr_decay_molecules",
    "clip_grad",
    "val_size",
    "chunk_size",
    "shuffle",
    "seed",
)


def _settings(args: dict) -> dict:
    settings = {k: args[k] for k in _SETTING_NAMES}
    for name in (
        "hidden_size",
        "num_layers",
        "embedding_dim",
        "d_model",
        "num_heads",
        "max_length",
        "batch_size",
        "lr_decay_molecules",
        "chunk_size",
        "seed",
    ):
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "seed" else 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if isinstance(settings["val_size"], bool) or not isinstance(settings["val_size"], int) or settings["val_size"] < 0:
        raise ValueError(f"val_size must be a non-negative integer, got {settings['val_size']!r}")
    for name in ("learning_rate", "lr_decay", "clip_grad"):
        if not float(settings[name]) > 0:
            raise ValueError(f"{name} must be positive, got {settings[name]!r}")
        settings[name] = float(settings[name])
    if not 0.0 <= float(settings["dropout"]) < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {settings['dropout']!r}")
    settings["dropout"] = float(settings["dropout"])
    if settings["shuffle"] not in SHUFFLES:
        raise ValueError(f"unknown shuffle {settings['shuffle']!r}; choose one of: {', '.join(SHUFFLES)}")
    if settings["tokenizer"] not in _TOKENIZER_KINDS:
        raise ValueError(f"unknown tokenizer {settings['tokenizer']!r}; choose one of: {', '.join(_TOKENIZER_KINDS)}")
    if settings["tokenizer"] == "selfies":
        import importlib.util

        if importlib.util.find_spec("selfies") is None:
            raise ValueError("tokenizer='selfies' needs the selfies package (pip install selfies)")
    from molgen.generate.modules import ARCHITECTURES

    ARCHITECTURES.get(settings["architecture"])  # clear error listing the choices
    settings["architecture"] = settings["architecture"].lower()
    return settings


def _start_settings(start: Prior) -> dict:
    """Settings that a run started from ``start`` takes from it."""
    kind = next(name for name, value in _TOKENIZER_KINDS.items() if value == start.tokenizer.kind)
    return {"architecture": start.architecture, "max_length": start.max_length, "tokenizer": kind, **start.hyperparameters}


def _start_record(start: Prior, path) -> dict:
    """Where a run started: the prior's folder, weights checksum and its own training budget."""
    import json

    config = json.loads((Path(path) / "prior.json").read_text(encoding="utf-8"))
    before = start.metadata.get("training", {})
    return {
        "path": str(Path(path).resolve()),
        "weights_sha256": config.get("weights_sha256"),
        "molecules_seen": before.get("molecules_seen"),
        "wall_time_s": before.get("wall_time_s"),
        "settings": before.get("settings"),
    }


def _hyperparameters(settings: dict) -> dict:
    if settings["architecture"] == "transformer":
        return {
            "d_model": settings["d_model"],
            "num_heads": settings["num_heads"],
            "num_layers": settings["num_layers"],
            "dropout": settings["dropout"],
        }
    return {
        "embedding_dim": settings["embedding_dim"],
        "hidden_size": settings["hidden_size"],
        "num_layers": settings["num_layers"],
        "dropout": settings["dropout"],
    }


def _check_budget(epochs, max_molecules, time_limit, checkpoint_every) -> None:
    if not isinstance(epochs, (int, float)) or isinstance(epochs, bool) or not epochs > 0:
        raise ValueError(f"epochs must be a positive number, got {epochs!r}")
    if max_molecules is not None and (isinstance(max_molecules, bool) or not isinstance(max_molecules, int) or max_molecules < 1):
        raise ValueError(f"max_molecules must be a positive integer or None, got {max_molecules!r}")
    if time_limit is not None and not float(time_limit) > 0:
        raise ValueError(f"time_limit must be positive seconds or None, got {time_limit!r}")
    if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int) or checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be a positive integer, got {checkpoint_every!r}")


def _budget(settings, position, history, device, val_nll, n_train) -> dict:
    return {
        "training": {
            "data": Path(settings["data"]).name,
            "data_rows": settings["n_rows"],
            "validation_rows": settings["val_size"],
            "molecules_seen": position["molecules"],
            "molecules_skipped": position["skipped"],
            "epochs": round(position["molecules"] / n_train, 4),
            "steps": position["step"],
            "wall_time_s": round(position["elapsed"], 1),
            "final_val_nll": val_nll,
            "settings": {k: v for k, v in settings.items() if k not in ("data", "data_id", "n_rows")},
            "machine": {
                "device": str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
                "cpu": platform.processor() or platform.machine(),
                "cpu_count": os.cpu_count(),
                "torch_threads": torch.get_num_threads(),
                "torch": torch.__version__,
            },
            "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "history": history,
        }
    }
