"""Goal-directed generation in the PMO manner: REINVENT-style RL, GB-GA and plain prior sampling.

1. An efficacy model is trained on the bundled ChEMBL pIC50 series (``chembl2321810``,
   1,017 compounds) with ``fit_efficacy_model`` (3-member D-MPNN ensemble, ``--epochs``),
   or loaded from ``--model-dir``.
2. The scorer: predicted pIC50 through ``sigmoid(5, 8)`` (weight 2), QED (weight 1), SA
   score through ``reverse_sigmoid(2.5, 5.5)`` (weight 1), combined by the weighted
   geometric mean (REINVENT's default): a molecule must be potent, drug-like and makeable.
3. Each method gets the same budget of scorer calls (distinct molecules scored; invalid
   SMILES are free) and the same seed:
   - ``rl``: :class:`molgen.generate.optimize.Reinvent` on the shipped prior (PMO's tuned
     settings: batch 64, sigma 500, lr 5e-4, scaffold filter 25 / 0.4, replay 24 of 100);
   - ``ga``: :class:`molgen.generate.optimize.GraphGA` (population 120, offspring 70,
     mutation 0.067) started from 20,000 MOSES training molecules;
   - ``prior``: :class:`molgen.generate.optimize.PriorSampling`, batches of 64 from the prior.
4. Reported after 1,000, 5,000 and 10,000 calls: mean of the top-10 and top-100 scores and
   the area under the top-10 curve (PMO's AUC, sampled every 100 calls, divided by the
   number of calls).

Results go to ``benchmarks/results/goal_directed.json`` (rewritten atomically after every
method; each method also checkpoints, so an interrupted run resumes with ``--resume``).

Usage::

    nice -n 10 python benchmarks/goal_directed.py                     # 10,000 calls each
    python benchmarks/goal_directed.py --budget 500 --quick           # smoke run
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
METHODS = ("rl", "ga", "prior")


def build_scorer(model, low=5.0, high=8.0):
    from molgen.scoring import Objective, Scorer

    return Scorer(
        [
            Objective("pIC50", "model", {"kind": "sigmoid", "low": low, "high": high}, 2.0, {"column": "prediction"}, model),
            Objective("qed", "qed", weight=1.0),
            Objective("sa", "sa", {"kind": "reverse_sigmoid", "low": 2.5, "high": 5.5}, 1.0),
        ]
    )


def get_model(args):
    from molgen.data import load_dataset
    from molgen.efficacy import fit_efficacy_model, load_model
    from molgen.train import TrainConfig

    path = Path(args.model_dir)
    if (path / "molgen_model.json").exists():
        return load_model(path), "loaded"
    data = load_dataset("chembl2321810").frame
    model = fit_efficacy_model(
        data.smiles,
        data.pIC50,
        target_names=["pIC50"],
        ensemble_size=3,
        train_config=TrainConfig(epochs=args.epochs, seed=0),
        progress=True,
    )
    model.save(path)
    return model, "trained"


def run_method(name, args, scorer, out):
    from molgen.data import load_dataset
    from molgen.generate import load_prior
    from molgen.generate.optimize import GraphGA, PriorSampling, Reinvent

    if name == "ga":
        start = load_dataset("moses_train", nrows=20_000).frame["smiles"].tolist()
        runner = GraphGA(start, seed=args.seed)
    else:
        prior = load_prior(args.prior, device=args.device)
        runner = Reinvent(prior, seed=args.seed) if name == "rl" else PriorSampling(prior, seed=args.seed)
    t0 = time.perf_counter()
    low, high = args.pic50_window
    folder = out / f"{name}_seed{args.seed}_budget{args.budget}_pic50_{low:g}-{high:g}"
    result = runner.run(scorer, budget=args.budget, checkpoint_dir=folder, resume=args.resume, progress=True)
    wall = time.perf_counter() - t0
    checkpoints = [n for n in (1000, 5000, 10000) if n <= args.budget] or [args.budget]
    history = result.history
    record = {
        "method": name,
        "optimizer": result.method,
        "seed": args.seed,
        "budget": args.budget,
        "calls": result.n_calls,
        "wall_s_this_call": round(wall, 1),
        "metrics": {str(k): v for k, v in result.summary(checkpoints).items()},
        "failed_scores": int(history["score"].isna().sum()),
        "unique_scaffolds_top100": _scaffolds(result.top(100)["smiles"].tolist()),
        "top5": result.top(5)[["smiles", "score", "pIC50", "qed", "sa"]].to_dict("records"),
        "info": {k: v for k, v in result.info.items() if k in ("steps", "generations")},
    }
    return record


def _scaffolds(smiles):
    from molgen.generate.optimize import scaffold_key

    return len({scaffold_key(s) for s in smiles})


def write_json(data, path: Path):
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=float) + "\n")
    os.replace(tmp, path)


def markdown(records):
    lines = [
        "| method | calls | top-10 @1k | top-100 @1k | AUC top-10 @1k | top-10 @5k | top-100 @5k | AUC top-10 @5k "
        "| top-10 @10k | top-100 @10k | AUC top-10 @10k | scaffolds in top-100 | wall s |",
        "|---|---:|" + "---:|" * 11,
    ]
    for r in records:
        cells = [r["method"], f"{r['calls']:,}"]
        for n in ("1000", "5000", "10000"):
            m = r["metrics"].get(n)
            cells += [f"{m['top10']:.3f}", f"{m['top100']:.3f}", f"{m['auc_top10']:.3f}"] if m else ["", "", ""]
        cells += [str(r["unique_scaffolds_top100"]), f"{r['wall_s_this_call']:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=int, default=10_000)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--epochs",
        type=int,
        default=100,
        help="efficacy model training epochs (100, TrainConfig's default; the figures in BENCHMARKS.md were measured with 60 and batch norm)",
    )
    parser.add_argument(
        "--work",
        default="/tmp/molgen_goal_directed",
        help="scratch folder for the trained model and the runs' checkpoints (outside the repo)",
    )
    parser.add_argument("--model-dir", default=None, help="efficacy model folder (default: WORK/model, trained once)")
    parser.add_argument("--prior", default=None, help="prior folder (default: the shipped prior)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy machine)")
    parser.add_argument("--out", default=str(RESULTS / "goal_directed.json"))
    parser.add_argument(
        "--pic50-window",
        nargs=2,
        type=float,
        default=(5.0, 8.0),
        metavar=("LOW", "HIGH"),
        help="sigmoid window of predicted pIC50 (default 5 8; 6.5 8.5 is harder)",
    )
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--quick", action="store_true", help="5-epoch model (smoke run)")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = 5
    import torch

    torch.set_num_threads(args.threads)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    args.model_dir = args.model_dir or str(work / "model")
    model, how = get_model(args)
    scorer = build_scorer(model, *args.pic50_window)
    import rdkit

    import molgen

    meta = {
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "date": datetime.date.today().isoformat(),
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "rdkit": rdkit.__version__,
            "molgen": molgen.__version__,
            "device": str(args.device or ("cuda" if torch.cuda.is_available() else "cpu")),
        },
        "model": {"source": how, "epochs": model.info.get("train_config", {}).get("epochs"), "test_metrics": model.metrics.get("test")},
        "scorer": f"weighted geometric mean of sigmoid{tuple(args.pic50_window)} of predicted pIC50 (w 2), QED (w 1), "
        "reverse_sigmoid(2.5, 5.5) of SA score (w 1)",
    }
    records = []
    for name in args.methods:
        records.append(run_method(name, args, scorer, work))
        write_json({**meta, "records": records}, out)
        print(markdown(records), file=sys.stderr)
    print(markdown(records))


if __name__ == "__main__":
    main()
