"""The screening job's workers: read a shard, run the model stages, write a shard.

:class:`ReadShard` and :class:`WriteShard` are light IO steps; :class:`ModelWorker`
chains the stages of :mod:`molgen.distributed.stages` around one loaded model. On a GPU
machine featurization runs in separate CPU tasks (:class:`FeaturizeWorker`) so that the
model actors only predict; on CPU one worker does it all, which avoids moving graph
arrays between processes.
"""

import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from molgen.distributed.library import LibraryFile, Shard, read_shard
from molgen.distributed.output import file_record, json_safe, seal_marker, shard_paths, write_json
from molgen.distributed.stages import FeaturizeStage, PredictStage, PrepareStage, ScoreStage
from molgen.utils.files import atomic_path

SHARD_COL = "_shard"
#: per-row share of a stage's wall time, ``_seconds_<stage>``; summed per shard into its stats
TIMING_PREFIX = "_seconds_"
STAGES = ("read", "prepare", "featurize", "predict", "score")


def _timed(batch: dict, stage: str, fn) -> dict:
    """``fn(batch)`` with its wall time spread over the rows as ``_seconds_<stage>``."""
    start = time.perf_counter()
    out = fn(batch)
    n = len(out["smiles"])
    out[TIMING_PREFIX + stage] = np.full(n, (time.perf_counter() - start) / max(n, 1))
    return out


class ReadShard:
    """Shard descriptors (``index``, ``file``, ``start``, ``count``, ``offset``) -> their rows.

    Adds ``_shard`` (the shard index) to every row.
    """

    def __init__(self, files: list[dict], *, smiles_col: str, id_col: str | None = None):
        self.files = [LibraryFile.from_dict(f) if isinstance(f, dict) else f for f in files]
        self.smiles_col, self.id_col = smiles_col, id_col

    def __call__(self, batch: dict) -> dict:
        return _timed(batch, "read", self._read)

    def _read(self, batch: dict) -> dict:
        parts = []
        for values in zip(*(batch[k] for k in ("index", "file", "start", "count", "offset"))):
            shard = Shard(*(int(v) for v in values))
            rows = read_shard(self.files[shard.file], shard, smiles_col=self.smiles_col, id_col=self.id_col)
            rows[SHARD_COL] = np.full(shard.count, shard.index, dtype=np.int64)
            parts.append(rows)
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


class FeaturizeWorker:
    """Prepare and featurize (CPU), for pipelines whose model actors sit on GPUs."""

    def __init__(self, model_dir):
        self.prepare, self.featurize = PrepareStage(model_dir), FeaturizeStage()

    def __call__(self, batch: dict) -> dict:
        return _timed(_timed(batch, "prepare", self.prepare), "featurize", self.featurize)


class ModelWorker:
    """Load the model (and scorer) once; map shards through the model stages.

    Parameters
    ----------
    model_dir : path
    scorer_config : path, dict or None
        See :class:`~molgen.distributed.stages.ScoreStage`.
    featurize : bool
        Also prepare and featurize (``True``), or expect featurized batches.
    device : str
        Where the model runs: ``"auto"``, ``"cpu"`` or ``"cuda"``.
    """

    def __init__(self, model_dir, scorer_config=None, *, featurize: bool = True, device: str = "auto"):
        self.before = FeaturizeWorker(model_dir) if featurize else None
        self.predict = PredictStage(model_dir, device=device)
        self.score = ScoreStage(model_dir, scorer_config)

    def __call__(self, batch: dict) -> dict:
        if self.before is not None:
            batch = self.before(batch)
        return _timed(_timed(batch, "predict", self.predict), "score", self.score)


def output_columns(batch: dict, *, smiles_col: str, id_col: str | None) -> list[tuple[str, str]]:
    """``(batch column, output name)`` in output order."""
    order = (["id"] if id_col is not None else []) + ["smiles", "smiles_std", "state", "error"]
    tail = ["score", "file", "row"]
    middle = [c for c in batch if c not in order and c not in tail and not c.startswith("_")]
    names = {"smiles": smiles_col, "id": id_col}
    return [(c, names.get(c, c)) for c in order + middle + tail]


def to_arrow(batch: dict, columns: list[tuple[str, str]]) -> pa.Table:
    arrays, names = [], []
    for col, name in columns:
        values = np.asarray(batch[col])
        if values.dtype == object:
            arrays.append(pa.array(["" if v is None else str(v) for v in values], type=pa.string()))
        else:
            arrays.append(pa.array(values))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


class WriteShard:
    """Write each shard of a batch as ``part-NNNNNN.parquet`` plus its ``.json`` marker, atomically.

    The marker (:mod:`molgen.distributed.output`) records the Parquet file's row count, byte
    size and sha256, and is written last.

    Returns one row per shard written: ``shard``, ``rows``, ``valid``.

    Raises
    ------
    RuntimeError
        If a batch holds part of a shard only (a shard must travel as one block).
    """

    def __init__(self, out_dir, *, counts: dict, smiles_col: str, id_col: str | None, top_k: int):
        self.out_dir, self.counts, self.top_k = out_dir, counts, top_k
        self.smiles_col, self.id_col = smiles_col, id_col

    def __call__(self, batch: dict) -> dict:
        shards = np.asarray(batch[SHARD_COL])
        done, rows, valid = [], [], []
        for index in np.unique(shards):
            take = np.flatnonzero(shards == index)
            part = {k: np.asarray(v)[take] for k, v in batch.items()}
            expected = self.counts[int(index)]
            if len(take) != expected:
                raise RuntimeError(f"shard {index} arrived in pieces ({len(take)} of {expected} rows); cannot write it atomically")
            self.write(int(index), part)
            done.append(int(index)), rows.append(len(take)), valid.append(int((part["state"] == "valid").sum()))
        return {"shard": np.array(done, dtype=np.int64), "rows": np.array(rows, dtype=np.int64), "valid": np.array(valid, dtype=np.int64)}

    def write(self, index: int, part: dict) -> None:
        start = time.perf_counter()
        columns = output_columns(part, smiles_col=self.smiles_col, id_col=self.id_col)
        table = to_arrow(part, columns)
        name = Shard(index, 0, 0, 0).name
        data_path, stats_path = shard_paths(self.out_dir, name)
        with atomic_path(data_path) as tmp:
            pq.write_table(table, tmp)
            record = file_record(tmp)  # bytes and sha256, for the marker: a damaged file is found later
        states, counts = np.unique(part["state"].astype(str), return_counts=True)
        score = np.asarray(part["score"], dtype=float)
        ranked = [i for i in np.lexsort((part["row"], -np.nan_to_num(score, nan=-np.inf))) if np.isfinite(score[i])][: self.top_k]
        top = table.take(pa.array(np.array(ranked, dtype=np.int64))).to_pylist()
        stats = {
            "shard": index,
            "rows": int(len(part["state"])),
            **record,
            "states": {str(s): int(c) for s, c in zip(states, counts)},
            "scored": int(np.isfinite(score).sum()),
            "top_k": self.top_k,
            "top": json_safe(top),
            "seconds": {k: float(np.sum(part[TIMING_PREFIX + k])) for k in STAGES if TIMING_PREFIX + k in part},
        }
        stats["seconds"]["write"] = time.perf_counter() - start
        write_json(seal_marker(stats), stats_path)
