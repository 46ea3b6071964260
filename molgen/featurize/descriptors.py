"""Molecule-level features joined after the readout (Chemprop's ``X_d``), scaled on the training set.

``rdkit2d``: RDKit's 2D descriptors (``rdkit.Chem.Descriptors._descList``; heavy-tailed
columns log-transformed, then standardized). ``morgan_counts``: Morgan count
fingerprints (radius 2, 2,048), as ``log1p(count)``.
"""

import dataclasses
import math
import warnings

import numpy as np
import torch
from rdkit import Chem
from rdkit.Chem import Descriptors

from molgen.utils.quiet import rdkit_quiet

__all__ = ["DESCRIPTOR_KINDS", "DescriptorFeaturizer"]

DESCRIPTOR_KINDS = ("rdkit2d", "morgan_counts")
#: A column whose largest absolute training value exceeds this is used as sign(x) log1p(|x|).
LOG_ABOVE = 1e3
#: Scaled values are clipped to +-CLIP, so one odd molecule cannot dominate the head.
CLIP = 10.0
MORGAN = {"radius": 2, "n_bits": 2048}


def _rdkit2d_names() -> list[str]:
    return [name for name, _ in Descriptors._descList]


def raw_descriptors(smiles: list[str], kind: str) -> np.ndarray:
    """Unscaled features, ``len(smiles) x dim`` float64; NaN where a molecule or descriptor fails."""
    _check_kind(kind)
    if kind == "morgan_counts":
        from molgen.featurize.fingerprints import morgan_fingerprints

        batch = morgan_fingerprints(smiles, counts=True, max_heavy_atoms=None, **MORGAN)
        out = batch.array.astype(np.float64)
        out[~batch.valid_mask] = np.nan
        return out
    functions = [f for _, f in Descriptors._descList]
    out = np.full((len(smiles), len(functions)), np.nan)
    with rdkit_quiet(), np.errstate(all="ignore"):
        for i, text in enumerate(smiles):
            mol = Chem.MolFromSmiles(text) if isinstance(text, str) and text else None
            if mol is None:
                continue
            for j, f in enumerate(functions):
                try:
                    value = float(f(mol))
                except Exception:  # RDKit descriptors raise assorted errors on odd molecules
                    continue
                out[i, j] = value if math.isfinite(value) else np.nan
    return out


def _check_kind(kind) -> None:
    if kind not in DESCRIPTOR_KINDS:
        raise ValueError(f"unknown descriptors {kind!r}; choose one of: {', '.join(DESCRIPTOR_KINDS)}")


@dataclasses.dataclass
class DescriptorFeaturizer:
    """Compute and scale one kind of molecule-level features.

    Fit on the training molecules (:meth:`fit`), then :meth:`transform` any SMILES; the
    fitted state round-trips through :meth:`to_dict` / :meth:`from_dict` in a model
    directory. Missing values (a failed descriptor or molecule) become 0 after scaling.

    Examples
    --------
    >>> f = DescriptorFeaturizer("rdkit2d").fit(["CCO", "c1ccccc1O", "CC(=O)N"])
    >>> f.transform(["CCN"]).shape == (1, f.dim)
    True
    """

    kind: str
    names: list = dataclasses.field(default_factory=list)
    log_columns: np.ndarray | None = None
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    def __post_init__(self):
        _check_kind(self.kind)
        if not self.names:
            self.names = _rdkit2d_names() if self.kind == "rdkit2d" else [f"morgan_count_{i}" for i in range(MORGAN["n_bits"])]

    @property
    def dim(self) -> int:
        return len(self.names)

    @property
    def fitted(self) -> bool:
        return self.mean is not None

    def fit(self, smiles: list[str]) -> "DescriptorFeaturizer":
        """Learn the log columns, means and standard deviations from ``smiles`` (the training set)."""
        raw = raw_descriptors(list(smiles), self.kind)
        if self.kind == "morgan_counts":
            self.log_columns = np.ones(self.dim, dtype=bool)
            self.mean, self.std = np.zeros(self.dim), np.ones(self.dim)
            return self
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: mean 0, std 1 below
            self.log_columns = np.nan_to_num(np.nanmax(np.abs(raw), axis=0), nan=0.0) > LOG_ABOVE
            x = _log(raw, self.log_columns)
            self.mean = np.nan_to_num(np.nanmean(x, axis=0), nan=0.0)
            std = np.nan_to_num(np.nanstd(x, axis=0), nan=0.0)
        self.std = np.where(std > 1e-8, std, 1.0)
        return self

    def transform(self, smiles: list[str]) -> np.ndarray:
        """Scaled features, ``len(smiles) x dim`` float32."""
        if not self.fitted:
            raise RuntimeError("DescriptorFeaturizer.transform before fit")
        x = (_log(raw_descriptors(list(smiles), self.kind), self.log_columns) - self.mean) / self.std
        return np.clip(np.nan_to_num(x, nan=0.0), -CLIP, CLIP).astype(np.float32)

    def attach(self, graphs: list, smiles: list[str]) -> list:
        """Set ``graph.descriptors`` (scaled, ``1 x dim``) from each graph's SMILES; ``None`` graphs are skipped.

        Raises
        ------
        ValueError
            If ``graphs`` and ``smiles`` differ in length.
        """
        if len(graphs) != len(smiles):
            raise ValueError(f"{len(graphs)} graphs but {len(smiles)} SMILES for their descriptors")
        if not len(graphs):
            return graphs
        values = torch.from_numpy(self.transform(list(smiles)))
        for i, graph in enumerate(graphs):
            if graph is not None:
                graph.descriptors = values[i : i + 1].clone()  # own storage: a view would pickle the whole matrix
        return graphs

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "names": list(self.names),
            "log_columns": np.flatnonzero(self.log_columns).tolist(),
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "DescriptorFeaturizer":
        """Rebuild a fitted featurizer.

        Raises
        ------
        ValueError
            Unknown kind, inconsistent lengths, or descriptor names this RDKit does not make.
        """
        f = cls(d["kind"], names=list(d["names"]))
        now = cls(d["kind"]).names
        if f.names != now:
            missing = sorted(set(f.names) - set(now))[:5]
            raise ValueError(f"the model's {d['kind']} descriptors differ from this RDKit's (e.g. {missing or 'order'}); retrain the model")
        mean, std = np.asarray(d["mean"], dtype=np.float64), np.asarray(d["std"], dtype=np.float64)
        if mean.shape != (f.dim,) or std.shape != (f.dim,):
            raise ValueError(f"descriptor scaling has {mean.size}/{std.size} values for {f.dim} descriptors")
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
            raise ValueError("descriptor scaling holds non-finite values or a non-positive std")
        columns = np.asarray(d["log_columns"], dtype=np.int64).reshape(-1)
        if columns.size and (columns.min() < 0 or columns.max() >= f.dim):
            raise ValueError(f"descriptor log_columns out of range 0..{f.dim - 1}")
        f.log_columns = np.zeros(f.dim, dtype=bool)
        f.log_columns[columns] = True
        f.mean, f.std = mean, std
        return f


def _log(x: np.ndarray, columns: np.ndarray) -> np.ndarray:
    x = x.copy()
    x[:, columns] = np.sign(x[:, columns]) * np.log1p(np.abs(x[:, columns]))
    return x
