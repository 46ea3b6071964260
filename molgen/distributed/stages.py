"""Screening stages: plain callables that map a batch dict of numpy arrays to another.

Each stage loads what it needs once in ``__init__`` and maps one batch in ``__call__``,
so the same objects run in a plain Python loop, in Ray Data tasks or in Ray actors.
Batches carry SMILES strings, numbers and bytes, never RDKit molecules. Every stage keeps
the rows of its input, in order; a molecule that fails gets a ``state`` other than
``"valid"``, an ``error`` and NaN results, and later stages pass it through untouched.

Batch columns, in order of appearance:

``smiles``, ``file``, ``row``, ``id`` (optional), ``state``, ``error``
    from :func:`molgen.distributed.library.read_shard`
``smiles_std``
    :class:`PrepareStage`: parsed and standardized with the model's own settings
``_x``, ``_edge_index``, ``_edge_attr``, ``_fp``
    :class:`FeaturizeStage`: graph arrays and packed Morgan bits as bytes (dropped by
    :class:`PredictStage`)
``prediction``, ``uncertainty``, ``lower``, ``upper``, ``ad_similarity``
    :class:`PredictStage` (one set per target, suffixed ``_<target>``, for several targets)
objective columns, ``score``
    :class:`ScoreStage`
"""

import os
from pathlib import Path

import numpy as np

from molgen.chem import Standardizer, clean_smiles
from molgen.chem.states import MolState

VALID = MolState.VALID.value
ARRAY_COLUMNS = ("_x", "_edge_index", "_edge_attr", "_fp")


def _copy(batch: dict) -> dict:
    return {k: np.asarray(v) for k, v in batch.items()}


def _pending(batch: dict) -> np.ndarray:
    """Rows not failed by an earlier stage (``state`` is ``""`` or ``"valid"``)."""
    state = batch["state"]
    return np.array([s in ("", VALID) for s in state], dtype=bool)


def model_settings(model_dir) -> dict:
    """Standardizer and size limit a model directory was trained with (no weights loaded).

    Raises
    ------
    molgen.efficacy.CheckpointError
        If ``model_dir`` is not a readable molgen model directory.
    """
    from molgen.efficacy.checkpoint import read_manifest

    featurizer = read_manifest(model_dir).get("featurizer", {})
    std = featurizer.get("standardizer")
    return {"standardizer": None if std is None else Standardizer(**std), "max_heavy_atoms": featurizer.get("max_heavy_atoms")}


class PrepareStage:
    """Parse, sanitize and standardize (CPU): adds ``smiles_std``; sets ``state``/``error``.

    Parameters
    ----------
    model_dir : path
        The model whose standardizer and size limit are applied, so that screening
        sees molecules as the model saw them in training.
    """

    def __init__(self, model_dir):
        settings = model_settings(model_dir)
        self.standardizer = settings["standardizer"]
        self.max_heavy_atoms = settings["max_heavy_atoms"]

    def __call__(self, batch: dict) -> dict:
        out = _copy(batch)
        n = len(out["smiles"])
        todo = np.flatnonzero(_pending(out))
        std = np.full(n, "", dtype=object)
        states, errors = out["state"].astype(object), out["error"].astype(object)
        if len(todo):
            cleaned = clean_smiles(
                out["smiles"][todo].tolist(), standardizer=self.standardizer, max_heavy_atoms=self.max_heavy_atoms, with_inchikey=False
            )
            std[todo] = cleaned["smiles"].to_numpy(dtype=object)
            states[todo] = cleaned["state"].to_numpy(dtype=object)
            errors[todo] = cleaned["error"].to_numpy(dtype=object)
        out["smiles_std"], out["state"], out["error"] = std, states, errors
        return out


class FeaturizeStage:
    """Featurize valid rows as graph arrays and packed Morgan bits (CPU).

    Adds bytes columns ``_x`` (``n_atoms x ATOM_FDIM`` float32), ``_edge_index``
    (``2 x n_edges`` int64), ``_edge_attr`` (``n_edges x BOND_FDIM`` float32) and ``_fp``
    (256 bytes); empty bytes for failed rows. A featurization failure sets the state
    ``featurization_failed``.
    """

    def __call__(self, batch: dict) -> dict:
        from molgen.efficacy.domain import domain_fingerprints
        from molgen.featurize import graphs_from_smiles

        out = _copy(batch)
        n = len(out["smiles"])
        cols = {name: np.full(n, b"", dtype=object) for name in ARRAY_COLUMNS}
        ok = np.flatnonzero(out["state"] == VALID)
        states, errors = out["state"].astype(object), out["error"].astype(object)
        if len(ok):
            graphs = graphs_from_smiles(out["smiles_std"][ok].tolist(), max_heavy_atoms=None)
            good = []
            for j, (graph, state, error) in enumerate(zip(graphs.graphs, graphs.states, graphs.errors)):
                i = ok[j]
                if graph is None:
                    states[i], errors[i] = (state if state != VALID else MolState.FEATURIZATION_FAILED.value), error
                    continue
                cols["_x"][i] = graph.x.numpy().tobytes()
                cols["_edge_index"][i] = graph.edge_index.numpy().tobytes()
                cols["_edge_attr"][i] = graph.edge_attr.numpy().tobytes()
                good.append(i)
            if good:
                fps = domain_fingerprints(out["smiles_std"][good].tolist())
                for k, i in enumerate(good):
                    cols["_fp"][i] = fps[k].tobytes()
        out["state"], out["error"] = states, errors
        out.update(cols)
        return out


def graphs_from_arrays(x: list[bytes], edge_index: list[bytes], edge_attr: list[bytes]) -> list:
    """Rebuild PyG graphs from :class:`FeaturizeStage` bytes."""
    import torch
    from torch_geometric.data import Data

    from molgen.featurize import ATOM_FDIM, BOND_FDIM

    graphs = []
    for xb, eb, ab in zip(x, edge_index, edge_attr):
        xa = np.frombuffer(xb, dtype=np.float32).reshape(-1, ATOM_FDIM)
        ea = np.frombuffer(eb, dtype=np.int64).reshape(2, -1)
        aa = np.frombuffer(ab, dtype=np.float32).reshape(-1, BOND_FDIM)
        graphs.append(Data(x=torch.from_numpy(xa.copy()), edge_index=torch.from_numpy(ea.copy()), edge_attr=torch.from_numpy(aa.copy())))
    return graphs


class PredictStage:
    """The model actor: loads the efficacy model once, predicts featurized rows.

    Parameters
    ----------
    model_dir : path
        A directory written by :meth:`molgen.efficacy.EfficacyModel.save`.
    device : str
        ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
    batch_size : int
        Graphs per forward pass.

    Adds ``prediction``, ``uncertainty``, ``lower``/``upper`` (when the model has a
    conformal calibrator), ``ad_similarity`` and ``in_domain`` (1.0 / 0.0) — suffixed
    ``_<target>`` for several targets — and drops the array columns. NaN for every row not
    ``"valid"``; a valid row outside the applicability domain gets the reason in ``error``.
    """

    def __init__(self, model_dir, *, device: str = "auto", batch_size: int = 512):
        from molgen.efficacy import load_model
        from molgen.train import resolve_device

        self.model = load_model(model_dir)
        self.device = resolve_device(device)
        for member in self.model.members:
            member.to(self.device)
        self.batch_size = batch_size
        self.columns = self.model.prediction_columns

    def __call__(self, batch: dict) -> dict:
        out = {k: v for k, v in _copy(batch).items() if k not in ARRAY_COLUMNS}
        n = len(out["smiles"])
        ok = np.flatnonzero(out["state"] == VALID)
        columns = {c: np.full(n, np.nan) for c in self.columns}
        errors = np.asarray(out["error"], dtype=object).copy()
        for s in range(0, len(ok), self.batch_size):
            rows = ok[s : s + self.batch_size]
            graphs = graphs_from_arrays(batch["_x"][rows], batch["_edge_index"][rows], batch["_edge_attr"][rows])
            fps = np.stack([np.frombuffer(b, dtype=np.uint8) for b in batch["_fp"][rows]])
            part = self.model.predict_featurized(graphs, fps, smiles=out["smiles_std"][rows].tolist())
            for c in self.columns:
                columns[c][rows] = part[c]
            for j, reason in enumerate(part["domain_error"]):  # valid, but out of the applicability domain
                if reason is not None:
                    errors[rows[j]] = reason
        out.update(columns)
        out["error"] = errors
        return out


def prediction_columns(model) -> list[str]:
    """The columns :class:`PredictStage` adds for ``model`` (:attr:`EfficacyModel.prediction_columns`)."""
    return model.prediction_columns


#: prefixes of the columns a model adds (one per target when there are several)
MODEL_OUTPUTS = ("prediction", "uncertainty", "lower", "upper")


class _BatchPredictions:
    """A scorer ``predictor`` that answers from the predictions already in the batch."""

    def __init__(self):
        self.table: dict = {}  # standardized SMILES -> {model output column: value}
        self.columns: list[str] = []

    def predict(self, smiles):
        import pandas as pd

        rows = [self.table.get(s) for s in smiles]
        frame = {c: [np.nan if r is None else r[c] for r in rows] for c in self.columns}
        frame["state"] = [VALID if r is not None else MolState.INVALID_SMILES.value for r in rows]
        frame["error"] = ["" if r is not None else "not predicted in this batch" for r in rows]
        return pd.DataFrame(frame)


class ScoreStage:
    """Score predicted rows (CPU): adds objective columns and ``score`` in [0, 1] or NaN.

    Parameters
    ----------
    model_dir : path
        The screening model. A ``model`` objective of the scorer config whose path is this
        model reads the predictions already made instead of predicting again; another
        model is loaded and run here.
    scorer_config : path, dict or None
        A :mod:`molgen.scoring` config. ``None``: ``score`` is the model's (first)
        prediction, so the top-k are the highest predictions.
    """

    def __init__(self, model_dir, scorer_config=None):
        self.model_dir = Path(model_dir).resolve()
        self.scorer = None
        self.columns: list[str] = []
        #: Each ``model`` objective's spec -> the resolved model folder it loaded.
        self.model_paths: dict[str, Path] = {}
        if scorer_config is None:
            return
        from molgen.scoring import Scorer, load_config

        self._own = _BatchPredictions()
        config = load_config(scorer_config)
        base = Path(scorer_config).parent if isinstance(scorer_config, (str, os.PathLike)) else Path.cwd()
        self.scorer = Scorer.from_config(config, model_loader=self._loader(base))
        self.columns = [c for o in self.scorer.objectives for c in (o.name, o.desirability_column)]

    def _loader(self, base: Path):
        def load(spec: str):
            from molgen.efficacy import load_model

            path = Path(spec).expanduser()
            if not path.is_absolute() and not path.exists():
                path = base / path
            if path.exists() and path.resolve() == self.model_dir:
                self.model_paths[spec] = self.model_dir
                return self._own
            model = load_model(path)
            self.model_paths[spec] = path.resolve()
            return model

        return load

    def __call__(self, batch: dict) -> dict:
        out = _copy(batch)
        n = len(out["smiles"])
        pred_col = next(c for c in out if c.startswith("prediction"))
        ok = np.flatnonzero(out["state"] == VALID)
        if self.scorer is None:
            score = np.full(n, np.nan)
            score[ok] = out[pred_col][ok]
            out["score"] = score
            return out
        smiles = out["smiles_std"][ok].tolist()
        model_cols = [c for c in out if c.startswith(MODEL_OUTPUTS) or c in ("ad_similarity", "in_domain")]
        self._own.columns = model_cols
        self._own.table = {s: {c: out[c][i] for c in model_cols} for s, i in zip(smiles, ok)}
        table = self.scorer.score(smiles)
        errors, states = out["error"].astype(object), out["state"].astype(object)
        for col in self.columns:
            values = np.full(n, np.nan)
            values[ok] = table[col].to_numpy(dtype=float)
            out[col] = values
        score = np.full(n, np.nan)
        score[ok] = table["score"].to_numpy(dtype=float)
        for j, i in enumerate(ok):
            if table["error"].iat[j]:
                errors[i] = table["error"].iat[j]
            if table["state"].iat[j] != VALID:
                states[i] = table["state"].iat[j]
        out["score"], out["error"], out["state"] = score, errors, states
        self._own.table = {}
        return out
