"""Figures of the MOSES property distributions (matplotlib, Agg backend, written to a file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from molgen.generate.moses.molecule import PROPERTY_NAMES
from molgen.utils.files import atomic_path

_LABELS = {"logP": "logP (Crippen)", "SA": "SA score", "QED": "QED", "weight": "Molecular weight (Da)"}


def plot_property_distributions(gen_properties, ref_properties, path, *, labels=("generated", "test")) -> Path:
    """Histogram densities of logP, SA, QED and molecular weight, generated vs reference.

    Parameters
    ----------
    gen_properties : array-like of shape (n_gen, 4)
        Columns in :data:`~molgen.generate.moses.molecule.PROPERTY_NAMES` order.
    ref_properties : array-like of shape (n_ref, 4) or None
        Reference values (e.g. the MOSES test set); ``None`` plots the generated set alone.
    path : path
        Output image (format from the suffix, e.g. ``.png``; PNG without one), written
        atomically; parent folders are created.
    labels : tuple of str
        Legend entries for the two sets.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        If an array does not have 4 columns, or matplotlib does not know the suffix.
    molgen.utils.files.FileWriteError
        If ``path`` cannot be written.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # no pyplot: no global backend or figure state

    sets = [
        (np.asarray(gen_properties, dtype=float).reshape(-1, len(PROPERTY_NAMES)) if len(gen_properties) else np.zeros((0, 4)), labels[0])
    ]
    if ref_properties is not None:
        sets.append((np.asarray(ref_properties, dtype=float), labels[1]))
    for values, name in sets:
        if values.ndim != 2 or values.shape[1] != len(PROPERTY_NAMES):
            raise ValueError(f"{name} properties must have shape (n, {len(PROPERTY_NAMES)}), got {values.shape}")
    fig = Figure(figsize=(10, 7), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2).ravel()
    for j, (ax, prop) in enumerate(zip(axes, PROPERTY_NAMES)):
        finite = [v[np.isfinite(v[:, j]), j] for v, _ in sets]
        pooled = np.concatenate([f for f in finite if len(f)]) if any(len(f) for f in finite) else np.zeros(0)
        bins = np.histogram_bin_edges(pooled, bins=50) if len(pooled) else 10
        for values, (_, name) in zip(finite, sets):
            if len(values):
                ax.hist(values, bins=bins, density=True, histtype="step", linewidth=1.5, label=f"{name} (n={len(values):,})")
        ax.set_xlabel(_LABELS[prop])
        ax.set_ylabel("density")
        ax.legend(fontsize=8)
    fig.suptitle("Property distributions")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format=path.suffix[1:].lower() or "png")
    return path
