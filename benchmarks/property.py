"""Property prediction: molgen's default efficacy model against RF, SVR and Chemprop v2.

For each data set (``chembl2321810`` pIC50, ``freesolv`` hydration free energy,
``solubility`` logS) x split method x seed:

1. The molecules are standardized and deduplicated once (``MoleculeTable.from_frame`` with
   molgen's default ``Standardizer``, then ``deduplicate("mean")``), and split once with
   ``molgen.data.split(smiles_std, method, sizes=(0.8, 0.1, 0.1), seed)`` into train /
   valid / test. Every model sees the same standardized SMILES and the same parts, and
   none sees the test part before it predicts it.
2. **molgen**: ``fit_efficacy_model`` with its defaults (3-member D-MPNN ensemble,
   ``TrainConfig()``: up to 100 epochs, patience 15, blended with a Tanimoto kernel ridge
   member weighted on its valid part), given train + valid only. It splits
   its input itself: a test part by the same split method, an early-stopping valid part and a
   conformal calibration part at random (its default ``valid_split``), and refits its
   fingerprint members on all of it at the end; ``sizes=(7/9, 1/9, 1/9, 0)`` of train + valid keeps molgen's default
   proportions (70 / 10 / 10 of the whole, the outer test being its 10 % test part).
   Test SMILES are predicted with ``EfficacyModel.predict``; RMSE / MAE / R2 with
   ``molgen.metrics.regression_metrics`` and the coverage of its 90 % intervals.
3. **RF**: ``RandomForestRegressor(n_estimators=500, n_jobs=-1, random_state=seed)`` on
   Morgan count fingerprints (radius 2, 2048), fitted on train + valid.
4. **SVR**: three variants, hyperparameters chosen on the valid part (fitted on train),
   then the variant with the lowest valid RMSE is refitted on train + valid: RBF on Morgan
   bits (grid over C, gamma, epsilon), and precomputed Tanimoto kernels on Morgan bits and
   on Morgan counts (MinMax) (grid over C, epsilon). Targets standardized.
5. **Chemprop** 2.3.1 with its defaults (50 epochs, no early stopping): ``chemprop train``
   on the train + valid file with ``--splits-column`` so its train / valid parts are ours,
   then ``chemprop predict`` on the test SMILES file with the saved ``best.pt``. Both run
   through ``benchmarks/_chemprop.py`` under Chemprop's own Python, which times the command
   apart from interpreter start-up and imports.

Timings (the CPU is shared, so they are indicative). Training seconds per epoch, whole
command: molgen, the wall time of ``fit_efficacy_model`` (standardize, featurize, train,
calibrate) divided by the epochs run summed over members; Chemprop, the ``train`` command
without interpreter start-up divided by its epochs. Training loop per epoch: the median
epoch (batches + validation), clocked from the benchmark side (molgen: wrappers around
``molgen.train.ensemble.train_model`` and ``molgen.train.loop.evaluate_loss``; Chemprop: a
Lightning callback added by ``_chemprop.py``). Prediction molecules per second on the outer
test SMILES file (``test.csv``, SMILES only) to a predictions CSV, fastest of
``--predict-repeats`` runs — molgen in-process: ``read_csv`` + ``model.predict`` +
``to_csv`` with the model in memory (after a two-molecule warm-up); Chemprop in-process: the
``predict`` command without start-up (it loads the model and builds a Lightning trainer);
and both CLIs end to end (``molgen predict`` / ``chemprop predict``, interpreter start-up
and model loading included).

Results go to a JSON file, one record per (data set, split, seed, model, configuration),
rewritten atomically after every model, so an interrupted run resumes where it stopped
(records with the same configuration are skipped). A Markdown summary is printed.

Usage::

    python benchmarks/property.py                        # everything, 5 seeds (hours)
    python benchmarks/property.py --quick --datasets freesolv --splits random --seeds 0
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
HELPER = Path(__file__).resolve().with_name("_chemprop.py")
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "property.json"
DEFAULT_QUICK_OUT = ROOT / "benchmarks" / "results" / "property-quick.json"
DEFAULT_CHEMPROP = "/tmp/chemprop-venv/bin/chemprop"

DATASETS = ("chembl2321810", "freesolv", "solubility")
SPLITS = ("scaffold", "random")
MODELS = ("molgen", "rf", "svr", "chemprop")
LABELS = {"molgen": "molgen", "rf": "RF", "svr": "SVR", "chemprop": "Chemprop"}
OUTER_SIZES = (0.8, 0.1, 0.1)
#: fit_efficacy_model's (train, valid, calibration, test) fractions of train + valid: molgen's
#: default 0.7 / 0.1 / 0.1 / 0.1 of the whole with the outer test part as its test part.
MOLGEN_SIZES = (7 / 9, 1 / 9, 1 / 9, 0.0)
COVERAGE = 0.9
FP_RADIUS, FP_BITS = 2, 2048
SVR_GRID = {
    "rbf_bits": {"C": [1.0, 10.0, 100.0], "gamma": [0.003, 0.01, 0.03, 0.1], "epsilon": [0.01, 0.1, 0.3]},
    "tanimoto_bits": {"C": [0.3, 1.0, 3.0, 10.0, 30.0, 100.0], "epsilon": [0.01, 0.1, 0.3]},
    "tanimoto_counts": {"C": [0.3, 1.0, 3.0, 10.0, 30.0, 100.0], "epsilon": [0.01, 0.1, 0.3]},
}


# ----------------------------------------------------------------------------- environment


def lscpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        match = re.search(r"Model name:\s*(.+)", out)
        if match:
            return match.group(1).strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown CPU"


def machine_info() -> dict:
    import rdkit
    import sklearn
    import torch

    import molgen

    info = {
        "cpu": lscpu_model(),
        "cpu_count": os.cpu_count(),
        "cores_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "molgen": molgen.__version__,
        "torch": torch.__version__,
        "rdkit": rdkit.__version__,
        "sklearn": sklearn.__version__,
    }
    return info


def chemprop_python(chemprop_bin: str) -> str:
    """The interpreter of a ``chemprop`` console script (its ``#!`` line)."""
    path = Path(chemprop_bin)
    if not path.is_file():
        raise FileNotFoundError(f"Chemprop CLI {chemprop_bin} not found; pass --chemprop-bin or --skip-chemprop")
    first = path.read_text(errors="replace").splitlines()[0] if path.stat().st_size else ""
    if first.startswith("#!"):
        python = first[2:].strip().split()[0]
        if Path(python).is_file():
            return python
    sibling = path.with_name("python")
    if sibling.is_file():
        return str(sibling)
    raise FileNotFoundError(f"cannot find the Python interpreter of {chemprop_bin}")


# ----------------------------------------------------------------------------- results file


def load_results(path: Path) -> dict:
    if path.exists():
        with open(path) as handle:
            return json.load(handle)
    return {"benchmark": "property", "invocations": [], "runs": []}


def save_results(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as handle:
        json.dump(results, handle, indent=1, allow_nan=False, default=_json_default)
    os.replace(tmp, path)


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _clean_floats(obj):
    """NaN / inf -> None, recursively (strict JSON)."""
    if isinstance(obj, dict):
        return {k: _clean_floats(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean_floats(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def find_run(results: dict, dataset: str, split: str, seed: int, model: str, config: dict) -> dict | None:
    for run in results["runs"]:
        if (run["dataset"], run["split"], run["seed"], run["model"]) == (dataset, split, seed, model) and run["config"] == config:
            return run
    return None


def put_run(results: dict, record: dict) -> None:
    key = (record["dataset"], record["split"], record["seed"], record["model"])
    results["runs"] = [
        r for r in results["runs"] if not ((r["dataset"], r["split"], r["seed"], r["model"]) == key and r["config"] == record["config"])
    ]
    results["runs"].append(record)


# ----------------------------------------------------------------------------- data


def prepare_dataset(name: str) -> dict:
    """Standardized, deduplicated molecules of a built-in data set, with fingerprints."""
    from molgen.data import MoleculeTable, load_dataset
    from molgen.featurize import morgan_fingerprints

    ds = load_dataset(name)
    if len(ds.target_cols) != 1:
        raise ValueError(f"{name}: expected one target column, got {ds.target_cols}")
    target = ds.target_cols[0]
    table = MoleculeTable.from_frame(ds.frame, ds.smiles_col, [target])
    unique, conflicts = table.deduplicate("mean")
    unlabelled = int(unique[target].isna().sum())
    unique = unique.dropna(subset=[target]).reset_index(drop=True)
    smiles = unique["smiles_std"].tolist()
    y = unique[target].to_numpy(dtype=np.float64)
    bits = morgan_fingerprints(smiles, radius=FP_RADIUS, n_bits=FP_BITS, standardizer=None, max_heavy_atoms=None)
    counts = morgan_fingerprints(smiles, radius=FP_RADIUS, n_bits=FP_BITS, counts=True, standardizer=None, max_heavy_atoms=None)
    if not (bits.valid_mask.all() and counts.valid_mask.all()):
        raise RuntimeError(f"{name}: a standardized molecule failed fingerprinting")
    table_counts = table.counts()
    return {
        "name": name,
        "target": target,
        "units": ds.units,
        "smiles": smiles,
        "y": y,
        "bits": bits.array.astype(np.float32),
        "counts": counts.array.astype(np.int32),
        "counts_info": {
            "rows": table_counts["rows"],
            "invalid": table_counts["invalid"],
            "duplicates_merged": table_counts["duplicates"],
            "conflicting_duplicates": int(conflicts["inchikey"].nunique()) if len(conflicts) else 0,
            "unlabelled": unlabelled,
            "molecules": len(smiles),
        },
    }


# ----------------------------------------------------------------------------- molgen


class _LoopTimer:
    """Time molgen's training loop per member and per epoch, from the benchmark side.

    Wraps ``molgen.train.ensemble.train_model`` (one call per member) and
    ``molgen.train.loop.evaluate_loss`` (called once per epoch, after its training
    batches), so an epoch runs from the end of the previous epoch's validation to the end
    of its own. Nothing in the library is changed; the wrappers are removed on exit.
    """

    def __enter__(self):
        import molgen.train.ensemble as ensemble
        import molgen.train.loop as loop

        self._ensemble, self._train_model = ensemble, ensemble.train_model
        self._loop, self._evaluate_loss = loop, loop.evaluate_loss
        self.members: list[dict] = []
        marks: list[float] = []

        def train_model(*args, **kwargs):
            marks.clear()
            marks.append(time.perf_counter())
            history = self._train_model(*args, **kwargs)
            loop_s = time.perf_counter() - marks[0]
            epoch_s = list(np.diff(marks[: history["epochs_run"] + 1]))
            self.members.append(
                {"loop_s": loop_s, "epochs_run": int(history["epochs_run"]), "best_epoch": int(history["best_epoch"]), "epoch_s": epoch_s}
            )
            return history

        def evaluate_loss(*args, **kwargs):
            value = self._evaluate_loss(*args, **kwargs)
            marks.append(time.perf_counter())
            return value

        ensemble.train_model = train_model
        loop.evaluate_loss = evaluate_loss
        return self

    def __exit__(self, *exc):
        self._ensemble.train_model = self._train_model
        self._loop.evaluate_loss = self._evaluate_loss
        return False


def run_molgen(data: dict, parts, method: str, seed: int, args, workdir: Path, test_csv: Path) -> dict:
    from molgen.efficacy import fit_efficacy_model
    from molgen.metrics import coverage, regression_metrics
    from molgen.train import TrainConfig

    train, valid, test = parts
    trval = np.concatenate([train, valid])
    smiles = [data["smiles"][i] for i in trval]
    train_config = TrainConfig(seed=seed, epochs=args.molgen_epochs) if args.molgen_epochs else TrainConfig(seed=seed)
    kwargs = {"ensemble_size": args.ensemble_size} if args.ensemble_size else {}
    with _LoopTimer() as timer:
        t0 = time.perf_counter()
        model = fit_efficacy_model(
            smiles,
            data["y"][trval],
            target_names=[data["target"]],
            split_method=method,
            sizes=MOLGEN_SIZES,
            coverage=COVERAGE,
            train_config=train_config,
            **kwargs,
        )
        fit_s = time.perf_counter() - t0
    inner = model.metrics["counts"]
    if inner["test"] != 0 or inner["invalid"] or inner["duplicates_merged"] or inner["rows"] != len(trval):
        raise RuntimeError(f"unexpected inner counts {inner}: molgen must train on train + valid only, unchanged")

    model.predict(data["smiles"][:2])  # warm-up: lazy imports, first-call allocations
    out_csv = workdir / "molgen_preds.csv"
    predict_s = []
    for _ in range(args.predict_repeats):
        t0 = time.perf_counter()
        frame = pd.read_csv(test_csv)
        predictions = model.predict(frame, smiles_col="smiles")
        predictions.to_csv(out_csv, index=False)
        predict_s.append(time.perf_counter() - t0)

    model_dir = workdir / "molgen_model"
    model.save(model_dir)
    molgen_cli = Path(sys.executable).with_name("molgen")
    cli = [str(molgen_cli)] if molgen_cli.is_file() else [sys.executable, "-m", "molgen"]
    cli_s = time_command(
        [
            *cli,
            "predict",
            "--model",
            str(model_dir),
            "--data",
            str(test_csv),
            "--smiles-col",
            "smiles",
            "--out",
            str(workdir / "molgen_cli_preds.csv"),
        ],
        args.predict_repeats,
        workdir,
    )
    y_test = data["y"][test]
    mu = predictions["prediction"].to_numpy(dtype=np.float64)
    metrics = regression_metrics(y_test, mu)
    if "lower" in predictions:
        lower, upper = predictions["lower"].to_numpy(np.float64), predictions["upper"].to_numpy(np.float64)
        metrics["coverage"] = coverage(y_test, lower, upper)
        metrics["interval_width"] = float(np.nanmean(upper - lower))
    member_epochs = sum(m["epochs_run"] for m in timer.members)
    epoch_s = [e for m in timer.members for e in m["epoch_s"]]
    n = len(test)
    return {
        "metrics": metrics,
        "n_failed": int((predictions["state"] != "valid").sum()),
        "inner_counts": inner,
        "members": timer.members,
        "timing": {
            "fit_s": fit_s,
            "member_epochs": member_epochs,
            "s_per_epoch": fit_s / member_epochs,
            "loop_s_per_epoch": float(np.median(epoch_s)),
            "loop_s_per_epoch_min": float(np.min(epoch_s)),
            "predict_s": predict_s,
            "predict_mol_s": n / min(predict_s),
            "cli_predict_s": cli_s,
            "cli_predict_mol_s": n / min(cli_s),
        },
    }


def time_command(cmd: list[str], repeats: int, cwd: Path) -> list[float]:
    """Wall times of ``repeats`` runs of a command (start-up included); raises if it fails."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
        times.append(time.perf_counter() - t0)
        if proc.returncode:
            raise RuntimeError(f"{shlex.join(cmd)} failed (rc {proc.returncode}):\n{proc.stderr[-2000:]}")
    return times


# ----------------------------------------------------------------------------- baselines


def run_rf(data: dict, parts, seed: int, args) -> dict:
    from sklearn.ensemble import RandomForestRegressor

    from molgen.metrics import regression_metrics

    train, valid, test = parts
    trval = np.concatenate([train, valid])
    X = data["counts"]
    t0 = time.perf_counter()
    rf = RandomForestRegressor(n_estimators=args.rf_trees, n_jobs=-1, random_state=seed).fit(X[trval], data["y"][trval])
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = rf.predict(X[test])
    predict_s = time.perf_counter() - t0
    return {"metrics": regression_metrics(data["y"][test], pred), "timing": {"fit_s": fit_s, "predict_s": predict_s}}


def thermometer(counts: np.ndarray):
    """Sparse 0/1 matrix whose bit-Tanimoto equals the MinMax similarity of ``counts``.

    Count ``c`` of feature ``j`` becomes bits ``(j, 0) .. (j, c - 1)``, so
    ``sum min(a, b)`` is the dot product and ``sum max(a, b) = |a| + |b| - sum min``.
    With 0/1 input this is the fingerprint itself.
    """
    from scipy import sparse

    counts = np.asarray(counts, dtype=np.int64)
    rows, cols = np.nonzero(counts)
    c = counts[rows, cols]
    repeat = np.repeat(np.arange(len(rows)), c)
    level = np.arange(len(repeat)) - np.repeat(np.cumsum(c) - c, c)
    n_bits = counts.shape[1]
    depth = int(c.max()) if len(c) else 1
    return sparse.csr_matrix(
        (np.ones(len(repeat), dtype=np.float64), (rows[repeat], cols[repeat] + n_bits * level)),
        shape=(counts.shape[0], n_bits * depth),
    )


def tanimoto_kernel(A, B) -> np.ndarray:
    """Tanimoto similarities between the rows of two sparse 0/1 matrices (``n_a x n_b``)."""
    width = max(A.shape[1], B.shape[1])
    A = A.copy()
    B = B.copy()
    A.resize(A.shape[0], width)
    B.resize(B.shape[0], width)
    inter = (A @ B.T).toarray()
    na = np.asarray(A.sum(axis=1)).ravel()
    nb = np.asarray(B.sum(axis=1)).ravel()
    union = na[:, None] + nb[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 1.0)


def _grid(spec: dict) -> list[dict]:
    keys = list(spec)
    combos = [{}]
    for key in keys:
        combos = [{**c, key: v} for c in combos for v in spec[key]]
    return combos


def run_svr(data: dict, parts, seed: int, args) -> dict:
    from sklearn.svm import SVR

    from molgen.metrics import regression_metrics

    train, valid, test = parts
    trval = np.concatenate([train, valid])
    y = data["y"]
    t0 = time.perf_counter()
    sparse_fp = {"tanimoto_bits": thermometer(data["bits"].astype(np.int64)), "tanimoto_counts": thermometer(data["counts"])}

    def inputs(variant: str, fit_idx, pred_idx):
        """(fit matrix, predict matrix): features for RBF, Gram matrices for the precomputed kernels."""
        if variant == "rbf_bits":
            return data["bits"][fit_idx], data["bits"][pred_idx]
        S = sparse_fp[variant]
        return tanimoto_kernel(S[fit_idx], S[fit_idx]), tanimoto_kernel(S[pred_idx], S[fit_idx])

    def fit_predict(variant: str, params: dict, fit_idx, X_fit, X_pred):
        mean, std = y[fit_idx].mean(), y[fit_idx].std() or 1.0
        kernel = "rbf" if variant == "rbf_bits" else "precomputed"
        model = SVR(kernel=kernel, **params).fit(X_fit, (y[fit_idx] - mean) / std)
        return model.predict(X_pred) * std + mean

    per_variant = {}
    for variant, spec in SVR_GRID.items():
        best = None
        X_fit, X_pred = inputs(variant, train, valid)
        for params in _grid(spec):
            pred = fit_predict(variant, params, train, X_fit, X_pred)
            rmse = float(np.sqrt(np.mean((pred - y[valid]) ** 2)))
            if best is None or rmse < best[0]:
                best = (rmse, params)
        per_variant[variant] = {"valid_rmse": best[0], "params": best[1]}
    chosen = min(per_variant, key=lambda v: per_variant[v]["valid_rmse"])
    tune_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = fit_predict(chosen, per_variant[chosen]["params"], trval, *inputs(chosen, trval, test))
    refit_s = time.perf_counter() - t0
    return {
        "metrics": regression_metrics(y[test], pred),
        "variant": chosen,
        "params": per_variant[chosen]["params"],
        "variants": per_variant,
        "timing": {"tune_s": tune_s, "refit_predict_s": refit_s},
    }


# ----------------------------------------------------------------------------- chemprop


def _run_chemprop(python: str, argv: list[str], workdir: Path, tag: str, repeats: int = 1) -> dict:
    """Run a Chemprop command through ``_chemprop.py`` (in-process timing, ``repeats`` times)."""
    timing = workdir / f"{tag}_timing.json"
    log = workdir / f"{tag}.log"
    cmd = [python, str(HELPER), str(timing), "--repeat", str(repeats), *argv]
    t0 = time.perf_counter()
    with open(log, "w") as handle:
        proc = subprocess.run(cmd, stdout=handle, stderr=subprocess.STDOUT, cwd=workdir, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    wall = time.perf_counter() - t0
    if proc.returncode or not timing.exists():
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"chemprop {argv[0]} failed (rc {proc.returncode}):\n{tail}")
    record = json.loads(timing.read_text())
    record["wall_s"] = wall
    record["command"] = shlex.join(["chemprop", *argv])
    return record


def _chemprop_best_epoch(model_dir: Path) -> int | None:
    """Best epoch, 1-based like molgen's, from the name of Chemprop's best checkpoint."""
    best = None
    for ckpt in model_dir.glob("checkpoints/best-epoch=*"):
        match = re.match(r"best-epoch=(\d+)", ckpt.name)
        if match:
            best = int(match.group(1)) + 1
    return best


def _chemprop_split_sizes(log_file: Path) -> list[int] | None:
    """The train / val / test sizes Chemprop logged (``train/val/test split_0 sizes: [...]``)."""
    match = re.search(r"train/val/test split_0 sizes: \[(\d+), (\d+), (\d+)\]", log_file.read_text(errors="replace"))
    return [int(g) for g in match.groups()] if match else None


def run_chemprop(data: dict, parts, seed: int, args, workdir: Path, test_csv: Path) -> dict:
    from molgen.metrics import regression_metrics

    train, valid, test = parts
    smiles = data["smiles"]
    trval_csv = workdir / "trainval.csv"
    pd.DataFrame(
        {
            "smiles": [smiles[i] for i in np.concatenate([train, valid])],
            "y": np.concatenate([data["y"][train], data["y"][valid]]),
            "split": ["train"] * len(train) + ["val"] * len(valid),
        }
    ).to_csv(trval_csv, index=False)
    out_dir = workdir / "chemprop_out"
    epochs = args.chemprop_epochs or 50
    train_argv = [
        "train", "--data-path", str(trval_csv), "--splits-column", "split", "-s", "smiles", "--target-columns", "y",
        "--task-type", "regression", "--num-workers", "0", "--data-seed", str(seed), "--pytorch-seed", str(seed),
        "--output-dir", str(out_dir),
    ]  # fmt: skip
    if args.chemprop_epochs:
        train_argv += ["--epochs", str(args.chemprop_epochs)]
    trained = _run_chemprop(args.chemprop_python, train_argv, workdir, "chemprop_train")
    logged = _chemprop_split_sizes(workdir / "chemprop_train.log")
    if logged != [len(train), len(valid), 0]:
        raise RuntimeError(f"Chemprop used train/val/test sizes {logged}, expected {[len(train), len(valid), 0]}")
    models = sorted(out_dir.rglob("best.pt"))
    if len(models) != 1:
        raise RuntimeError(f"expected one best.pt under {out_dir}, found {[str(m) for m in models]}")
    epoch_s = trained["epoch_s"]
    epochs_run = len(epoch_s)
    if not epochs_run:
        raise RuntimeError("Chemprop's epoch clock recorded no epoch")
    preds_csv = workdir / "chemprop_preds.csv"

    def predict_argv(output: Path) -> list[str]:
        return [
            "predict", "--test-path", str(test_csv), "--model-paths", str(models[0]), "-s", "smiles",
            "--num-workers", "0", "--output", str(output),
        ]  # fmt: skip

    predicted = _run_chemprop(args.chemprop_python, predict_argv(preds_csv), workdir, "chemprop_predict", args.predict_repeats)
    cli_s = time_command([args.chemprop_bin, *predict_argv(workdir / "chemprop_cli_preds.csv")], args.predict_repeats, workdir)
    out = pd.read_csv(preds_csv)
    if len(out) != len(test) or out["smiles"].tolist() != [smiles[i] for i in test]:
        raise RuntimeError("chemprop predictions are not aligned with the test SMILES")
    n = len(test)
    return {
        "metrics": regression_metrics(data["y"][test], out["y"].to_numpy(dtype=np.float64)),
        "version": trained["version"],
        "epochs_run": epochs_run,
        "epochs_max": epochs,
        "best_epoch": _chemprop_best_epoch(models[0].parent),
        "commands": {"train": trained["command"], "predict": predicted["command"]},
        "timing": {
            "train_s": trained["main_s"][0],
            "train_wall_s": trained["wall_s"],
            "s_per_epoch": trained["main_s"][0] / epochs_run,
            "loop_s_per_epoch": float(np.median(epoch_s)),
            "loop_s_per_epoch_min": float(np.min(epoch_s)),
            "epoch_s": epoch_s,
            "predict_s": predicted["main_s"],
            "predict_mol_s": n / min(predicted["main_s"]),
            "cli_predict_s": cli_s,
            "cli_predict_mol_s": n / min(cli_s),
            "import_s": predicted["import_s"],
        },
    }


# ----------------------------------------------------------------------------- driver


def molgen_defaults() -> dict:
    """molgen's fitting defaults, part of its record key: a changed default reruns its records."""
    import dataclasses
    import inspect

    from molgen.efficacy import fit_efficacy_model
    from molgen.efficacy.prepare import DEFAULT_VALID_SPLIT
    from molgen.models import ModelConfig
    from molgen.train import TrainConfig

    fit = {
        name: p.default
        for name, p in inspect.signature(fit_efficacy_model).parameters.items()
        if name in ("ensemble_size", "split_method", "sizes", "valid_split", "descriptors", "max_heavy_atoms", "kernel", "forest", "refit")
    }
    # Since 2026-12-03 (issue 18): the fingerprint members are refitted on all the molecules given,
    # the calibration part is drawn like the valid part, and the uncertainty is the blend's own;
    # records made before carry neither key.
    if fit.pop("refit", False):
        fit["refit"] = True
        fit["calibration_split"] = "as valid_split"
        fit["uncertainty"] = "kernel posterior + local error"
    if fit.pop("forest", False):  # off: the key stays that of the records made before the option existed
        from molgen.models import forest

        fit["forest"] = {"n_trees": forest.N_TREES, "max_features": forest.MAX_FEATURES}
    # "tanimoto" meant Morgan bits alone until atom pairs joined it: that kernel keeps its records' key
    fit["kernel"] = {"tanimoto": "tanimoto_morgan_atompair", "tanimoto_morgan": "tanimoto"}.get(fit["kernel"], fit["kernel"])
    fit["valid_split"] = fit["valid_split"] or DEFAULT_VALID_SPLIT
    fit["sizes"] = list(fit["sizes"])
    model = {f.name: f.default for f in dataclasses.fields(ModelConfig) if f.default is not dataclasses.MISSING}
    train = {k: v for k, v in TrainConfig().to_dict().items() if k != "seed"}
    return json.loads(json.dumps({"fit": fit, "model": model, "train": train}))


def model_configs(args) -> dict:
    return {
        "molgen": {
            "ensemble_size": args.ensemble_size or "default",
            "epochs": args.molgen_epochs or "default",
            "sizes": [round(s, 6) for s in MOLGEN_SIZES],
            "coverage": COVERAGE,
            "defaults": molgen_defaults(),
        },
        "rf": {"n_estimators": args.rf_trees, "features": f"morgan_count_r{FP_RADIUS}_{FP_BITS}"},
        "svr": {"grid": SVR_GRID, "features": f"morgan_r{FP_RADIUS}_{FP_BITS}"},
        "chemprop": {"epochs": args.chemprop_epochs or "default(50)"},
    }


def common_config() -> dict:
    return {"outer_sizes": list(OUTER_SIZES), "standardizer": "molgen default", "deduplicate": "mean"}


def run_all(args, results: dict, out: Path) -> None:
    from molgen.data import split

    configs = model_configs(args)
    models = active_models(args)
    for name in args.datasets:
        data = None
        for method in args.splits:
            for seed in args.seeds:
                config_of = {m: {**common_config(), **configs[m]} for m in models}
                todo = [m for m in models if (r := find_run(results, name, method, seed, m, config_of[m])) is None or r["status"] != "ok"]
                if not todo:
                    log(f"{name} / {method} / seed {seed}: done already, skipped")
                    continue
                if data is None:
                    data = prepare_dataset(name)
                    results.setdefault("datasets", {})[name] = {"target": data["target"], "units": data["units"], **data["counts_info"]}
                parts = split(data["smiles"], method=method, sizes=OUTER_SIZES, seed=seed)
                sizes = {"train": len(parts.train), "valid": len(parts.valid), "test": len(parts.test)}
                with tempfile.TemporaryDirectory(prefix=f"property-{name}-{method}-{seed}-") as tmp:
                    workdir = Path(tmp)
                    test_csv = workdir / "test.csv"
                    pd.DataFrame({"smiles": [data["smiles"][i] for i in parts.test]}).to_csv(test_csv, index=False)
                    for model in todo:
                        t0 = time.perf_counter()
                        record = {
                            "dataset": name, "split": method, "seed": seed, "model": model, "config": config_of[model],
                            "sizes": sizes, "date": datetime.datetime.now().isoformat(timespec="seconds"),
                            "invocation": len(results["invocations"]) - 1,
                        }  # fmt: skip
                        try:
                            if model == "molgen":
                                record.update(run_molgen(data, parts, method, seed, args, workdir, test_csv))
                            elif model == "rf":
                                record.update(run_rf(data, parts, seed, args))
                            elif model == "svr":
                                record.update(run_svr(data, parts, seed, args))
                            else:
                                record.update(run_chemprop(data, parts, seed, args, workdir, test_csv))
                            record["status"] = "ok"
                        except Exception as err:  # recorded and reported; the other models go on
                            record["status"] = "error"
                            record["error"] = f"{type(err).__name__}: {err}"
                        record["wall_s"] = time.perf_counter() - t0
                        put_run(results, _clean_floats(record))
                        save_results(out, results)
                        rmse = record.get("metrics", {}).get("rmse")
                        shown = f"RMSE {rmse:.3f}" if rmse is not None else record.get("error", "")[:500]
                        log(f"{name} / {method} / seed {seed} / {model}: {shown} ({record['wall_s']:.0f} s)")


def log(text: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {text}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- summary


def _mean_std(values: list[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else float("nan")


def _fmt(mean: float, std: float, digits: int = 3) -> str:
    if np.isnan(mean):
        return "–"
    return f"{mean:.{digits}f}" if np.isnan(std) else f"{mean:.{digits}f} ± {std:.{digits}f}"


def _rate(value: float | None, digits: int = 0) -> str:
    return "–" if value is None or np.isnan(value) else f"{value:,.{digits}f}"


def current_runs(results: dict, args) -> dict:
    """(data set, split) -> model -> seed -> run, for this invocation's configuration."""
    configs = model_configs(args)
    models = active_models(args)
    ok: dict = {}
    for run in results["runs"]:
        m = run["model"]
        if (
            run["status"] == "ok"
            and m in models
            and run["config"] == {**common_config(), **configs[m]}
            and run["seed"] in args.seeds
            and run["dataset"] in args.datasets
            and run["split"] in args.splits
        ):
            ok.setdefault((run["dataset"], run["split"]), {}).setdefault(m, {})[run["seed"]] = run
    return ok


def active_models(args) -> list[str]:
    return [m for m in MODELS if not (m == "chemprop" and args.skip_chemprop)]


def _collect(runs: dict, model: str, *keys) -> list[float]:
    values = []
    for run in runs.get(model, {}).values():
        value = run
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            values.append(float(value))
    return values


def _avg(runs: dict, model: str, *keys) -> float:
    values = _collect(runs, model, *keys)
    return float(np.mean(values)) if values else float("nan")


def summarize(results: dict, args) -> str:
    models = active_models(args)
    ok = current_runs(results, args)
    inv = results["invocations"][-1]
    quick = " (--quick: 3 epochs, 1 member, 100 trees, Chemprop 3 epochs — smoke test, not a result)" if args.quick else ""
    lines = [
        f"## Property prediction{quick}",
        "",
        "Test RMSE, mean ± std over seeds. Outer split `molgen.data.split(smiles_std, method, (0.8, 0.1, 0.1), seed)`"
        " of the standardized, deduplicated molecules; every model is fitted on train + valid and scored on the same"
        " unseen test part. molgen: `fit_efficacy_model` defaults, given train + valid, which it splits itself into"
        " train / early-stopping valid (at random) / conformal calibration (by the split method) (7/9, 1/9, 1/9 of it: molgen's default 70/10/10 of the"
        " whole), so it trains on 70 % of the molecules where Chemprop trains on 80 %. RF: Morgan counts (r=2, 2048)."
        " SVR: the best on valid of RBF (bits), Tanimoto (bits) and MinMax (counts) kernels, refitted on train + valid."
        " Chemprop: CLI defaults with `--splits-column` holding our train / valid parts. **Bold**: lowest mean RMSE.",
        "",
        "| data set | split | n train / valid / test | seeds | molgen | RF | SVR | Chemprop | molgen 90 % interval coverage |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    speed = [
        "",
        "Speed, means over seeds. Train s/epoch (whole command): molgen `fit_efficacy_model` wall time (standardize,"
        " featurize, train, calibrate) / epochs run summed over members; Chemprop `train` time without interpreter"
        " start-up / epochs. Loop s/epoch: the median epoch of the training loops (batches + validation; molgen"
        " clocked by wrapping `molgen.train.loop.evaluate_loss`, Chemprop by a Lightning callback). Predict mol/s:"
        " the test SMILES file (CSV) to a predictions CSV, fastest of the repeats; in-process molgen has its model"
        " in memory, in-process Chemprop loads it; CLI: `molgen predict` / `chemprop predict` end to end, start-up"
        " included. Test files hold ~60-130 molecules, so prediction rates are dominated by fixed costs. The CPU is"
        " shared with other jobs: single timings vary by up to 10x.",
        "",
        "| data set | split | train s/epoch molgen / Chemprop | loop s/epoch molgen / Chemprop | epochs run molgen (per member) / Chemprop"
        " | predict mol/s in-process molgen / Chemprop | predict mol/s CLI molgen / Chemprop |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for name in args.datasets:
        for method in args.splits:
            runs = ok.get((name, method))
            if not runs:
                continue
            stats = {m: _mean_std(_collect(runs, m, "metrics", "rmse")) if runs.get(m) else (float("nan"), float("nan")) for m in models}
            finite = [m for m in models if not np.isnan(stats[m][0])]
            best = min(finite, key=lambda m: stats[m][0])
            cells = []
            for m in MODELS:
                if m not in models:
                    cells.append("not run")
                    continue
                text = _fmt(*stats[m])
                cells.append(f"**{text}**" if m == best else text)
            sz = next(iter(next(iter(runs.values())).values()))["sizes"]
            n_seeds = max(len(v) for v in runs.values())
            cov = _collect(runs, "molgen", "metrics", "coverage")
            cov_text = _fmt(*_mean_std(cov), 2) if cov else "–"
            lines.append(
                f"| {name} | {method} | {sz['train']} / {sz['valid']} / {sz['test']} | {n_seeds} | "
                + " | ".join(cells)
                + f" | {cov_text} |"
            )

            def pair(key: str, digits: int, runs=runs) -> str:
                return f"{_rate(_avg(runs, 'molgen', 'timing', key), digits)} / {_rate(_avg(runs, 'chemprop', 'timing', key), digits)}"

            member_epochs = [np.mean([mem["epochs_run"] for mem in r["members"]]) for r in runs.get("molgen", {}).values()]
            epochs = f"{_rate(float(np.mean(member_epochs)) if member_epochs else float('nan'), 1)} / {_rate(_avg(runs, 'chemprop', 'epochs_run'), 1)}"
            speed.append(
                f"| {name} | {method} | {pair('s_per_epoch', 2)} | {pair('loop_s_per_epoch', 2)} | {epochs}"
                f" | {pair('predict_mol_s', 0)} | {pair('cli_predict_mol_s', 0)} |"
            )
            verdicts.append(_verdict(name, method, runs, stats, models))
    lines += speed
    lines += ["", "Where molgen loses:", ""] + [f"- {v}" for v in verdicts]
    svr_choice: dict = {}
    for runs in ok.values():
        for r in runs.get("svr", {}).values():
            svr_choice[r["variant"]] = svr_choice.get(r["variant"], 0) + 1
    if svr_choice:
        lines += ["", "SVR variant chosen on valid: " + ", ".join(f"{k} {v}x" for k, v in sorted(svr_choice.items())) + "."]
    if any(m == "scaffold" for m in args.splits):
        lines += ["", "The `scaffold` split (DeepChem's) ignores the seed: its std reflects model seeds only."]
    used = sorted({r.get("invocation", -1) for runs in ok.values() for per_model in runs.values() for r in per_model.values()})
    invocations = [results["invocations"][i] for i in used if 0 <= i < len(results["invocations"])] or [inv]
    machines = []
    for entry in invocations:
        m = entry["machine"]
        text = (
            f"{m['cpu']}, {m['cores_available']} of {m['cpu_count']} CPU cores available (shared with other jobs),"
            f" GPU: {m['gpu'] or 'none'}; Python {m['python']}, torch {m['torch']}, RDKit {m['rdkit']},"
            f" scikit-learn {m['sklearn']}, molgen {m['molgen']}, Chemprop {_chemprop_version(ok) or 'not run'}"
        )
        if text not in machines:
            machines.append(text)
    dates = sorted(entry["date"] for entry in invocations)
    lines += [
        "",
        "Machine: " + " | ".join(machines) + ".",
        f"Date: {dates[0]}" + (f" to {dates[-1]}" if dates[-1] != dates[0] else "") + ".",
        "",
        "Command" + ("s (the run was resumed)" if len(invocations) > 1 else "") + ":",
        "",
        "```",
        *[entry["command"] for entry in invocations],
        "```",
    ]
    return "\n".join(lines) + "\n"


def _chemprop_version(ok: dict) -> str | None:
    for runs in ok.values():
        for r in runs.get("chemprop", {}).values():
            return r.get("version")
    return None


def _verdict(name, method, runs, stats, models) -> str:
    label = f"{name} / {method}:"
    if np.isnan(stats["molgen"][0]):
        return f"{label} molgen has no completed run."
    losses = []
    for m in models:
        if m == "molgen" or np.isnan(stats[m][0]) or stats[m][0] >= stats["molgen"][0]:
            continue
        seeds = sorted(set(runs["molgen"]) & set(runs[m]))
        worse = sum(runs["molgen"][s]["metrics"]["rmse"] > runs[m][s]["metrics"]["rmse"] for s in seeds)
        losses.append(f"{LABELS[m]} by {stats['molgen'][0] - stats[m][0]:.3f} RMSE (molgen worse in {worse}/{len(seeds)} seeds)")
    text = f"{label} accuracy: " + ("; ".join(losses) if losses else "none (molgen has the lowest mean RMSE)")
    speed = []
    if "chemprop" in models:
        checks = (
            ("s_per_epoch", "training per epoch (whole command)", False),
            ("loop_s_per_epoch", "training loop per epoch", False),
            ("predict_mol_s", "in-process prediction", True),
            ("cli_predict_mol_s", "CLI prediction", True),
        )
        for key, what, higher_better in checks:
            a, b = _avg(runs, "molgen", "timing", key), _avg(runs, "chemprop", "timing", key)
            if np.isnan(a) or np.isnan(b):
                continue
            ratio = (b / a) if higher_better else (a / b)
            if ratio > 1.1:  # smaller gaps are within the timing noise of a shared machine
                speed.append(f"{what} {ratio:.1f}x slower than Chemprop")
    cov = [r["metrics"].get("coverage") for r in runs["molgen"].values() if r["metrics"].get("coverage") is not None]
    if cov and np.mean(cov) < COVERAGE - 0.05:
        speed.append(f"interval coverage {np.mean(cov):.2f} below the {COVERAGE:.2f} target")
    return text + (". Also: " + "; ".join(speed) if speed else "") + "."


# ----------------------------------------------------------------------------- main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), help="built-in data sets (default: %(default)s)")
    parser.add_argument("--splits", nargs="+", default=list(SPLITS), help="molgen.data.SPLITTERS names (default: %(default)s)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4], help="seeds (default: 0 1 2 3 4)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 3 epochs, ensemble of 1, 100 trees, Chemprop --epochs 3")
    parser.add_argument("--skip-chemprop", action="store_true", help="do not run Chemprop")
    parser.add_argument(
        "--chemprop-bin", default=os.environ.get("CHEMPROP_BIN", DEFAULT_CHEMPROP),
        help="Chemprop 2 console script; its Python runs benchmarks/_chemprop.py (default: $CHEMPROP_BIN or %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--out",
        type=Path,
        help=f"results JSON (default: {DEFAULT_OUT.relative_to(ROOT)}, with --quick {DEFAULT_QUICK_OUT.relative_to(ROOT)})",
    )
    parser.add_argument("--markdown", type=Path, help="also write the Markdown summary to this file")
    parser.add_argument("--predict-repeats", type=int, help="timed prediction runs per model, fastest counts (default 3; 1 with --quick)")
    parser.add_argument("--summary-only", action="store_true", help="print the summary of the results file; run nothing")
    args = parser.parse_args(argv)
    from molgen.data import SPLITTERS, list_datasets

    known = set(list_datasets())
    for name in args.datasets:
        if name not in known:
            parser.error(f"unknown data set {name!r}; choose from {', '.join(sorted(known))}")
    for method in args.splits:
        if method not in SPLITTERS:
            parser.error(f"unknown split {method!r}; choose from {', '.join(SPLITTERS)}")
    args.out = args.out or (DEFAULT_QUICK_OUT if args.quick else DEFAULT_OUT)
    args.molgen_epochs = 3 if args.quick else None
    args.ensemble_size = 1 if args.quick else None
    args.rf_trees = 100 if args.quick else 500
    args.chemprop_epochs = 3 if args.quick else None
    if args.predict_repeats is None:
        args.predict_repeats = 1 if args.quick else 3
    if args.predict_repeats < 1:
        parser.error("--predict-repeats must be >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.skip_chemprop and not args.summary_only:
        try:
            args.chemprop_python = chemprop_python(args.chemprop_bin)
        except FileNotFoundError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    results = load_results(args.out)
    command = shlex.join([os.path.relpath(sys.executable, Path.cwd()), *sys.argv]) if argv is None else shlex.join(["property.py", *argv])
    if not args.summary_only:
        results["invocations"].append(
            {
                "date": datetime.datetime.now().isoformat(timespec="seconds"),
                "command": command,
                "cwd": str(Path.cwd()),
                "machine": machine_info(),
                "chemprop_bin": None if args.skip_chemprop else args.chemprop_bin,
            }
        )
        save_results(args.out, results)
        t0 = time.perf_counter()
        run_all(args, results, args.out)
        results["invocations"][-1]["wall_s"] = time.perf_counter() - t0
        save_results(args.out, results)
    if not results["invocations"]:
        print(f"{args.out}: no results yet", file=sys.stderr)
        return 1
    text = summarize(results, args)
    sys.stdout.write(text)
    if args.markdown:
        args.markdown.write_text(text)
    configs = model_configs(args)
    failed = [
        r
        for r in results["runs"]
        if r["status"] != "ok"
        and r["model"] in active_models(args)
        and r["config"] == {**common_config(), **configs[r["model"]]}
        and (r["dataset"], r["split"], r["seed"]) in {(d, s, k) for d in args.datasets for s in args.splits for k in args.seeds}
    ]
    for r in failed:
        print(f"FAILED {r['dataset']} / {r['split']} / seed {r['seed']} / {r['model']}: {r['error'][:300]}", file=sys.stderr)
    print(f"results: {args.out}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
