"""The kernel member of an efficacy model: Tanimoto kernel ridge blended with the graph ensemble.

Chosen by measurement (BENCHMARKS.md, 5 seeds): on the CHEMBL2321810 pIC50 series, where
fingerprint kernels beat message passing, the blend cut test RMSE from 0.634 to 0.517 (scaffold
split) and from 0.517 to 0.495 (random); on solubility it changed nothing beyond 0.004, and on
FreeSolv it cost 0.08 on the scaffold split and gained 0.01 on the random one.
"""

import numpy as np

from molgen.models.kernel import KernelRidge, tanimoto_matrix

KERNELS = ("tanimoto",)
#: Above this many training molecules the kernel member is left out (its fit is cubic in n).
KERNEL_MAX_TRAIN = 10_000
#: Kernel weights tried on the validation part.
WEIGHTS = np.linspace(0.0, 1.0, 21)


def check_kernel(kernel: str | None) -> str | None:
    """``kernel`` lower-cased, or ``None``; raises ``ValueError`` for an unknown name."""
    if kernel is None or str(kernel).lower() == "none":
        return None
    if str(kernel).lower() not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of: {', '.join(KERNELS)}, or None")
    return str(kernel).lower()


def _rmse(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def fit_kernel_member(model, data) -> dict:
    """Fit ``model``'s kernel member on ``data`` and set ``model.kernel`` / ``model.kernel_weight``.

    The kernel ridge penalty is chosen per target by leave-one-out on the training part; the
    blend weight by RMSE on the validation part against the graph ensemble's predictions;
    then the kernel is refitted on training + validation molecules (the rows of
    ``model.fingerprints``). Returns what was chosen, for ``model.info["kernel"]``; with no
    validation part, too many molecules or a non-regression task the member is left out
    and the record says why.
    """
    if model.task != "regression":
        return {"used": False, "reason": f"regression only (task {model.task!r})"}
    train, valid = data.train, data.valid
    n_fit = len(train) + len(valid)
    if not len(valid):
        return {"used": False, "reason": "no validation part to weight it on"}
    if n_fit > KERNEL_MAX_TRAIN:
        return {"used": False, "reason": f"{n_fit} training molecules (more than {KERNEL_MAX_TRAIN})"}
    if len(model.fingerprints) != n_fit:
        raise ValueError(f"{len(model.fingerprints)} domain fingerprints for {n_fit} training + validation molecules")
    y = data.y
    K = tanimoto_matrix(model.fingerprints, model.fingerprints)
    n = len(train)
    try:
        inner = KernelRidge.fit(K[:n, :n], y[train])
    except ValueError as err:
        return {"used": False, "reason": str(err)}
    kernel_valid = inner.predict(K[n:, :n])
    has_graph = data.featurized[valid]
    ensemble_valid = np.full_like(kernel_valid, np.nan)
    ensemble_valid[has_graph] = model.predict_graphs(data.graphs(valid))[0]
    weights, scores = [], []
    for k in range(y.shape[1]):
        rows = np.isfinite(y[valid, k]) & has_graph
        if not rows.any():
            weights.append(0.0)
            scores.append(None)
            continue
        yk, gk, kk = y[valid, k][rows], ensemble_valid[rows, k], kernel_valid[rows, k]
        rmse = [_rmse((1 - w) * gk + w * kk, yk) for w in WEIGHTS]
        best = int(np.argmin(rmse))
        weights.append(float(WEIGHTS[best]))
        scores.append({"ensemble": _rmse(gk, yk), "kernel": _rmse(kk, yk), "blend": rmse[best]})
    fit_rows = np.concatenate([train, valid])
    model.kernel = KernelRidge.fit(K, y[fit_rows], lam=inner.lam)
    model.kernel_weight = np.asarray(weights, dtype=np.float64)
    return {"used": True, "kind": "tanimoto", "weight": weights, "lam": inner.lam.tolist(), "valid_rmse": scores}
