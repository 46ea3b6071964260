"""Train the shipped SMILES prior on MOSES and check validity, uniqueness and novelty.

Trains with :func:`molgen.generate.train_prior` (streaming ``train.csv.gz`` from the molsets
wheel), then samples ``--n-samples`` SMILES and reports validity, unique@10k and novelty
against the whole MOSES training set (canonical SMILES, RDKit). Results go to a JSON file
and, with ``--ship``, the trained prior is copied into ``molgen/generate/data/prior/``.

Usage (the shipped prior; CPU, one thread because the machine was shared)::

    nice -n 10 python benchmarks/train_prior.py --out runs/prior --threads 1 \\
        --hidden-size 256 --num-layers 3 --embedding-dim 64 --batch-size 64 \\
        --learning-rate 1.5e-3 --lr-decay-molecules 150000 --time-limit 3300 --ship

Resume an interrupted run (same command plus ``--resume``), or only evaluate a finished
one with ``--evaluate-only``.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
SHIP_DIR = ROOT / "molgen" / "generate" / "data" / "prior"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="runs/prior", help="training folder (checkpoint + final prior)")
    parser.add_argument("--tokenizer", default="smiles", choices=["smiles", "selfies"])
    parser.add_argument("--architecture", default="gru", choices=["gru", "lstm", "transformer"])
    parser.add_argument("--hidden-size", type=int, default=256)
    parser.add_argument("--num-layers", type=int, default=3)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--shuffle", default="global", choices=["global", "chunk"])
    parser.add_argument("--init-from", help="start from this saved prior (a new schedule and data order)")
    parser.add_argument("--learning-rate", type=float, default=1.5e-3)
    parser.add_argument("--lr-decay", type=float, default=0.5)
    parser.add_argument("--lr-decay-molecules", type=int, default=150_000)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--max-molecules", type=int)
    parser.add_argument("--time-limit", type=float, help="seconds of training in this call")
    parser.add_argument("--checkpoint-every", type=int, default=500)
    parser.add_argument("--threads", type=int, help="torch CPU threads (1 is fastest on a busy machine)")
    parser.add_argument("--device")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--evaluate-only", action="store_true", help="skip training; evaluate --out")
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--ship", action="store_true", help="copy the trained prior into the package")
    parser.add_argument("--results", default=None, help="JSON results file (default: OUT/benchmark.json)")
    args = parser.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    from molgen.generate import load_prior, train_prior

    out = Path(args.out)
    if not args.evaluate_only:
        train_prior(
            out,
            tokenizer=args.tokenizer,
            architecture=args.architecture,
            hidden_size=args.hidden_size,
            num_layers=args.num_layers,
            embedding_dim=args.embedding_dim,
            batch_size=args.batch_size,
            shuffle=args.shuffle,
            init_from=args.init_from,
            learning_rate=args.learning_rate,
            lr_decay=args.lr_decay,
            lr_decay_molecules=args.lr_decay_molecules,
            epochs=args.epochs,
            max_molecules=args.max_molecules,
            time_limit=args.time_limit,
            checkpoint_every=args.checkpoint_every,
            resume=args.resume,
            device=args.device,
            seed=args.seed,
        )
    prior = load_prior(out, device=args.device)
    results = evaluate(prior, args.n_samples, seed=args.seed)
    results["training"] = {k: v for k, v in prior.metadata.get("training", {}).items() if k != "history"}
    results["command"] = "python " + " ".join(sys.argv)
    results["machine"] = f"{platform.machine()} {platform.processor() or ''}, torch threads {torch.get_num_threads()}"
    results["date"] = time.strftime("%Y-%m-%d")
    path = Path(args.results) if args.results else out / "benchmark.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "training"}, indent=2))
    if args.ship:
        prior.metadata["benchmark"] = {k: results[k] for k in ("n_samples", "validity", "unique_at_10k", "novelty", "sampling_s", "date")}
        tmp = SHIP_DIR.with_name("prior.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        prior.to("cpu").save(tmp)
        shutil.rmtree(SHIP_DIR, ignore_errors=True)
        tmp.rename(SHIP_DIR)
        print(f"shipped -> {SHIP_DIR}")
    return 0


def evaluate(prior, n_samples: int, *, seed: int = 0) -> dict:
    """Validity, unique@10k and novelty (vs the MOSES training set) of ``n_samples`` samples."""
    from molgen.generate.data_stream import iter_smiles_chunks, resolve_training_data

    start = time.perf_counter()
    table = prior.sample(n_samples, seed=seed)
    sampling_s = time.perf_counter() - start
    ok = table["state"].isin(["valid", "duplicate"])
    valid = table.loc[ok, "smiles"]
    unique = set(valid.iloc[:10_000])
    # MOSES train is stored as RDKit canonical SMILES; a membership test on those strings
    # is the MOSES novelty definition (canonical sets compared).
    train: set[str] = set()
    for chunk in iter_smiles_chunks(resolve_training_data(None), chunk_size=200_000):
        train.update(chunk)
    novel = [s for s in set(valid) if s not in train]
    # check that the stored training SMILES are canonical under this RDKit (else novelty is inflated)
    from rdkit import Chem

    probe = list(train)[:5000]
    agree = sum(Chem.MolToSmiles(Chem.MolFromSmiles(s)) == s for s in probe) / len(probe)
    return {
        "n_samples": n_samples,
        "validity": round(float(ok.mean()), 4),
        "unique_at_10k": round(len(unique) / max(1, min(10_000, len(valid))), 4),
        "novelty": round(len(novel) / max(1, len(set(valid))), 4),
        "sampling_s": round(sampling_s, 1),
        "train_canonical_agreement": round(agree, 4),
        "examples": valid.head(5).tolist(),
    }


if __name__ == "__main__":
    sys.exit(main())
