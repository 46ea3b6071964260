"""Probe: other members beside molgen's graph ensemble, on ``property.py``'s outer split.

For each seed it fits molgen's default model (graph ensemble + radius-2 Tanimoto kernel),
then sets beside it a radius-3 kernel (``k3``), a random forest on Morgan counts (``rf``,
the RF baseline's model, fitted on molgen's own training molecules) and a kernel/RF mix
weighted by leave-one-out / out-of-bag RMSE on the training part (``fp``). Blends are scored
twice: weights chosen on molgen's validation part (as the default chooses its kernel weight)
and equal weights. One JSON line of test RMSEs per seed (BENCHMARKS.md, "A random-forest
member").

    python benchmarks/property_members.py chembl2321810 --split scaffold --seeds 0 1 2
"""

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

COMBOS = [("gnn", "k2"), ("gnn", "k3"), ("gnn", "rf"), ("gnn", "k2", "rf"), ("gnn", "fp"), ("k2", "rf")]


def rmse(pred, y) -> float:
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def best_weights(preds: list, y: np.ndarray, step: float = 0.05) -> np.ndarray:
    """Simplex weights (grid ``step``) with the lowest RMSE of the weighted sum on ``y``."""
    grid, best = np.arange(0, 1 + 1e-9, step), None
    for w in itertools.product(grid, repeat=len(preds) - 1):
        if sum(w) > 1 + 1e-9:
            continue
        w = np.array([*w, 1 - sum(w)])
        score = rmse(sum(wi * p for wi, p in zip(w, preds)), y)
        if best is None or score < best[0]:
            best = (score, w)
    return best[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset")
    parser.add_argument("--split", default="scaffold")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)

    from property import MOLGEN_SIZES, OUTER_SIZES, prepare_dataset
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator
    from sklearn.ensemble import RandomForestRegressor

    from molgen.data import split
    from molgen.models.kernel import KernelRidge, leave_one_out_residuals, tanimoto_matrix
    from molgen.predict import assemble_efficacy_model, prepare_training_data
    from molgen.train import TrainConfig, train_ensemble

    torch.set_num_threads(1)
    gens = {r: rdFingerprintGenerator.GetMorganGenerator(radius=r, fpSize=2048) for r in (2, 3)}

    def bits(smiles, r):
        rows = [gens[r].GetFingerprintAsNumPy(Chem.MolFromSmiles(s)) for s in smiles]
        return np.packbits(np.array(rows, dtype=np.uint8), axis=1)

    def counts(smiles):
        return np.array([gens[2].GetCountFingerprintAsNumPy(Chem.MolFromSmiles(s)) for s in smiles], dtype=np.float32)

    data = prepare_dataset(args.dataset)
    for seed in args.seeds:
        parts = split(data["smiles"], method=args.split, sizes=OUTER_SIZES, seed=seed)
        trval = np.concatenate([parts.train, parts.valid])
        test_smiles, y_test = [data["smiles"][i] for i in parts.test], data["y"][parts.test]
        config = TrainConfig(seed=seed)
        d = prepare_training_data([data["smiles"][i] for i in trval], data["y"][trval], split_method=args.split,
                                  sizes=MOLGEN_SIZES, train_config=config, progress=False)
        members, _ = train_ensemble(d.model_config, d.graphs(d.train), d.graphs(d.valid), config=config, progress=False)
        model = assemble_efficacy_model(d, members)
        tr, va = d.train, d.valid
        smiles = lambda idx: [d.smiles[i] for i in idx]  # noqa: E731
        y_tr, y_va = d.y[tr, 0], d.y[va, 0]
        row = {"dataset": args.dataset, "split": args.split, "seed": seed,
               "default": round(rmse(model.predict(test_smiles)["prediction"].to_numpy(), y_test), 4)}
        weight, model.kernel_weight = model.kernel_weight, np.zeros_like(model.kernel_weight)
        on_valid = {"gnn": model.predict(smiles(va))["prediction"].to_numpy()}
        on_test = {"gnn": model.predict(test_smiles)["prediction"].to_numpy()}
        model.kernel_weight = weight
        loo = {}
        for r in (2, 3):
            f_tr, f_va, f_te = bits(smiles(tr), r), bits(smiles(va), r), bits(test_smiles, r)
            inner = KernelRidge.fit(tanimoto_matrix(f_tr, f_tr), d.y[tr])
            on_valid[f"k{r}"] = inner.predict(tanimoto_matrix(f_va, f_tr))[:, 0]
            f_all = np.concatenate([f_tr, f_va])
            full = KernelRidge.fit(tanimoto_matrix(f_all, f_all), np.concatenate([d.y[tr], d.y[va]]), lam=inner.lam)
            on_test[f"k{r}"] = full.predict(tanimoto_matrix(f_te, f_all))[:, 0]
            if r == 2:  # exact leave-one-out predictions on the training part
                loo["k2"] = y_tr - leave_one_out_residuals(tanimoto_matrix(f_tr, f_tr), y_tr, inner.lam[0])
        c_tr, c_va, c_te = counts(smiles(tr)), counts(smiles(va)), counts(test_smiles)
        rf = RandomForestRegressor(n_estimators=500, n_jobs=1, random_state=seed, oob_score=True).fit(c_tr, y_tr)
        on_valid["rf"], loo["rf"] = rf.predict(c_va), rf.oob_prediction_
        rf = RandomForestRegressor(n_estimators=500, n_jobs=1, random_state=seed)
        on_test["rf"] = rf.fit(np.concatenate([c_tr, c_va]), np.concatenate([y_tr, y_va])).predict(c_te)
        mix = best_weights([loo["k2"], loo["rf"]], y_tr)
        row["fp_mix"] = mix.round(2).tolist()
        row["train_loo_k2"], row["train_oob_rf"] = round(rmse(loo["k2"], y_tr), 4), round(rmse(loo["rf"], y_tr), 4)
        for part in (on_valid, on_test):
            part["fp"] = mix[0] * part["k2"] + mix[1] * part["rf"]
        row.update({name: round(rmse(p, y_test), 4) for name, p in on_test.items()})
        for combo in COMBOS:
            w = best_weights([on_valid[c] for c in combo], y_va)
            name = "+".join(combo)
            row[name] = [round(rmse(sum(wi * on_test[c] for wi, c in zip(w, combo)), y_test), 4), w.round(2).tolist()]
            row[name + " equal"] = round(rmse(sum(on_test[c] for c in combo) / len(combo), y_test), 4)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
