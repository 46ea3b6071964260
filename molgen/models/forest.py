"""A random forest stored as plain arrays: the optional forest member of an efficacy model
(on the domain fingerprints' Morgan bits; :mod:`molgen.efficacy.blend`).

scikit-learn grows the trees; their nodes are then copied into flat arrays, so a checkpoint
holds only tensors (no pickle) and prediction needs neither scikit-learn nor its version.
"""

from dataclasses import dataclass

import numpy as np

from molgen.models._labels import labelled_rows, target_matrix

__all__ = ["Forest"]

#: Trees per target (the RF baseline in BENCHMARKS.md uses 500). Each tree has about as many
#: nodes as there are training molecules: 200 trees on 900 CHEMBL2321810 molecules take 6 MB.
N_TREES = 200
#: Share of the features tried at each split (scikit-learn's default for regression tries all,
#: which is slower): 0.3 beat ``"sqrt"`` on 7 of 8 test cells of CHEMBL2321810 and FreeSolv
#: (BENCHMARKS_HISTORY.md, "The forest member").
MAX_FEATURES = 0.3


@dataclass
class Forest:
    """Regression forests, one per target, as flat node arrays.

    Node ``i`` of target ``k`` splits on ``feature[i]`` at ``threshold[i]`` (left if
    ``x <= threshold``) into ``left[i]`` / ``right[i]`` (indices into the same arrays);
    a leaf has ``left[i] == -1`` and predicts ``value[i]``. ``roots[k]`` holds the root node
    of each of target ``k``'s trees.
    """

    feature: np.ndarray  # int32
    threshold: np.ndarray  # float64
    left: np.ndarray  # int32
    right: np.ndarray  # int32
    value: np.ndarray  # float64
    roots: np.ndarray  # int64, n_tasks x n_trees

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, *, n_trees: int = N_TREES, seed: int = 0) -> "Forest":
        """Grow ``n_trees`` trees per target on features ``X`` and targets ``y`` (NaN = missing).

        Raises
        ------
        ValueError
            If ``X`` is not 2-D with one row per row of ``y``, or a target has fewer than two labels.
        """
        from sklearn.ensemble import RandomForestRegressor

        X = np.asarray(X, dtype=np.float32)
        y = target_matrix(y)
        if X.ndim != 2 or len(X) != len(y):
            raise ValueError(f"features of shape {X.shape} for {len(y)} target rows")
        parts, roots, offset = [], [], 0
        for k, rows in labelled_rows(y, "a forest"):
            rf = RandomForestRegressor(n_estimators=n_trees, max_features=MAX_FEATURES, n_jobs=1, random_state=seed).fit(
                X[rows], y[rows, k]
            )
            target_roots = []
            for estimator in rf.estimators_:
                tree = estimator.tree_
                leaf = tree.children_left < 0
                parts.append(
                    (
                        tree.feature.astype(np.int32),
                        tree.threshold.astype(np.float64),
                        np.where(leaf, -1, tree.children_left + offset).astype(np.int32),
                        np.where(leaf, -1, tree.children_right + offset).astype(np.int32),
                        tree.value.reshape(-1).astype(np.float64),
                    )
                )
                target_roots.append(offset)
                offset += tree.node_count
            roots.append(target_roots)
        columns = [np.concatenate(c) for c in zip(*parts)]
        return cls(*columns, roots=np.asarray(roots, dtype=np.int64))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Mean over each target's trees: ``n x n_tasks``."""
        X = np.asarray(X, dtype=np.float32)
        out = np.empty((len(X), len(self.roots)))
        rows = np.arange(len(X))[:, None]
        for k, roots in enumerate(self.roots):
            node = np.broadcast_to(roots, (len(X), len(roots))).copy()
            while True:
                inner = self.left[node] >= 0
                if not inner.any():
                    break
                go_left = X[rows, np.where(inner, self.feature[node], 0)] <= self.threshold[node]
                node = np.where(inner, np.where(go_left, self.left[node], self.right[node]), node)
            out[:, k] = self.value[node].mean(axis=1)
        return out

    def to_tensors(self) -> dict:
        """The arrays by name, for ``safetensors``."""
        return {f"forest.{name}": getattr(self, name) for name in ("feature", "threshold", "left", "right", "value", "roots")}

    @classmethod
    def from_tensors(cls, tensors: dict, *, n_features: int, n_tasks: int) -> "Forest":
        """Rebuild from :meth:`to_tensors` output, checking that every index is in range.

        Raises
        ------
        ValueError
            If an array is missing, mis-shaped or points outside the forest.
        """
        names = ("feature", "threshold", "left", "right", "value", "roots")
        missing = [n for n in names if f"forest.{n}" not in tensors]
        if missing:
            raise ValueError(f"forest member lacks {', '.join(missing)}")
        a = {n: np.asarray(tensors[f"forest.{n}"]) for n in names}
        n = len(a["feature"])
        if any(a[k].shape != (n,) for k in names[:5]) or a["roots"].ndim != 2 or len(a["roots"]) != n_tasks:
            raise ValueError("forest member arrays have inconsistent shapes")
        inner = a["left"] >= 0
        if (
            (a["roots"] < 0).any()
            or (a["roots"] >= n).any()
            or (a["left"][inner] >= n).any()
            or (a["right"][inner] < 0).any()
            or (a["right"][inner] >= n).any()
            or (a["feature"][inner] < 0).any()
            or (a["feature"][inner] >= n_features).any()
            or (a["left"][inner] <= np.flatnonzero(inner)).any()
            or (a["right"][inner] <= np.flatnonzero(inner)).any()
        ):
            raise ValueError("forest member has node indices out of range")
        return cls(
            feature=a["feature"].astype(np.int32),
            threshold=a["threshold"].astype(np.float64),
            left=a["left"].astype(np.int32),
            right=a["right"].astype(np.int32),
            value=a["value"].astype(np.float64),
            roots=a["roots"].astype(np.int64),
        )
