"""Development experiments behind the uncertainty and calibration defaults (issue 18).

Only the ``train`` split of each MoleculeACE development series is read (5-fold random
cross-validation inside it); test splits and the reserved series are never touched. The
kernel member alone is emulated (Tanimoto on Morgan + atom-pair bits, penalty by
leave-one-out), which carries 80-100 % of the blend on these series.

``--what features``: Spearman correlation with the absolute error on the held-out fold of
candidate uncertainty scores: 1 - max similarity, the GP posterior variance, the local
(neighbours' leave-one-out) error, and the fitted combination (:mod:`molgen.efficacy.uncertainty`).

``--what calibration``: molgen's fit emulated on each fold's training part (scaffold test
part split off, 10 % calibration part drawn by scaffold or at random, kernel fitted on the
rest, refitted on all with ``refit``), then 90 % coverage, width and coverage in the least
similar third on the held-out fold.

Usage::

    python benchmarks/moleculeace_cv.py --quick --what features
    python benchmarks/moleculeace_cv.py --quick --what calibration
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from moleculeace import DEFAULT_CACHE, QUICK_SERIES, check_series, fetch_wheel, find_dev_csv, read_dev_table, read_series  # noqa: E402

from molgen.data import split  # noqa: E402
from molgen.efficacy.blend import kernel_similarity  # noqa: E402
from molgen.efficacy.domain import atom_pair_fingerprints, domain_fingerprints  # noqa: E402
from molgen.efficacy.prepare import four_way_split  # noqa: E402
from molgen.efficacy.uncertainty import KernelUncertainty, _local_error  # noqa: E402
from molgen.metrics.conformal import conformal_quantile  # noqa: E402
from molgen.models.kernel import KernelRidge, tanimoto_matrix  # noqa: E402

FOLDS = 5


def kernels(smiles: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The kernel member's similarity and the Morgan Tanimoto matrix of ``smiles``."""
    morgan, pairs = domain_fingerprints(smiles), atom_pair_fingerprints(smiles)
    S = tanimoto_matrix(morgan, morgan)
    return kernel_similarity(S, (pairs, pairs)), S


def features(K, S, y, fit, held) -> dict:
    kr = KernelRidge.fit(K[np.ix_(fit, fit)], y[fit, None])
    unc = KernelUncertainty.fit(K[np.ix_(fit, fit)], y[fit, None], kr.lam)
    Kq = K[np.ix_(held, fit)]
    error = np.abs(kr.predict(Kq)[:, 0] - y[held])
    unc.sigma(Kq, K[np.ix_(fit, fit)])
    w, V = unc._factors[0][2].numpy(), unc._factors[0][1].numpy()
    variance = 1 + kr.lam[0] - ((Kq @ V) ** 2 / (w + kr.lam[0])).sum(1)
    scores = {
        "1 - max similarity": 1 - S[np.ix_(held, fit)].max(1),
        "GP posterior variance": variance,
        "local error": _local_error(Kq, unc.loo[:, 0], unc.neighbours),
        "combined (molgen)": unc.sigma(Kq)[:, 0],
    }
    row = {name: spearmanr(v, error).statistic for name, v in scores.items()}
    row["rmse"] = float(np.sqrt(np.mean(error**2)))
    return row


def calibration(K, S, y, smiles, fit_pool, held) -> list[dict]:
    rows = []
    t_, v_, c_, te_ = four_way_split([smiles[i] for i in fit_pool], "scaffold", (0.7, 0.1, 0.1, 0.1), 0, "scaffold")
    for how in ("scaffold", "random"):
        if how == "scaffold":
            fit, cal = fit_pool[np.concatenate([t_, v_])], fit_pool[c_]
        else:
            pool = np.concatenate([t_, v_, c_])
            inner = split([smiles[fit_pool[i]] for i in pool], method="random", sizes=(8 / 9, 1 / 9, 0.0), seed=0)
            fit, cal = fit_pool[pool[inner.train]], fit_pool[pool[inner.valid]]
        kr = KernelRidge.fit(K[np.ix_(fit, fit)], y[fit, None])
        unc = KernelUncertainty.fit(K[np.ix_(fit, fit)], y[fit, None], kr.lam)
        Kc = K[np.ix_(cal, fit)]
        q = conformal_quantile(np.abs(y[cal] - kr.predict(Kc)[:, 0]) / unc.sigma(Kc, K[np.ix_(fit, fit)])[:, 0], 0.9)
        for refit in (False, True):
            base, model, u = fit, kr, unc
            if refit:
                base = fit_pool
                model = KernelRidge.fit(K[np.ix_(base, base)], y[base, None], lam=kr.lam)
                u = KernelUncertainty.fit(K[np.ix_(base, base)], y[base, None], kr.lam)
                u.a, u.b = unc.a, unc.b
            Kq = K[np.ix_(held, base)]
            error = np.abs(model.predict(Kq)[:, 0] - y[held])
            sigma = u.sigma(Kq, K[np.ix_(base, base)])[:, 0]
            inside = error <= q * sigma
            far = np.argsort(S[np.ix_(held, fit_pool)].max(1), kind="stable")[: len(held) // 3]
            rows.append({"calibration part": how, "refit": refit, "rmse": float(np.sqrt(np.mean(error**2))), "coverage": inside.mean(),
                         "width": 2 * q * sigma.mean(), "coverage far third": inside[far].mean(), "q": q})  # fmt: skip
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", nargs="+", metavar="NAME")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--what", choices=["features", "calibration"], required=True)
    parser.add_argument("--dev-csv")
    args = parser.parse_args(argv)
    dev = read_dev_table(find_dev_csv(args.dev_csv))
    names = list(QUICK_SERIES) if args.quick else (args.series or list(dev.index))
    check_series(names, dev)
    wheel = fetch_wheel(DEFAULT_CACHE)
    rows = []
    for name in names:
        frame = read_series(wheel, name)
        train = frame[frame["split"] == "train"].reset_index(drop=True)
        smiles, y = train["smiles"].tolist(), train["y"].to_numpy()
        K, S = kernels(smiles)
        folds = np.random.default_rng(0).permutation(len(y)) % FOLDS
        for f in range(FOLDS):
            held, fit = np.flatnonzero(folds == f), np.flatnonzero(folds != f)
            if args.what == "features":
                rows.append({"series": name, **features(K, S, y, fit, held)})
            else:
                rows += [{"series": name, **r} for r in calibration(K, S, y, smiles, fit, held)]
        print(f"{name}: done", file=sys.stderr)
    table = pd.DataFrame(rows)
    keys = ["calibration part", "refit"] if args.what == "calibration" else []
    per_series = table.groupby(["series", *keys]).mean(numeric_only=True)
    summary = per_series.groupby(keys).mean() if keys else per_series.mean().to_frame("mean over series").T
    summary = summary.round(3).reset_index() if keys else summary.round(3)
    print("| " + " | ".join(map(str, summary.columns)) + " |")
    print("|" + "---|" * len(summary.columns))
    for row in summary.itertuples(index=False):
        print("| " + " | ".join(str(v) for v in row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
