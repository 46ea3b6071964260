"""Probe: other members beside molgen's graph ensemble, on ``property.py``'s outer split.

For each seed it fits molgen's default model (graph ensemble + radius-2 Tanimoto kernel),
then sets beside it a radius-3 kernel (``k3``), a random forest on Morgan counts (``rf``,
the RF baseline's model, fitted on molgen's own training molecules) and a kernel/RF mix
weighted by leave-one-out / out-of-bag RMSE on the training part (``fp``). Blends are scored
with weights chosen on molgen's validation part (as the default chooses its kernel weight), on
its calibration part, on both, and with equal weights; ``--cv K`` adds weights from K-fold
out-of-fold predictions on train + valid (folds by the split method, one graph member per
fold). One JSON line of test RMSEs per seed (BENCHMARKS_HISTORY.md, "A random-forest member" and
"The forest member").

    python benchmarks/property_members.py chembl2321810 --split scaffold --seeds 0 1 2 [--cv 5]
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

COMBOS = [("gnn", "k2"), ("gnn", "k3"), ("gnn", "rf"), ("gnn", "k2", "rf"), ("gnn", "fp"), ("k2", "rf")]


def rmse(pred, y) -> float:
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def best_weights(preds: list, y: np.ndarray) -> np.ndarray:
    """Simplex weights (0.05 grid) with the lowest RMSE of the weighted sum on ``y``, as molgen chooses them."""
    from molgen.efficacy.blend import best_weights as choose

    return choose(np.stack(preds), y)[0]


def refit_row(args, seed, d, model, histories, config, test_smiles, y_test) -> dict:
    """Test RMSE and 90 % coverage of the default model, then with each graph member retrained on
    train + valid for its best epoch count (schedule compressed to it; blend weights and
    conformal quantile kept from the default)."""
    from dataclasses import replace

    from molgen.metrics import coverage
    from molgen.models import build_model
    from molgen.train.loop import train_model

    def scores(m):
        out = m.predict(test_smiles)
        return (
            round(rmse(out["prediction"].to_numpy(), y_test), 4),
            round(coverage(y_test, out["lower"].to_numpy(), out["upper"].to_numpy()), 3),
        )

    row = {
        "dataset": args.dataset,
        "split": args.split,
        "seed": seed,
        "default": scores(model),
        "best_epochs": [h["best_epoch"] for h in histories],
    }
    graphs, refit = d.graphs(np.concatenate([d.train, d.valid])), []
    for i, history in enumerate(histories):
        epochs = max(history["best_epoch"], 3)
        member_config = replace(config, seed=config.seed + i, epochs=epochs, warmup_epochs=min(2, epochs - 1))
        torch.manual_seed(member_config.seed)
        member = build_model(d.model_config)
        train_model(member, graphs, [], task=d.model_config.task, mean_variance=d.model_config.mean_variance, config=member_config)
        refit.append(member.cpu().eval())
    model.members = refit
    row["refit"] = scores(model)
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset")
    parser.add_argument("--split", default="scaffold")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--cv", type=int, default=0, help="also weight by K-fold out-of-fold predictions (K graph fits)")
    parser.add_argument(
        "--refit",
        action="store_true",
        help="only compare the default with its graph members refitted on train + valid for their best epochs",
    )
    args = parser.parse_args(argv)

    from property import MOLGEN_SIZES, OUTER_SIZES, prepare_dataset
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator
    from sklearn.ensemble import RandomForestRegressor

    from molgen.data import kfold, split
    from molgen.efficacy import assemble_efficacy_model, prepare_training_data
    from molgen.models.kernel import KernelRidge, leave_one_out_residuals, tanimoto_matrix
    from molgen.train import TrainConfig, train_ensemble
    from molgen.train.ensemble import ensemble_predict

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
        d = prepare_training_data(
            [data["smiles"][i] for i in trval],
            data["y"][trval],
            split_method=args.split,
            sizes=MOLGEN_SIZES,
            train_config=config,
            progress=False,
        )
        members, histories = train_ensemble(d.model_config, d.graphs(d.train), d.graphs(d.valid), config=config, progress=False)
        model = assemble_efficacy_model(d, members)
        if args.refit:
            print(json.dumps(refit_row(args, seed, d, model, histories, config, test_smiles, y_test)), flush=True)
            continue
        tr, va = d.train, d.valid
        smiles = lambda idx, d=d: [d.smiles[i] for i in idx]  # noqa: E731
        y_tr, y_va = d.y[tr, 0], d.y[va, 0]
        row = {
            "dataset": args.dataset,
            "split": args.split,
            "seed": seed,
            "default": round(rmse(model.predict(test_smiles)["prediction"].to_numpy(), y_test), 4),
        }
        weight, model.kernel_weight = model.kernel_weight, np.zeros_like(model.kernel_weight)
        ca = d.calib
        on_valid = {"gnn": model.predict(smiles(va))["prediction"].to_numpy()}
        on_calib = {"gnn": model.predict(smiles(ca))["prediction"].to_numpy()}
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
            on_calib[f"k{r}"] = full.predict(tanimoto_matrix(bits(smiles(ca), r), f_all))[:, 0]
            if r == 2:  # exact leave-one-out predictions on the training part
                loo["k2"] = y_tr - leave_one_out_residuals(tanimoto_matrix(f_tr, f_tr), y_tr, inner.lam[0])
        c_tr, c_va, c_te = counts(smiles(tr)), counts(smiles(va)), counts(test_smiles)
        rf = RandomForestRegressor(n_estimators=500, n_jobs=1, random_state=seed, oob_score=True).fit(c_tr, y_tr)
        on_valid["rf"], loo["rf"] = rf.predict(c_va), rf.oob_prediction_
        rf = RandomForestRegressor(n_estimators=500, n_jobs=1, random_state=seed)
        on_test["rf"] = rf.fit(np.concatenate([c_tr, c_va]), np.concatenate([y_tr, y_va])).predict(c_te)
        on_calib["rf"] = rf.predict(counts(smiles(ca)))
        mix = best_weights([loo["k2"], loo["rf"]], y_tr)
        row["fp_mix"] = mix.round(2).tolist()
        row["train_loo_k2"], row["train_oob_rf"] = round(rmse(loo["k2"], y_tr), 4), round(rmse(loo["rf"], y_tr), 4)
        for part in (on_valid, on_test, on_calib):
            part["fp"] = mix[0] * part["k2"] + mix[1] * part["rf"]
        row.update({name: round(rmse(p, y_test), 4) for name, p in on_test.items()})
        for combo in COMBOS:
            w = best_weights([on_valid[c] for c in combo], y_va)
            name = "+".join(combo)
            row[name] = [round(rmse(sum(wi * on_test[c] for wi, c in zip(w, combo)), y_test), 4), w.round(2).tolist()]
            row[name + " equal"] = round(rmse(sum(on_test[c] for c in combo) / len(combo), y_test), 4)
            y_ca = d.y[ca, 0]
            for tag, preds, yy in (
                ("calib", [on_calib[c] for c in combo], y_ca),
                ("valid+calib", [np.concatenate([on_valid[c], on_calib[c]]) for c in combo], np.concatenate([y_va, y_ca])),
            ):
                w = best_weights(preds, yy)
                row[f"{name} {tag}"] = [round(rmse(sum(wi * on_test[c] for wi, c in zip(w, combo)), y_test), 4), w.round(2).tolist()]
        if args.cv:
            rows = np.concatenate([tr, va])
            y_cv, f_cv, c_cv = d.y[rows, 0], bits(smiles(rows), 2), counts(smiles(rows))
            K_cv = tanimoto_matrix(f_cv, f_cv)
            oof = {c: np.full(len(rows), np.nan) for c in ("gnn", "k2", "rf")}
            rng = np.random.default_rng(seed)
            for k, (f_fit, f_out) in enumerate(kfold(smiles(rows), k=args.cv, method=args.split, seed=seed)):
                stop = rng.choice(f_fit, size=max(1, len(f_fit) // 8), replace=False)
                fit = np.setdiff1d(f_fit, stop)
                m, _ = train_ensemble(
                    d.model_config,
                    d.graphs(rows[fit]),
                    d.graphs(rows[stop]),
                    ensemble_size=1,
                    config=TrainConfig(seed=seed + 1000 + k),
                    progress=False,
                )
                oof["gnn"][f_out] = d.scaler.inverse(ensemble_predict(m, d.graphs(rows[f_out]))[0])[:, 0]
                kr = KernelRidge.fit(K_cv[np.ix_(f_fit, f_fit)], y_cv[f_fit])
                oof["k2"][f_out] = kr.predict(K_cv[np.ix_(f_out, f_fit)])[:, 0]
                rf = RandomForestRegressor(n_estimators=500, n_jobs=1, random_state=seed).fit(c_cv[f_fit], y_cv[f_fit])
                oof["rf"][f_out] = rf.predict(c_cv[f_out])
            row["cv_oof"] = {c: round(rmse(p, y_cv), 4) for c, p in oof.items()}
            for combo in COMBOS:
                if any(c not in oof for c in combo):
                    continue
                w = best_weights([oof[c] for c in combo], y_cv)
                name = "+".join(combo) + " cv"
                row[name] = [round(rmse(sum(wi * on_test[c] for wi, c in zip(w, combo)), y_test), 4), w.round(2).tolist()]
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
