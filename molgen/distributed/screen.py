"""Virtual screening of a molecule library with a saved efficacy model, on Ray or in-process.

:func:`screen` plans deterministic shards, skips the shards an earlier run of the same job
finished, runs the others through the stages (a Ray Data pipeline, or a plain loop with
``engine="local"``) and writes the top-k table and ``summary.json``. See
:mod:`molgen.distributed.output` for the output folder.
"""

import dataclasses
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from molgen.distributed import output as out_mod
from molgen.distributed.library import (
    DEFAULT_SHARD_SIZE,
    LibraryError,
    LibraryFile,
    Shard,
    check_column,
    find_files,
    plan_shards,
    scan_file,
)
from molgen.distributed.workers import FeaturizeWorker, ModelWorker, ReadShard, WriteShard
from molgen.utils.files import atomic_path
from molgen.utils.renamed import renamed_keywords

ENGINES = ("ray", "local")
#: damaged shards named one by one in the log; the rest are counted
_LOG_SHARDS = 10

log = logging.getLogger(__name__)


@dataclasses.dataclass
class ScreenResult:
    """What :func:`screen` did: the output folder, its summary and the top-k table."""

    out_dir: Path
    summary: dict
    top: pd.DataFrame

    def report(self) -> str:
        """A few lines for a person: rows by state, throughput, where the results are."""
        s = self.summary
        states = ", ".join(f"{n} {k}" for k, n in sorted(s["states"].items(), key=lambda kv: (kv[0] != "valid", -kv[1])))
        lines = [
            f"screened {s['rows']} rows in {s['shards']} shards ({states})",
            f"this run: {s['run']['rows']} rows in {s['run']['seconds']:.1f} s ({s['run']['rows_per_second']:.0f} mol/s); "
            f"{s['run']['shards_skipped']} shards already done",
        ]
        redone, moved = s["run"].get("shards_redone") or [], s["run"].get("quarantined") or []
        if redone:
            lines.append(f"redid {len(redone)} damaged or unfinished shards: {', '.join(redone[:5])}{' ...' if len(redone) > 5 else ''}")
        if moved:
            lines.append(
                f"moved {len(moved)} file{'s' if len(moved) != 1 else ''} that belong to no shard to {self.out_dir / out_mod.QUARANTINE}"
            )
        stages = s["run"].get("stage_rows_per_second") or {}
        if stages:
            lines.append("per stage (mol per worker-second): " + ", ".join(f"{k} {v:,.0f}" for k, v in stages.items()))
        lines += [
            f"best score {s['best_score']:.4g}; top {len(self.top)} -> {self.out_dir / out_mod.TOP_PARQUET}"
            if len(self.top)
            else "no row could be scored",
            f"all rows -> {self.out_dir / out_mod.SHARDS}/part-*.parquet; summary -> {self.out_dir / out_mod.SUMMARY}",
        ]
        return "\n".join(lines)


def _scan_all(paths, root, shard_size: int, engine: str, old: dict | None) -> list[LibraryFile]:
    """Scan library files, reusing an earlier run's scan of files that did not change."""
    reuse = {}
    if old:
        for f in old.get("library", {}).get("scans", []):
            reuse[f["name"]] = f
    files, todo = [None] * len(paths), []
    for i, p in enumerate(paths):
        name = p.relative_to(root).as_posix()
        prev = reuse.get(name)
        if prev is not None and prev["size"] == p.stat().st_size and prev["fingerprint"] == out_fp(p):
            files[i] = LibraryFile.from_dict({**prev, "path": str(p)})
        else:
            todo.append(i)
    if engine == "ray" and len(todo) > 1:
        import ray

        remote = ray.remote(num_cpus=1)(scan_file)
        results = ray.get([remote.remote(paths[i], root, shard_size) for i in todo])
    else:
        results = [scan_file(paths[i], root, shard_size) for i in todo]
    for i, f in zip(todo, results):
        files[i] = f
    return files


def out_fp(path: Path) -> str:
    from molgen.distributed.library import _fingerprint

    return _fingerprint(path, path.stat().st_size)


@renamed_keywords(workers="num_workers")
def screen(
    model,
    library,
    *,
    out_dir,
    smiles_col: str,
    id_col: str | None = None,
    scorer=None,
    top_k: int = 100,
    shard_size: int = DEFAULT_SHARD_SIZE,
    engine: str = "ray",
    num_workers: int | None = None,
    gpus: int | None = None,
    address: str | None = None,
    progress: bool = True,
    stall_timeout_s: float | None = None,
) -> ScreenResult:
    """Screen every row of a library with a model; resumable and idempotent.

    Parameters
    ----------
    model : path
        A model directory written by ``molgen train`` / :meth:`EfficacyModel.save`.
    library : path
        A ``.smi``/``.csv``/``.tsv`` file (optionally gzipped), a Parquet file, or a
        folder of such files (searched recursively, in sorted order).
    out_dir : path
        Output folder (created). If it holds an earlier run of the same model, library
        and settings, only the missing shards are run; a run of anything else is refused.
    smiles_col, id_col : str
        Columns holding the SMILES and (optionally) an identifier to carry along. For
        ``.smi`` files the columns are ``smiles`` and ``id``.
    scorer : path or dict, optional
        A :mod:`molgen.scoring` config; a ``model`` objective naming ``model`` reuses its
        predictions. Without it, ``score`` is the model's prediction.
    top_k : int
        Rows in the ``top_k`` table (best score first; rows without a score never appear).
    shard_size : int
        Rows per shard: the unit of work, retry and resumption.
    engine : {"ray", "local"}
        A Ray Data pipeline (joining ``address`` / ``RAY_ADDRESS`` or starting a local
        instance), or a plain in-process loop over the same stages.
    num_workers : int, optional
        Ray: model workers on CPU, or featurization tasks on a GPU machine (default: the
        cluster's CPUs, or one less on a GPU machine). ``workers`` is its deprecated name
        (until molgen 0.2).
    gpus : int, optional
        Ray: model actors on GPUs (default: every GPU of the cluster; 0 forces CPU).
    progress : bool
        Show a progress bar (rows).
    stall_timeout_s : float, optional
        Ray: fail when the pipeline makes no progress for this long.

    Returns
    -------
    ScreenResult

    Raises
    ------
    LibraryError
        Missing or unreadable library, unsupported file type, missing column.
    OutputError
        ``out_dir`` holds another run or other files.
    molgen.efficacy.CheckpointError
        ``model`` is not a loadable model directory.
    ValueError
        Bad ``top_k``, ``shard_size``, ``engine`` or scorer config.
    """
    from molgen.efficacy import load_model

    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be a positive int, got {top_k!r}")
    if shard_size < 1:
        raise ValueError(f"shard_size must be >= 1, got {shard_size}")
    started = time.perf_counter()
    model_dir = Path(model).expanduser().resolve()
    model_id = out_mod.model_identity(model_dir)
    loaded = load_model(model_dir)  # fail early, before any work, on a broken model
    scorer_dict = _scorer_settings(scorer)
    scorer_models = None
    if scorer_dict is not None:
        from molgen.distributed.stages import ScoreStage

        stage = ScoreStage(model_dir, scorer)  # validates the config and loads its models once, here
        # the scorer's models are part of the run's identity: a changed one must not resume
        scorer_models = {spec: out_mod.model_identity(path)["sha256"] for spec, path in stage.model_paths.items()}
    reserved = {"smiles_std", "state", "error", "score", "file", "row", "ad_similarity"}
    reserved |= {c for c in _prediction_names(loaded)}
    for col in (smiles_col, id_col):
        if col in reserved:
            raise LibraryError(f"input column {col!r} has the name of an output column; rename it")
    if id_col is not None and id_col == smiles_col:
        raise LibraryError(f"--id-col and --smiles-col are the same column {id_col!r}")

    out = Path(out_dir).expanduser().resolve()
    old = _read_manifest(out)
    root, paths = find_files(library)
    if engine == "ray":
        from molgen.distributed.runtime import ensure_ray

        ensure_ray(address)
    files = _scan_all(paths, root, shard_size, engine, old)
    for f in files:
        check_column(f, smiles_col, "SMILES")
        if id_col is not None:
            check_column(f, id_col, "id")
    shards = plan_shards(files, shard_size)
    manifest = {
        "format": out_mod.FORMAT,
        "format_version": out_mod.FORMAT_VERSION,
        "model": model_id,
        "library": {
            "root": str(root),
            "files": [f.identity() for f in files],
            "rows": int(sum(f.n_rows for f in files)),
            "scans": [{**f.to_dict(), "path": ""} for f in files],
        },
        "settings": {"smiles_col": smiles_col, "id_col": id_col, "shard_size": shard_size, "scorer": scorer_dict},
        "shards": len(shards),
    }
    if scorer_models:
        manifest["settings"]["scorer_models"] = scorer_models
    resumed = out_mod.check_out_dir(out, manifest)
    (out / out_mod.SHARDS).mkdir(parents=True, exist_ok=True)
    out_mod.clean_temporary(out)
    if not resumed:
        out_mod.write_json(manifest, out / out_mod.MANIFEST)
    stats, redone, moved = _check_done(out, shards)
    pending = [s for s in shards if stats[s.index] is None]
    kwargs = {"smiles_col": smiles_col, "id_col": id_col}
    run_start = time.perf_counter()
    n_pending = sum(s.count for s in pending)
    bar = tqdm(total=n_pending, unit="mol", desc="screening", disable=not progress or not pending, smoothing=0.05)
    try:
        if pending and engine == "local":
            _run_local(pending, files, model_dir, scorer, out, top_k, kwargs, bar)
        elif pending:
            _run_ray(
                pending,
                files,
                model_dir,
                scorer,
                out,
                top_k,
                kwargs,
                bar,
                num_workers=num_workers,
                gpus=gpus,
                stall_timeout_s=stall_timeout_s,
            )
    finally:
        bar.close()
    run_seconds = time.perf_counter() - run_start
    problems = {}
    for s in pending:
        stats[s.index], problems[s.name] = out_mod.check_shard(out, s)
    missing = [s.name for s in shards if stats[s.index] is None]
    if missing:
        why = next((f" ({name}: {problems[name]})" for name in missing if problems.get(name)), "")
        raise RuntimeError(
            f"{len(missing)} shards were not written ({', '.join(missing[:5])}...){why}; run the same command again to finish them"
        )
    top = _merge_top(out, shards, stats, files, top_k)
    with atomic_path(out / out_mod.TOP_PARQUET) as tmp:
        top.to_parquet(tmp, index=False)
    with atomic_path(out / out_mod.TOP_CSV) as tmp:
        top.to_csv(tmp, index=False)
    summary = _summary(manifest, shards, stats, pending, run_seconds, time.perf_counter() - started, engine, top, top_k)
    summary["run"]["shards_redone"], summary["run"]["quarantined"] = redone, [p.name for p in moved]
    out_mod.write_json(summary, out / out_mod.SUMMARY)
    return ScreenResult(out, summary, top)


def _check_done(out: Path, shards: list[Shard]) -> tuple[dict, list[str], list[Path]]:
    """Verify every done shard (:func:`~molgen.distributed.output.check_shard`) before resuming.

    A damaged or unmatched shard (truncated or changed Parquet file, marker without its file
    or file without its marker, unreadable marker) is removed, to be redone, and logged as a
    warning; files in ``shards/`` that no shard owns are moved to ``quarantine/``.

    Returns
    -------
    stats : dict
        Shard index -> the marker's stats, or ``None`` for a shard to run.
    redone : list of str
        Names of the shards removed to be redone.
    moved : list of Path
        Where the foreign files went.
    """
    stats, redone = {}, []
    for s in shards:
        stats[s.index], problem = out_mod.check_shard(out, s)
        if problem is not None:
            out_mod.discard_shard(out, s)
            redone.append(s.name)
            if len(redone) <= _LOG_SHARDS:
                log.warning("%s: redoing this shard: %s", s.name, problem)
    if len(redone) > _LOG_SHARDS:
        log.warning("redoing %d damaged or unfinished shards in all (%d more than listed)", len(redone), len(redone) - _LOG_SHARDS)
    moved = out_mod.quarantine(out, out_mod.foreign_entries(out, shards))
    if moved:
        names = ", ".join(p.name for p in moved[:_LOG_SHARDS]) + (" ..." if len(moved) > _LOG_SHARDS else "")
        log.warning("moved %d file(s) that belong to no shard from %s to %s: %s", len(moved), out / out_mod.SHARDS, moved[0].parent, names)
    return stats, redone, moved


def _prediction_names(model) -> list[str]:
    from molgen.distributed.stages import prediction_columns

    return prediction_columns(model)


def _scorer_settings(scorer) -> dict | None:
    if scorer is None:
        return None
    from molgen.scoring import load_config

    return load_config(scorer).to_dict()


def _read_manifest(out: Path) -> dict | None:
    try:
        return json.loads((out / out_mod.MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _run_local(pending, files, model_dir, scorer, out, top_k, kwargs, bar) -> None:
    reader = ReadShard([f.to_dict() for f in files], **kwargs)
    worker = ModelWorker(model_dir, scorer, featurize=True)
    writer = WriteShard(out, counts={s.index: s.count for s in pending}, top_k=top_k, **kwargs)
    for shard in pending:
        batch = reader({k: np.array([v]) for k, v in dataclasses.asdict(shard).items()})
        result = writer(worker(batch))
        bar.update(int(result["rows"].sum()))


def _cluster_resources(ray) -> tuple[int, int]:
    res = ray.cluster_resources()
    return int(res.get("CPU", 1)), int(res.get("GPU", 0))


def _run_ray(pending, files, model_dir, scorer, out, top_k, kwargs, bar, *, num_workers, gpus, stall_timeout_s) -> None:
    import ray
    from ray.data import ActorPoolStrategy, TaskPoolStrategy

    from molgen.distributed.runtime import quiet_ray_data

    cpus, cluster_gpus = _cluster_resources(ray)
    gpus = cluster_gpus if gpus is None else min(gpus, cluster_gpus)
    workers = num_workers or (max(cpus - gpus, 1) if gpus else cpus)
    items = [dataclasses.asdict(s) for s in pending]
    # no more I/O tasks than shards: Ray warns about a pool larger than its input
    io_pool = TaskPoolStrategy(size=max(1, min(max(2, workers), 8, len(items))))
    workers = max(1, min(workers, len(items)))
    with quiet_ray_data(timeout_s=stall_timeout_s):
        ds = ray.data.from_items(items, override_num_blocks=len(items))
        ds = ds.map_batches(
            _read_fn,
            fn_kwargs={"files": [f.to_dict() for f in files], **kwargs},
            batch_size=1,
            compute=io_pool,
            num_cpus=0,
        )
        if gpus:
            ds = ds.map_batches(
                _featurize_fn,
                fn_kwargs={"model_dir": str(model_dir)},
                batch_size=None,
                compute=TaskPoolStrategy(size=workers),
                num_cpus=1,
                udf_modifying_row_count=False,
            )
            ds = ds.map_batches(
                ModelWorker,
                fn_constructor_args=(str(model_dir), scorer),
                fn_constructor_kwargs={"featurize": False, "device": "cuda"},
                batch_size=None,
                compute=ActorPoolStrategy(size=gpus),
                num_cpus=1,
                num_gpus=1,
                udf_modifying_row_count=False,
            )
        else:
            ds = ds.map_batches(
                ModelWorker,
                fn_constructor_args=(str(model_dir), scorer),
                fn_constructor_kwargs={"featurize": True, "device": "cpu"},
                batch_size=None,
                compute=ActorPoolStrategy(size=workers),
                num_cpus=1,
                udf_modifying_row_count=False,
            )
        ds = ds.map_batches(
            _write_fn,
            fn_kwargs={"out_dir": str(out), "counts": {s.index: s.count for s in pending}, "top_k": top_k, **kwargs},
            batch_size=None,
            compute=io_pool,
            num_cpus=0,
        )
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            bar.update(int(np.sum(batch["rows"])))


# Ray Data task functions: stage objects are built once per worker process and reused.
_CACHE: dict = {}


def _cached(key, make):
    if key not in _CACHE:
        _CACHE.clear() if len(_CACHE) > 8 else None
        _CACHE[key] = make()
    return _CACHE[key]


def _read_fn(batch, *, files, smiles_col, id_col):
    key = ("read", json.dumps(files, sort_keys=True), smiles_col, id_col)
    return _cached(key, lambda: ReadShard(files, smiles_col=smiles_col, id_col=id_col))(batch)


def _featurize_fn(batch, *, model_dir):
    return _cached(("featurize", model_dir), lambda: FeaturizeWorker(model_dir))(batch)


def _write_fn(batch, *, out_dir, counts, top_k, smiles_col, id_col):
    return WriteShard(out_dir, counts=counts, top_k=top_k, smiles_col=smiles_col, id_col=id_col)(batch)


def _merge_top(out: Path, shards: list[Shard], stats: dict, files: list[LibraryFile], top_k: int) -> pd.DataFrame:
    """The best ``top_k`` rows over all shards (score, then file and row order).

    Memory stays O(``top_k``) whatever the number of shards: each shard's best rows are
    merged into a running list that is cut back to ``top_k``, and dropped from ``stats``.
    Column types follow the shards' Parquet schema.
    """
    import pyarrow.parquet as pq
    import pyarrow.types as pt

    order = {f.name: i for i, f in enumerate(files)}

    def key(r):
        return (-float(r["score"]), order[r["file"]], int(r["row"]))

    best: list = []
    for s in shards:
        st = stats[s.index]
        if st["top_k"] >= top_k:
            rows = st["top"][:top_k]
        else:  # an earlier run kept fewer rows per shard: read the shard again
            frame = pd.read_parquet(out_mod.shard_paths(out, s.name)[0])
            frame = frame[frame["score"].notna()].sort_values(["score", "row"], ascending=[False, True], kind="mergesort")
            rows = frame.head(top_k).to_dict("records")
        st.pop("top", None)
        best = sorted(best + rows, key=key)[:top_k]
    schema = pq.read_schema(out_mod.shard_paths(out, shards[0].name)[0])
    top = pd.DataFrame(best, columns=schema.names)
    for field in schema:
        if pt.is_floating(field.type):
            top[field.name] = top[field.name].astype(float)
        elif pt.is_integer(field.type):
            top[field.name] = top[field.name].astype(np.int64)
    top.insert(0, "rank", np.arange(1, len(top) + 1))
    return top


def _summary(manifest, shards, stats, pending, run_seconds, total_seconds, engine, top, top_k) -> dict:
    states: dict = {}
    for s in shards:
        for k, v in stats[s.index]["states"].items():
            states[k] = states.get(k, 0) + v
    run_rows = sum(s.count for s in pending)
    stage_seconds: dict = {}
    for s in pending:
        for k, v in stats[s.index].get("seconds", {}).items():
            stage_seconds[k] = stage_seconds.get(k, 0.0) + v
    return {
        "rows": int(sum(s.count for s in shards)),
        "shards": len(shards),
        "states": states,
        "scored": int(sum(stats[s.index].get("scored", 0) for s in shards)),
        "best_score": float(top["score"].iloc[0]) if len(top) else float("nan"),
        "top_k": top_k,
        "run": {
            "engine": engine,
            "rows": run_rows,
            "shards_run": len(pending),
            "shards_skipped": len(shards) - len(pending),
            "seconds": run_seconds,
            "rows_per_second": run_rows / run_seconds if run_seconds > 0 and run_rows else 0.0,
            "total_seconds": total_seconds,
            # worker-seconds spent in each stage over this run's shards, and rows per worker-second
            "stage_seconds": stage_seconds,
            "stage_rows_per_second": {k: run_rows / v for k, v in stage_seconds.items() if v > 0},
        },
        "model": manifest["model"],
        "library": {k: manifest["library"][k] for k in ("root", "files", "rows")},
        "settings": manifest["settings"],
    }
