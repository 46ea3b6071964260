"""Figures of the run report, returned as PNG bytes (matplotlib's Agg backend, no window)."""

import io

import numpy as np
import pandas as pd
from scipy import stats


def _figure(width: float = 4.6, height: float = 4.0):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return figure, figure.add_subplot()


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def parity_png(table: pd.DataFrame, name: str, metrics: dict | None = None) -> bytes:
    """Measured against predicted test values, with each prediction's interval as an error bar."""
    y, mu = table["measured"].to_numpy(float), table["prediction"].to_numpy(float)
    figure, ax = _figure()
    if {"lower", "upper"} <= set(table.columns):
        yerr = np.vstack([mu - table["lower"].to_numpy(float), table["upper"].to_numpy(float) - mu])
    else:
        yerr = table["uncertainty"].to_numpy(float)
    ax.errorbar(y, mu, yerr=yerr, fmt="o", ms=3, alpha=0.7, ecolor="0.7", elinewidth=0.8, capsize=0)
    low, high = float(np.nanmin([y.min(), mu.min()])), float(np.nanmax([y.max(), mu.max()]))
    pad = 0.05 * (high - low or 1.0)
    ax.plot([low - pad, high + pad], [low - pad, high + pad], "k--", lw=0.8)
    ax.set(xlim=(low - pad, high + pad), ylim=(low - pad, high + pad), xlabel=f"measured {name}", ylabel=f"predicted {name}")
    ax.set_title(f"test set parity ({len(y)} molecules)", fontsize=10)
    if metrics:
        text = "\n".join(f"{k} {metrics[k]:.3f}" for k in ("rmse", "r2", "coverage") if metrics.get(k) is not None)
        ax.text(0.03, 0.97, text, transform=ax.transAxes, va="top", fontsize=8)
    return _png(figure)


def calibration_png(table: pd.DataFrame) -> bytes:
    """Observed against expected fraction inside Gaussian intervals ``mu ± z(p) sigma``."""
    y, mu, sigma = (table[c].to_numpy(float) for c in ("measured", "prediction", "uncertainty"))
    expected = np.linspace(0.0, 1.0, 51)
    z = stats.norm.ppf((1.0 + expected) / 2.0)
    err = np.abs(y - mu)
    observed = np.array([np.mean(err <= zi * sigma) if np.isfinite(zi) else 1.0 for zi in z])
    figure, ax = _figure()
    ax.plot(expected, observed, lw=1.5, label="model uncertainty")
    ax.fill_between(expected, expected, observed, alpha=0.2)
    ax.plot([0, 1], [0, 1], "k--", lw=0.8, label="ideal")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="expected fraction in interval", ylabel="observed fraction")
    ax.set_title("uncertainty calibration (test set)", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    return _png(figure)


def error_vs_uncertainty_png(table: pd.DataFrame, bins: int = 5) -> bytes:
    """RMSE of the test molecules in ``bins`` equal-count bins of ``uncertainty``, against the bin's mean
    uncertainty: a useful uncertainty climbs the diagonal (errors grow where it says they will)."""
    y, mu, sigma = (table[c].to_numpy(float) for c in ("measured", "prediction", "uncertainty"))
    ok = np.isfinite(y) & np.isfinite(mu) & np.isfinite(sigma)
    y, mu, sigma = y[ok], mu[ok], sigma[ok]
    groups = np.array_split(np.argsort(sigma, kind="stable"), min(bins, max(len(sigma), 1)))
    x = [sigma[g].mean() for g in groups if len(g)]
    rmse = [np.sqrt(np.mean((y[g] - mu[g]) ** 2)) for g in groups if len(g)]
    rho = stats.spearmanr(sigma, np.abs(y - mu)).statistic if len(sigma) > 2 and np.ptp(sigma) > 0 else float("nan")
    figure, ax = _figure()
    ax.plot(x, rmse, "o-", lw=1.5, label="RMSE per uncertainty bin")
    top = max([*x, *rmse, 1e-9]) * 1.1
    ax.plot([0, top], [0, top], "k--", lw=0.8, label="ideal")
    ax.set(xlim=(0, top), ylim=(0, top), xlabel="mean uncertainty of the bin", ylabel="RMSE of the bin")
    ax.set_title(f"error against uncertainty (test set; Spearman {rho:.2f})", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    return _png(figure)


def distributions_png(columns: dict[str, tuple[np.ndarray, np.ndarray]], labels: tuple[str, str]) -> bytes:
    """One histogram panel per property, two overlaid distributions in each."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(3.0 * len(columns), 2.8), dpi=100, layout="constrained")
    axes = figure.subplots(1, len(columns))
    for ax, (name, (a, b)) in zip(np.atleast_1d(axes), columns.items()):
        a, b = np.asarray(a, float), np.asarray(b, float)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        both = np.concatenate([a, b])
        if not len(both):
            continue
        bins = np.linspace(both.min(), both.max() + 1e-9, 30)
        ax.hist(a, bins=bins, density=True, alpha=0.5, label=labels[0])
        ax.hist(b, bins=bins, density=True, alpha=0.5, label=labels[1])
        ax.set_title(name, fontsize=10)
        ax.set_yticks([])
    np.atleast_1d(axes)[0].legend(fontsize=7)
    return _png(figure)
