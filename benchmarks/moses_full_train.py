"""FCD and Scaf of the whole MOSES training set against its test sets, in resumable chunks.

The size-dependent half of MOSES's published "Train" row (FCD/Test 0.008, FCD/TestSF 0.476,
Scaf/Test 0.991, Scaf/TestSF 0.000): they need all 1,584,663 training molecules as the scored
set (``benchmarks/moses_metrics.py`` explains the bias of smaller sets). Each chunk is
canonicalized as ``evaluate_samples`` does (``describe``'s canonical round trip), run through
ChemNet, and added to running sums (count, sum and sum of outer products of the activations,
in float64) and a scaffold counter; the state is written after every chunk, so an interrupted
run resumes where it stopped. The last chunk writes the result JSON.

    nice python benchmarks/moses_full_train.py --state runs/moses_full_train    # ~1 h on 2 CPU cores
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

PUBLISHED = {"FCD/Test": 0.007976462128127082, "FCD/TestSF": 0.4755338128709923, "Scaf/Test": 0.9907434796042832, "Scaf/TestSF": 0.0}


def _load_state(state: Path) -> dict:
    progress = state / "progress.json"
    if not progress.is_file():
        return {"next": 0, "n": 0, "n_invalid": 0, "s1": np.zeros(512), "s2": np.zeros((512, 512)), "scaffolds": Counter(), "seconds": 0.0}
    meta = json.loads(progress.read_text())
    files = meta.pop("files", {"sums": "sums.npz", "scaffolds": "scaffolds.json.gz"})  # first runs wrote fixed names
    sums = np.load(state / files["sums"])
    with gzip.open(state / files["scaffolds"], "rt") as handle:
        scaffolds = Counter(json.load(handle))
    return {**meta, "s1": sums["s1"], "s2": sums["s2"], "scaffolds": scaffolds}


def _save_state(state: Path, st: dict) -> None:
    """Write the sums and counter under new names, then point ``progress.json`` at them.

    Replacing ``progress.json`` is the commit: a run killed at any moment resumes from a
    consistent state. Files of earlier states are removed afterwards.
    """
    state.mkdir(parents=True, exist_ok=True)
    files = {"sums": f"sums_{st['next']}.npz", "scaffolds": f"scaffolds_{st['next']}.json.gz"}
    np.savez(state / files["sums"], s1=st["s1"], s2=st["s2"])
    with gzip.open(state / files["scaffolds"], "wt") as handle:
        json.dump(st["scaffolds"], handle)
    meta = {k: st[k] for k in ("next", "n", "n_invalid", "seconds")}
    (state / "progress.tmp.json").write_text(json.dumps({**meta, "files": files}))
    os.replace(state / "progress.tmp.json", state / "progress.json")
    for old in [*state.glob("sums*.npz"), *state.glob("scaffolds*.json.gz")]:
        if old.name not in files.values():
            old.unlink()


def _chunk(smiles: list[str]) -> tuple[list[str], list[str]]:
    """Canonical SMILES of the valid molecules and their scaffolds (two rings or more)."""
    from molgen.generate.moses.molecule import canonical_smiles, get_mol, scaffold
    from molgen.utils import rdkit_quiet

    valid, scaffolds = [], []
    with rdkit_quiet():
        for s in smiles:
            canonical = canonical_smiles(s)
            mol = None if canonical is None else get_mol(canonical)
            if mol is None:
                continue
            valid.append(canonical)
            scaf = scaffold(mol)
            if scaf is not None:
                scaffolds.append(scaf)
    return valid, scaffolds


def finish(st: dict) -> dict:
    from molgen.generate.moses import frechet_distance, moses_reference_stats
    from molgen.generate.moses.evaluate import cos_similarity

    n = st["n"]
    mu = st["s1"] / n
    cov = (st["s2"] - n * np.outer(mu, mu)) / (n - 1)
    metrics = {}
    for name, ref_name in (("Test", "test"), ("TestSF", "test_scaffolds")):
        ref = moses_reference_stats(ref_name)
        metrics[f"FCD/{name}"] = frechet_distance(ref.fcd_mu, ref.fcd_sigma, mu, cov)
        metrics[f"Scaf/{name}"] = cos_similarity(ref.scaffolds, st["scaffolds"])
    return metrics


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state", type=Path, default=Path("runs/moses_full_train"), help="folder for the running sums")
    parser.add_argument("--chunk-size", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--limit", type=int, help="score only the first N training molecules (a smoke test)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/moses_train_full.json"))
    parser.add_argument("--threads", type=int, help="torch CPU threads (1 when another job shares the cores)")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    from tqdm.auto import tqdm

    from molgen.generate.moses import chemnet_activations, moses_smiles

    train = moses_smiles("train")
    if args.limit:
        train = train[: args.limit]
    st = _load_state(args.state)
    with tqdm(total=len(train), initial=min(st["next"], len(train)), desc="MOSES train", unit="mol") as bar:
        while st["next"] < len(train):
            t0 = time.perf_counter()
            part = train[st["next"] : st["next"] + args.chunk_size]
            valid, scaffolds = _chunk(part)
            acts = chemnet_activations(valid, batch_size=args.batch_size, device=args.device).astype(np.float64)
            st["s1"] += acts.sum(axis=0)
            st["s2"] += acts.T @ acts
            st["n"] += len(valid)
            st["n_invalid"] += len(part) - len(valid)
            st["scaffolds"].update(scaffolds)
            st["next"] += len(part)
            st["seconds"] += time.perf_counter() - t0
            _save_state(args.state, st)
            bar.update(len(part))
    metrics = finish(st)
    report = {
        "command": "python benchmarks/moses_full_train.py" + (f" --limit {args.limit}" if args.limit else ""),
        "n_scored": st["n"],
        "n_invalid": st["n_invalid"],
        "metrics": metrics,
        "published_train": PUBLISHED,
        "match_3dp": {k: round(metrics[k], 3) == round(v, 3) for k, v in PUBLISHED.items()},
        "compute_seconds": round(st["seconds"], 1),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
