"""Virtual screening throughput: plain single-process loop vs Ray with 1 and 2 workers, per stage.

    nice -n 5 .venv/bin/python benchmarks/screen.py --rows 6000 --workers 1 2
    nice -n 5 .venv/bin/python benchmarks/screen.py --rows 10000 40000 160000 --workers 2 --no-plain --hidden 64
    .venv/bin/python benchmarks/screen.py --rows 300000 --shard-size 5000 --rss-series    # leak check

Library: the first --rows molecules of the MOSES training set (molsets wheel), written as a
gzipped CSV slice. Model: a real efficacy model trained here on CHEMBL2321810 (one member, a
few epochs: prediction cost does not depend on its accuracy; ``--hidden`` sets its width,
300 = the default architecture). Reports molecules/second end to end, per stage (rows per
worker-second, from the run's summary), and the peak resident memory of each Ray model
worker, of the other Ray workers and of the driver (sampled every 0.2 s). Each run prints
one JSON line on stderr; the whole report is one JSON document on stdout.
"""

import argparse
import gzip
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def build_model(folder: Path, hidden: int) -> Path:
    from molgen.data import load_dataset
    from molgen.efficacy import fit_efficacy_model
    from molgen.train import TrainConfig

    data = load_dataset("chembl2321810").frame
    model = fit_efficacy_model(
        data["smiles"].tolist(),
        data["pIC50"].to_numpy(),
        ensemble_size=1,
        model_options={"hidden": hidden, "ffn_hidden": hidden},
        train_config=TrainConfig(epochs=3, warmup_epochs=1),
    )
    return model.save(folder / "model")


def build_library(folder: Path, rows: int) -> Path:
    from molgen.data import dataset_path

    path = folder / f"moses_{rows}.csv.gz"
    with gzip.open(dataset_path("moses_train"), "rt") as src, gzip.open(path, "wt") as dst:
        for i, line in enumerate(src):
            if i > rows:
                break
            dst.write(line)
    return path


def local_pipeline(model: Path, library: Path, shard_size: int):
    """``(files, shards, stages)``: the library's shards and the screening stages, in this process."""
    from molgen.distributed.library import find_files, plan_shards, scan_file
    from molgen.distributed.stages import FeaturizeStage, PredictStage, PrepareStage, ScoreStage

    root, paths = find_files(library)
    files = [scan_file(p, root, shard_size) for p in paths]
    stages = {
        "prepare": PrepareStage(model),
        "featurize": FeaturizeStage(),
        "predict": PredictStage(model, device="cpu"),
        "score": ScoreStage(model),
    }
    return files, plan_shards(files, shard_size), stages


def plain_loop(model: Path, library: Path, out: Path, shard_size: int) -> dict:
    """The same stages in one process, one shard at a time, timed per stage."""
    from molgen.distributed.library import read_shard
    from molgen.distributed.workers import WriteShard

    out.mkdir(parents=True)
    (out / "shards").mkdir()
    times = dict.fromkeys(["read", "prepare", "featurize", "predict", "score", "write"], 0.0)
    t0 = time.perf_counter()
    files, shards, stages = local_pipeline(model, library, shard_size)
    writer = WriteShard(out, counts={s.index: s.count for s in shards}, smiles_col="SMILES", id_col=None, top_k=100)
    start = time.perf_counter()
    n = 0
    for shard in shards:
        t = time.perf_counter()
        batch = read_shard(files[shard.file], shard, smiles_col="SMILES")
        batch["_shard"] = np.full(shard.count, shard.index)
        times["read"] += time.perf_counter() - t
        for name, stage in stages.items():
            t = time.perf_counter()
            batch = stage(batch)
            times[name] += time.perf_counter() - t
        t = time.perf_counter()
        writer(batch)
        times["write"] += time.perf_counter() - t
        n += shard.count
    total = time.perf_counter() - start
    return {
        "rows": n,
        "seconds": total,
        "mol_per_s": n / total,
        "setup_seconds": start - t0,
        "per_stage_mol_per_s": {k: n / v for k, v in times.items() if v > 0},
    }


def rss_series(model: Path, library: Path, shard_size: int) -> list[dict]:
    """The stages in one process, shard after shard; resident memory after each shard (leak check)."""
    import gc
    import os

    from molgen.distributed.library import read_shard

    def rss_mb() -> float:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    files, shards, stages = local_pipeline(model, library, shard_size)
    series, rows = [], 0
    for shard in shards:
        batch = read_shard(files[shard.file], shard, smiles_col="SMILES")
        batch["_shard"] = np.full(shard.count, shard.index)
        for stage in stages.values():
            batch = stage(batch)
        rows += shard.count
        del batch
        gc.collect()
        series.append({"rows": rows, "rss_mb": round(rss_mb(), 1)})
        print(json.dumps(series[-1]), file=sys.stderr, flush=True)
    return series


RAY_RUN = """
import json, os, sys, threading, time, psutil
from molgen.distributed import ensure_ray, screen
ensure_ray(num_cpus={workers})
model_peak, other_peak, driver_peak = {{}}, {{}}, [0]
stop = False
me = psutil.Process()
def sample():
    while not stop:
        driver_peak[0] = max(driver_peak[0], me.memory_info().rss)
        for p in me.children(recursive=True):  # this run's Ray instance only
            try:
                cmd = " ".join(p.cmdline())
                if not cmd.startswith("ray::"):
                    continue
                peak = model_peak if "ModelWorker" in cmd else other_peak
                peak[p.pid] = max(peak.get(p.pid, 0), p.memory_info().rss)
            except psutil.Error:
                pass
        time.sleep(0.2)
threading.Thread(target=sample, daemon=True).start()
r = screen({model!r}, {library!r}, out_dir={out!r}, smiles_col="SMILES", top_k=100, shard_size={shard}, num_workers={workers}, progress=False)
stop = True
run = r.summary["run"]
mb = lambda d: sorted(round(v / 2**20) for v in d.values())
print(json.dumps({{"rows": run["rows"], "seconds": run["seconds"], "mol_per_s": run["rows_per_second"], "total_seconds": run["total_seconds"],
                  "per_stage_mol_per_worker_s": run["stage_rows_per_second"],
                  "peak_rss_mb_model_workers": mb(model_peak), "peak_rss_mb_other_ray_workers": mb(other_peak),
                  "peak_rss_mb_driver": round(driver_peak[0] / 2**20)}}))
"""


def ray_run(model: Path, library: Path, out: Path, shard_size: int, workers: int) -> dict:
    code = RAY_RUN.format(model=str(model), library=str(library), out=str(out), shard=shard_size, workers=workers)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[20000], help="library sizes (first rows of MOSES train)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--shard-size", type=int, default=2000)
    parser.add_argument("--no-plain", action="store_true", help="skip the plain single-process loop")
    parser.add_argument("--rss-series", action="store_true", help="instead: run the stages in one process and record RSS after every shard")
    parser.add_argument("--hidden", type=int, default=300, help="model width (default: %(default)s, the default architecture)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = build_model(tmp, args.hidden)
        report = {
            "command": " ".join(sys.argv),
            "machine": f"{platform.machine()} {platform.processor() or ''} cpus={__import__('os').cpu_count()}",
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "load_average": __import__("os").getloadavg(),
            "runs": [],
        }
        for rows in args.rows:
            library = build_library(tmp, rows)
            if args.rss_series:
                report["runs"].append(
                    {"rows": rows, "engine": "stages in one process", "rss_after_each_shard": rss_series(model, library, args.shard_size)}
                )
                continue
            if not args.no_plain:
                report["runs"].append(
                    {"rows": rows, "engine": "plain loop", **plain_loop(model, library, tmp / f"plain{rows}", args.shard_size)}
                )
            for w in args.workers:
                report["runs"].append(
                    {"rows": rows, "engine": f"ray {w} worker(s)", **ray_run(model, library, tmp / f"ray{rows}_{w}", args.shard_size, w)}
                )
            for run in report["runs"][-(len(args.workers) + (not args.no_plain)) :]:
                print(json.dumps(run), file=sys.stderr)
        print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
