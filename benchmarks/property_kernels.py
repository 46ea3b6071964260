"""Probe: other fingerprints for the kernel member, blended with the same graph ensemble.

``k2`` (Morgan bits) was molgen's kernel until 2026-11-30; ``mix_k2_ap`` (Morgan and atom-pair
bits) is its kernel now (BENCHMARKS_HISTORY.md, "Atom pairs in the kernel"). ``default`` is the test RMSE
of molgen's model as fitted when the cache was made.

For each seed it fits molgen's default graph ensemble on ``property.py``'s outer split (its
predictions on molgen's validation and the test part are cached in ``--cache``, keyed by
molgen's version and fitting defaults, so a rerun only refits kernels), then blends it with
a Tanimoto kernel ridge model on each fingerprint below, weighted on the validation part as
the default does. ``loo`` picks, per fit, the
kernel with the lowest exact leave-one-out RMSE on the training part (information available
at training time). One JSON line of test RMSEs per seed.

    python benchmarks/property_kernels.py chembl2321810 --split scaffold --seeds 0 1 2
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

#: name -> (generator kind, radius, counts)
FINGERPRINTS = {
    "k2": ("morgan", 2, False),  # the default: the domain fingerprints
    "k3": ("morgan", 3, False),
    "mm2": ("morgan", 2, True),
    "mm3": ("morgan", 3, True),
    "ap": ("atompair", None, False),
    "mmap": ("atompair", None, True),
    "tt": ("torsion", None, False),
}
#: kernels averaged from the ones above
MIXES = {
    "mix_k2_ap": ("k2", "ap"),
    "mix_mm2_mmap": ("mm2", "mmap"),
    "mix_k2_k3_ap": ("k2", "k3", "ap"),
    "mix_all": ("k2", "mm2", "ap", "mmap", "tt"),
}


def rmse(pred, y) -> float:
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def fingerprints(smiles: list, kind: str, radius, counts: bool) -> np.ndarray:
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator as g

    gen = {
        "morgan": lambda: g.GetMorganGenerator(radius=radius, fpSize=2048),
        "atompair": lambda: g.GetAtomPairGenerator(fpSize=2048),
        "torsion": lambda: g.GetTopologicalTorsionGenerator(fpSize=2048),
    }[kind]()
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    if counts:
        return np.array([gen.GetCountFingerprintAsNumPy(m) for m in mols], dtype=np.int64)
    return np.array([gen.GetFingerprintAsNumPy(m) for m in mols], dtype=np.int64)


def kernel_matrix(X: np.ndarray) -> np.ndarray:
    """MinMax similarity of the rows of a count (or 0/1) matrix: Tanimoto for bits."""
    from property import tanimoto_kernel, thermometer

    T = thermometer(X)
    return tanimoto_kernel(T, T)


def graph_predictions(args, seed, data, parts, cache: Path) -> dict:
    """The default graph ensemble's predictions on molgen's validation part and the test part."""
    import hashlib

    from property import MOLGEN_SIZES, molgen_defaults

    from molgen import __version__

    key = hashlib.sha256(json.dumps([__version__, molgen_defaults()], sort_keys=True).encode()).hexdigest()[:12]
    file = cache / f"{args.dataset}_{args.split}_{seed}_{key}.npz"  # a changed molgen default makes a new file
    if file.exists():
        return dict(np.load(file, allow_pickle=False))

    from molgen.efficacy import assemble_efficacy_model, prepare_training_data
    from molgen.train import TrainConfig, train_ensemble

    trval = np.concatenate([parts.train, parts.valid])
    config = TrainConfig(seed=seed)
    d = prepare_training_data(
        [data["smiles"][i] for i in trval],
        data["y"][trval],
        split_method=args.split,
        sizes=MOLGEN_SIZES,
        train_config=config,
        progress=False,
    )
    members, _ = train_ensemble(d.model_config, d.graphs(d.train), d.graphs(d.valid), config=config, progress=False)
    model = assemble_efficacy_model(d, members)
    test_smiles = [data["smiles"][i] for i in parts.test]
    default = model.predict(test_smiles)["prediction"].to_numpy()
    model.kernel_weight = np.zeros_like(model.kernel_weight)
    out = {
        "train_smiles": np.array([d.smiles[i] for i in d.train]),
        "valid_smiles": np.array([d.smiles[i] for i in d.valid]),
        "y_train": d.y[d.train, 0],
        "y_valid": d.y[d.valid, 0],
        "y_test": data["y"][parts.test],
        "test_smiles": np.array(test_smiles),
        "default_test": default,
        "gnn_valid": model.predict([d.smiles[i] for i in d.valid])["prediction"].to_numpy(),
        "gnn_test": model.predict(test_smiles)["prediction"].to_numpy(),
    }
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(file, **out)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset")
    parser.add_argument("--split", default="scaffold")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/molgen_property_kernels"))
    args = parser.parse_args(argv)

    from property import OUTER_SIZES, prepare_dataset

    from molgen.data import split
    from molgen.efficacy.blend import best_weights
    from molgen.models.kernel import KernelRidge, leave_one_out_residuals

    torch.set_num_threads(1)
    data = prepare_dataset(args.dataset)
    for seed in args.seeds:
        parts = split(data["smiles"], method=args.split, sizes=OUTER_SIZES, seed=seed)
        g = graph_predictions(args, seed, data, parts, args.cache)
        smiles = [*g["train_smiles"], *g["valid_smiles"], *g["test_smiles"]]
        n_tr, n_va = len(g["train_smiles"]), len(g["valid_smiles"])
        y_tr, y_va, y_te = g["y_train"], g["y_valid"], g["y_test"]
        y_fit = np.concatenate([y_tr, y_va])
        Ks = {name: kernel_matrix(fingerprints(smiles, *spec)) for name, spec in FINGERPRINTS.items()}
        Ks.update({name: np.mean([Ks[p] for p in parts_], axis=0) for name, parts_ in MIXES.items()})
        row = {
            "dataset": args.dataset,
            "split": args.split,
            "seed": seed,
            "default": round(rmse(g["default_test"], y_te), 4),
            "gnn": round(rmse(g["gnn_test"], y_te), 4),
        }
        loo_rmse = {}
        blends = {}
        for name, K in Ks.items():
            fit, va, te = slice(0, n_tr), slice(n_tr, n_tr + n_va), slice(n_tr + n_va, None)
            inner = KernelRidge.fit(K[fit, fit], y_tr[:, None])
            on_valid = inner.predict(K[va, fit])[:, 0]
            trva = slice(0, n_tr + n_va)
            full = KernelRidge.fit(K[trva, trva], y_fit[:, None], lam=inner.lam)
            on_test = full.predict(K[te, trva])[:, 0]
            w, _ = best_weights(np.stack([g["gnn_valid"], on_valid]), y_va)
            loo_rmse[name] = rmse(leave_one_out_residuals(K[fit, fit], y_tr, inner.lam[0]), 0)
            blends[name] = rmse(w[0] * g["gnn_test"] + w[1] * on_test, y_te)
            row[name] = {
                "alone": round(rmse(on_test, y_te), 4),
                "blend": round(blends[name], 4),
                "w_kernel": round(float(w[1]), 2),
                "loo": round(loo_rmse[name], 4),
            }
        pick = min(loo_rmse, key=loo_rmse.get)
        row["loo_pick"] = [pick, round(blends[pick], 4)]
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
