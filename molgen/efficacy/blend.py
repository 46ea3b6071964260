"""The fingerprint members of an efficacy model, blended with the graph ensemble.

Two members work on fingerprints of the training molecules: a kernel ridge model whose
similarity is the mean of the Tanimoto similarities on Morgan bits (radius 2, 2048; the
domain fingerprints) and on atom-pair bits (2048), and a random forest on the Morgan bits.
Each target's blend weights (graph ensemble, kernel, forest; non-negative, summing to 1)
are chosen on the validation part. Chosen by measurement (BENCHMARKS.md, "Property
prediction", 5 seeds).
"""

import itertools

import numpy as np

from molgen.efficacy.domain import atom_pair_fingerprints, domain_fingerprints
from molgen.efficacy.uncertainty import KernelUncertainty
from molgen.models.forest import Forest
from molgen.models.kernel import KernelRidge, tanimoto_matrix

#: ``tanimoto``: mean Tanimoto similarity on Morgan and atom-pair bits (the default);
#: ``tanimoto_morgan``: Morgan bits alone (the default until 2026-11-30).
KERNELS = ("tanimoto", "tanimoto_morgan")
#: Above this many training molecules the fingerprint members are left out (the kernel fit is cubic in n).
KERNEL_MAX_TRAIN = 10_000
#: Step of the weight grid tried on the validation part.
WEIGHT_STEP = 0.05


def check_kernel(kernel: str | None) -> str | None:
    """``kernel`` lower-cased, or ``None``; raises ``ValueError`` for an unknown name."""
    if kernel is None or str(kernel).lower() == "none":
        return None
    if str(kernel).lower() not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of: {', '.join(KERNELS)}, or None")
    return str(kernel).lower()


def _rmse(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def simplex_grid(n: int, step: float = WEIGHT_STEP) -> np.ndarray:
    """All weight vectors of length ``n`` on a ``step`` grid with non-negative entries summing to 1."""
    ticks = round(1 / step)
    rows = [(ticks - sum(c), *c) for c in itertools.product(range(ticks + 1), repeat=n - 1) if sum(c) <= ticks]
    return np.asarray(rows, dtype=np.float64) / ticks


def best_weights(preds: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Grid weights (``members``) whose blend of ``preds`` (``members x n``) has the lowest RMSE on ``y``.

    Ties go to the earliest grid row, which puts the most weight on the first member.
    """
    grid = simplex_grid(len(preds))
    errors = np.sqrt((((grid @ preds) - y) ** 2).mean(axis=1))
    best = int(np.argmin(errors))
    return grid[best], float(errors[best])


def kernel_similarity(morgan: np.ndarray, atom_pairs: tuple | None = None) -> np.ndarray:
    """The kernel member's similarity, at fitting and at prediction alike.

    ``morgan`` is the Tanimoto matrix on the domain (Morgan) bits; ``atom_pairs``, for the
    ``tanimoto`` kernel, is ``(query, train)`` packed atom-pair bits, and the result is then
    the mean of the two Tanimoto matrices.
    """
    return morgan if atom_pairs is None else (morgan + tanimoto_matrix(*atom_pairs)) / 2


def fit_fingerprint_members(model, data, *, kernel: str | None = "tanimoto", forest: bool = False) -> dict:
    """Fit ``model``'s kernel and/or forest member on ``data`` and choose the blend weights.

    ``kernel`` is a :data:`KERNELS` name or ``None``. Sets ``model.kernel`` /
    ``model.kernel_weight`` (and ``model.kernel_fingerprints`` for the atom-pair kernel) and
    ``model.forest`` / ``model.forest_weight``.
    The kernel ridge penalty is chosen per target by leave-one-out on the training part;
    each member is fitted on the training part, the weights (graph ensemble, kernel,
    forest) are chosen by RMSE on the validation part, and then the members are refitted on
    training + validation molecules (the rows of ``model.fingerprints``). Returns what was
    chosen, for ``model.info["blend"]``; with no validation part, too many molecules or a
    non-regression task the members are left out and the record says why.
    """
    kernel = check_kernel(kernel)
    names = [name for name, on in (("kernel", kernel is not None), ("forest", forest)) if on]
    if not names:
        return {"used": False, "reason": "no fingerprint member asked for"}
    if model.task != "regression":
        return {"used": False, "reason": f"regression only (task {model.task!r})"}
    train, valid = data.train, data.valid
    n_fit = len(train) + len(valid)
    if not len(valid):
        return {"used": False, "reason": "no validation part to weight them on"}
    if n_fit > KERNEL_MAX_TRAIN:
        return {"used": False, "reason": f"{n_fit} training molecules (more than {KERNEL_MAX_TRAIN})"}
    if len(model.fingerprints) != n_fit:
        raise ValueError(f"{len(model.fingerprints)} domain fingerprints for {n_fit} training + validation molecules")
    y, n = data.y, len(train)
    fit_rows = np.concatenate([train, valid])
    atom_pairs = atom_pair_fingerprints([data.smiles[i] for i in fit_rows]) if kernel == "tanimoto" else None
    try:
        inner, final = _fit_members(names, model.fingerprints, atom_pairs, y[fit_rows], n, seed=data.info["train_config"].get("seed", 0))
    except ValueError as err:
        return {"used": False, "reason": str(err)}
    has_graph = data.featurized[valid]
    on_valid = {"ensemble": np.full((len(valid), y.shape[1]), np.nan)}
    on_valid["ensemble"][has_graph] = model.predict_graphs(data.graphs(valid))[0]
    on_valid.update(inner)
    members = ["ensemble", *names]
    weights, scores = np.zeros((len(members), y.shape[1])), []
    for k in range(y.shape[1]):
        rows = np.isfinite(y[valid, k]) & has_graph
        if not rows.any():
            weights[0, k] = 1.0
            scores.append(None)
            continue
        preds = np.stack([on_valid[m][rows, k] for m in members])
        weights[:, k], blend = best_weights(preds, y[valid, k][rows])
        scores.append({**{m: _rmse(p, y[valid, k][rows]) for m, p in zip(members, preds)}, "blend": blend})
    model.kernel, model.kernel_weight = final.get("kernel"), None
    model.kernel_fingerprints = atom_pairs if "kernel" in final else None
    model.uncertainty = final.get("uncertainty")
    model.forest, model.forest_weight = final.get("forest"), None
    record = {"used": True, "members": members, "weights": weights.T.round(4).tolist(), "valid_rmse": scores}
    if "kernel" in final:
        model.kernel_weight = weights[members.index("kernel")]
        record["kernel"] = {
            "kind": "tanimoto",
            "fingerprints": ["morgan"] + ["atompair"] * (atom_pairs is not None),
            "lam": final["kernel"].lam.tolist(),
        }
    if "forest" in final:
        record["forest"] = {"kind": "random_forest", "n_trees": int(final["forest"].roots.shape[1])}
        model.forest_weight = weights[members.index("forest")]
        if not model.forest_weight.any():  # weight 0 for every target: not kept, so not saved or run
            model.forest, model.forest_weight = None, None
            record["forest"]["kept"] = False
    return record


def _fit_members(
    names: list, morgan: np.ndarray, atom_pairs: np.ndarray | None, y: np.ndarray, n_train: int, *, seed: int
) -> tuple[dict, dict]:
    """Each member's predictions on the validation rows (``y[n_train:]``) when fitted on the
    training rows, and the member refitted on all rows. ``morgan``: the domain bits;
    ``atom_pairs``: the atom-pair kernel's bits, or ``None``."""
    on_valid, final = {}, {}
    if "kernel" in names:
        K = kernel_similarity(tanimoto_matrix(morgan, morgan), None if atom_pairs is None else (atom_pairs, atom_pairs))
        inner = KernelRidge.fit(K[:n_train, :n_train], y[:n_train])
        on_valid["kernel"] = inner.predict(K[n_train:, :n_train])
        final["kernel"] = KernelRidge.fit(K, y, lam=inner.lam)
        final["uncertainty"] = KernelUncertainty.fit(K, y, inner.lam)
    if "forest" in names:
        X = np.unpackbits(morgan, axis=1).astype(np.float32)
        on_valid["forest"] = Forest.fit(X[:n_train], y[:n_train], seed=seed).predict(X[n_train:])
        final["forest"] = Forest.fit(X, y, seed=seed)
    return on_valid, final


def refit_fingerprint_members(model, data, rows: np.ndarray) -> dict:
    """Refit ``model``'s kernel (and forest) member on the molecules ``rows`` of ``data``.

    :func:`molgen.efficacy.fit_efficacy_model` calls this last, with every labelled molecule
    (the calibration and test parts included), after the intervals are calibrated and the
    test metrics measured: the saved model then learns from all of the user's data. The
    penalties, blend weights and uncertainty weights stay as chosen; the domain fingerprints
    become those of ``rows``. Returns a record for ``model.info["refit"]``.
    """
    if model.kernel is None and model.forest is None:
        return {"used": False, "reason": "no fingerprint member"}
    if len(rows) > KERNEL_MAX_TRAIN:
        return {"used": False, "reason": f"{len(rows)} molecules (more than {KERNEL_MAX_TRAIN})"}
    smiles = [data.smiles[i] for i in rows]
    y = data.y[rows]
    morgan = domain_fingerprints(smiles)
    if model.kernel is not None:
        atom_pairs = atom_pair_fingerprints(smiles) if model.kernel_fingerprints is not None else None
        K = kernel_similarity(tanimoto_matrix(morgan, morgan), None if atom_pairs is None else (atom_pairs, atom_pairs))
        model.kernel = KernelRidge.fit(K, y, lam=model.kernel.lam)
        model.kernel_fingerprints = atom_pairs
        if model.uncertainty is not None:
            refit = KernelUncertainty.fit(K, y, model.kernel.lam)
            refit.a, refit.b = model.uncertainty.a, model.uncertainty.b  # as calibrated
            model.uncertainty = refit
    if model.forest is not None:
        model.forest = Forest.fit(np.unpackbits(morgan, axis=1).astype(np.float32), y, seed=data.info["train_config"].get("seed", 0))
    model.fingerprints = morgan
    return {"used": True, "molecules": len(rows)}
