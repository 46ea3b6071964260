"""The efficacy model: an ensemble with calibrated intervals and an applicability domain."""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from molgen.chem import DEFAULT_MAX_HEAVY_ATOMS, Standardizer, clean_smiles
from molgen.data.table import check_columns, join_columns
from molgen.efficacy.blend import kernel_similarity
from molgen.efficacy.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from molgen.efficacy.domain import atom_pair_fingerprints, domain_fingerprints, domain_reasons
from molgen.efficacy.uncertainty import KernelUncertainty
from molgen.featurize import ATOM_FDIM, BOND_FDIM, graphs_from_smiles
from molgen.featurize.descriptors import DescriptorFeaturizer
from molgen.metrics import ConformalCalibrator, max_tanimoto
from molgen.models import ModelConfig, MoleculeModel, build_model
from molgen.models.forest import Forest
from molgen.models.kernel import KernelRidge, tanimoto_matrix
from molgen.train import IdentityScaler, TargetScaler, ensemble_predict

TASKS = ("regression", "binary", "multiclass")


@dataclass
class EfficacyModel:
    """A trained ensemble that predicts efficacy with uncertainty, intervals and domain.

    Build one with :func:`molgen.efficacy.fit_efficacy_model`, or load one with
    :func:`load_model`. ``predict`` accepts a list of SMILES or a DataFrame.
    """

    members: list[MoleculeModel]
    model_config: ModelConfig
    target_names: list[str]
    scaler: TargetScaler | IdentityScaler
    fingerprints: np.ndarray
    calibrator: ConformalCalibrator | None = None
    standardizer: Standardizer | None = field(default_factory=Standardizer)
    max_heavy_atoms: int | None = DEFAULT_MAX_HEAVY_ATOMS
    metrics: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    #: fitted molecule-level features joined after the readout (``None``: graphs only)
    descriptors: DescriptorFeaturizer | None = None
    #: kernel ridge on :attr:`fingerprints` and :attr:`kernel_fingerprints` (regression; ``None``: the graph ensemble alone)
    kernel: KernelRidge | None = None
    #: per target, the kernel's share of the prediction (the ensemble has what the fingerprint members leave)
    kernel_weight: np.ndarray | None = None
    #: packed atom-pair bits of the training molecules: the kernel's similarity is then the mean of
    #: the Tanimoto similarities on these and on :attr:`fingerprints` (``None``: Morgan bits alone)
    kernel_fingerprints: np.ndarray | None = None
    #: random forest on the unpacked :attr:`fingerprints` (regression; ``None``: no forest member)
    forest: Forest | None = None
    #: per target, the forest's share of the prediction
    forest_weight: np.ndarray | None = None
    #: the kernel member's uncertainty (posterior variance and local error); ``None``: the ensemble's spread
    uncertainty: KernelUncertainty | None = None
    #: applicability domain: training elements and similarity threshold (:func:`molgen.efficacy.domain.domain_record`)
    domain: dict | None = None
    #: held-out test rows from :func:`fit_efficacy_model` (smiles, y, mean, sigma, interval); not saved
    test_table: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def task(self) -> str:
        return self.model_config.task

    # ---------------------------------------------------------------- prediction
    def predict_molecules(
        self, graphs: list, fingerprints: np.ndarray, smiles: list[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Prediction, uncertainty and domain similarity of featurized molecules.

        With a :attr:`kernel` and/or :attr:`forest`, the prediction blends the graph ensemble's
        mean with theirs (weights :attr:`kernel_weight`, :attr:`forest_weight`). With an
        :attr:`uncertainty` model the uncertainty is ``sqrt(sigma_kernel^2 + (w * spread)^2)``,
        where ``w`` is the ensemble's share of the blend; otherwise the ensemble's spread.
        ``fingerprints`` are the molecules' packed domain fingerprints; ``smiles``, their
        standardized SMILES, are needed when the kernel also compares atom pairs
        (:attr:`kernel_fingerprints`). Returns ``(mean, sigma)`` as ``n x n_tasks`` arrays
        and the max Tanimoto similarity (``n``).

        Raises
        ------
        ValueError
            If the kernel needs ``smiles`` and none (or too few) are given.
        """
        ensemble, sigma = self.predict_graphs(graphs)
        fingerprints = np.asarray(fingerprints, dtype=np.uint8)
        mu = ensemble.copy()
        if self.kernel is None:
            similarity = max_tanimoto(fingerprints, self.fingerprints, packed=True)
        else:
            K = tanimoto_matrix(fingerprints, self.fingerprints)
            similarity = K.max(axis=1) if len(K) else np.zeros(0)
            if self.kernel_fingerprints is not None:
                if smiles is None or len(smiles) != len(fingerprints):
                    raise ValueError(
                        "this model's kernel member compares atom pairs: pass the molecules' standardized "
                        f"smiles ({len(fingerprints)} of them)"
                    )
                K = kernel_similarity(K, (atom_pair_fingerprints(list(smiles)), self.kernel_fingerprints))
            mu += self.kernel_weight * (self.kernel.predict(K) - ensemble)
            if self.uncertainty is not None and len(K):
                share = 1.0 - self.kernel_weight - (0.0 if self.forest_weight is None else self.forest_weight)
                kernel_sigma = self.uncertainty.sigma(K, self._training_kernel)
                sigma = np.sqrt(kernel_sigma**2 + (share * sigma) ** 2)
        if self.forest is not None and len(fingerprints):
            bits = np.unpackbits(fingerprints, axis=1).astype(np.float32)
            mu += self.forest_weight * (self.forest.predict(bits) - ensemble)
        return mu, sigma, similarity

    def _training_kernel(self) -> np.ndarray:
        """The kernel member's similarity among its training molecules (for the uncertainty's factors)."""
        K = tanimoto_matrix(self.fingerprints, self.fingerprints)
        atom_pairs = None if self.kernel_fingerprints is None else (self.kernel_fingerprints, self.kernel_fingerprints)
        return kernel_similarity(K, atom_pairs)

    def predict_graphs(self, graphs: list) -> tuple[np.ndarray, np.ndarray]:
        """Mean and sigma of the graph ensemble alone, in target units (``n x n_tasks``).

        Without the kernel member; :meth:`predict_molecules` and :meth:`predict` blend it in.
        """
        mean, sigma = ensemble_predict(self.members, graphs, mean_variance=self.model_config.mean_variance)
        if self.task == "regression":
            return self.scaler.inverse(mean), self.scaler.inverse_std(sigma)
        return mean, sigma

    def predict(
        self, data, *, smiles_col: str | None = None, batch_size: int = 2048, keep_columns: bool = True, progress: bool = False
    ) -> pd.DataFrame:
        """Predict a list of SMILES or a DataFrame, row for row.

        Parameters
        ----------
        data : sequence of str or pandas.DataFrame
            With a DataFrame, ``smiles_col`` names the SMILES column (default ``"smiles"``).
        batch_size : int
            Molecules featurized and predicted at a time (bounds memory).
        keep_columns : bool
            With a DataFrame: the output starts with all its columns (IDs and the rest, in
            order) in place of ``smiles``; a molgen column whose name is taken gets ``molgen_``.

        Returns
        -------
        pandas.DataFrame
            Same length and index as the input: ``smiles`` (or the input's columns), ``smiles_std``, then for a
            single target ``prediction``, ``uncertainty``, ``lower``, ``upper`` (the
            conformal interval, regression only) — with several targets one of each
            per target, suffixed ``_<target>`` — then ``ad_similarity`` (maximum Tanimoto
            similarity to the training molecules), ``in_domain`` (boolean), ``state`` and
            ``error``. Invalid molecules get NaN and their reason; the batch never fails for
            them. A valid molecule outside the applicability domain keeps its prediction and
            state ``valid``; ``error`` says why it is out of domain.

        Raises
        ------
        molgen.data.ColumnError
            A DataFrame without ``smiles_col`` (a ``KeyError``; it names close matches).
        """
        smiles, index = _input_smiles(data, smiles_col)
        parts = [self._predict_chunk(smiles[i : i + batch_size]) for i in range(0, len(smiles), batch_size)]
        out = pd.concat(parts, ignore_index=True) if parts else self._predict_chunk([])
        out.index = index
        if isinstance(data, pd.DataFrame) and keep_columns:
            return join_columns(data, out.drop(columns="smiles"))
        return out

    @property
    def prediction_columns(self) -> list[str]:
        """The columns :meth:`predict_featurized` makes, in order.

        ``prediction``, ``uncertainty`` and, with a conformal calibrator, ``lower`` and
        ``upper`` — suffixed ``_<target>`` when there are several targets — then
        ``ad_similarity`` and ``in_domain`` (1.0 inside the applicability domain, 0.0 outside).
        """
        cols = []
        single = len(self.target_names) == 1
        for name in self.target_names:
            suffix = "" if single else f"_{name}"
            cols += [f"prediction{suffix}", f"uncertainty{suffix}"]
            if self.calibrator is not None:
                cols += [f"lower{suffix}", f"upper{suffix}"]
        return cols + ["ad_similarity", "in_domain"]

    def attach_descriptors(self, graphs: list, smiles: list[str]) -> list:
        """Set ``graph.descriptors`` (scaled, ``1 x dim``) on each graph from its standardized SMILES.

        A no-op for a model without descriptors. Returns ``graphs``.

        Raises
        ------
        ValueError
            If ``graphs`` and ``smiles`` differ in length.
        """
        return graphs if self.descriptors is None else self.descriptors.attach(graphs, smiles)

    def predict_featurized(
        self, graphs: list, fingerprints: np.ndarray, *, rows=None, n_rows: int | None = None, smiles: list[str] | None = None
    ) -> dict[str, np.ndarray]:
        """Prediction columns for molecules that are already featurized.

        The shared core of :meth:`predict` and the screening model actors
        (:class:`molgen.distributed.PredictStage`), which featurize elsewhere.

        Parameters
        ----------
        graphs : list of torch_geometric.data.Data
            One graph per molecule to predict (from :func:`molgen.featurize.graphs_from_smiles`).
        fingerprints : ndarray, ``len(graphs) x 256`` uint8
            Packed domain fingerprints of the same molecules
            (:func:`molgen.efficacy.domain.domain_fingerprints`).
        rows : array of int, optional
            Output row of each graph (default ``0 .. len(graphs) - 1``).
        n_rows : int, optional
            Output length (default ``len(graphs)``); rows without a graph get NaN.
        smiles : list of str, optional
            Standardized SMILES of the graphs; required when the model joins descriptors
            (:attr:`descriptors`) and the graphs do not carry them yet, or when its kernel
            member compares atom pairs (:attr:`kernel_fingerprints`).

        Returns
        -------
        dict of str to ndarray
            :attr:`prediction_columns` -> float arrays of length ``n_rows``, and
            ``domain_error``: why each row is out of the applicability domain (``None``
            inside; needs ``smiles``, else only the similarity threshold is checked). For a
            multiclass model ``prediction`` is the predicted class and ``uncertainty``
            the spread of its probability.

        Raises
        ------
        ValueError
            If ``graphs``, ``fingerprints`` and ``rows`` differ in length, or the model
            needs descriptors and neither the graphs nor ``smiles`` give them.
        """
        if self.descriptors is not None and any(getattr(g, "descriptors", None) is None for g in graphs):
            if smiles is None:
                raise ValueError("this model joins molecule descriptors: pass the graphs' standardized smiles")
            self.attach_descriptors(graphs, smiles)
        rows = np.arange(len(graphs)) if rows is None else np.asarray(rows, dtype=np.int64)
        n = len(graphs) if n_rows is None else int(n_rows)
        if not (len(rows) == len(graphs) == len(fingerprints)):
            raise ValueError(f"{len(graphs)} graphs, {len(fingerprints)} fingerprints and {len(rows)} rows: they must match")
        t = len(self.target_names)
        mean, sigma, similarity = np.full((n, t), np.nan), np.full((n, t), np.nan), np.full(n, np.nan)
        if len(graphs):
            with torch.inference_mode():
                mu, sd, sim = self.predict_molecules(graphs, fingerprints, smiles)
            if self.task == "multiclass":  # report the predicted class's probability spread
                cls = mu.argmax(-1)
                sd = np.take_along_axis(sd, cls[..., None], -1)[..., 0]
                mu = cls.astype(np.float64)
            mean[rows], sigma[rows], similarity[rows] = mu, sd, sim
        out = {}
        single = t == 1
        for k, name in enumerate(self.target_names):
            suffix = "" if single else f"_{name}"
            out[f"prediction{suffix}"] = mean[:, k]
            out[f"uncertainty{suffix}"] = sigma[:, k]
            if self.calibrator is not None:
                out[f"lower{suffix}"], out[f"upper{suffix}"] = self._interval(mean[:, k], sigma[:, k], k)
        out["ad_similarity"] = similarity
        reasons = domain_reasons(list(smiles) if smiles is not None else [""] * len(graphs), similarity[rows], self.domain)
        out["in_domain"] = np.full(n, np.nan)
        out["in_domain"][rows] = [float(r is None) for r in reasons]
        out["domain_error"] = np.full(n, None, dtype=object)
        out["domain_error"][rows] = reasons
        return out

    def _predict_chunk(self, smiles: list) -> pd.DataFrame:
        cleaned = clean_smiles(smiles, standardizer=self.standardizer, max_heavy_atoms=self.max_heavy_atoms, with_inchikey=False)
        states, errors = cleaned["state"].to_numpy(dtype=object, copy=True), cleaned["error"].to_numpy(dtype=object, copy=True)
        ok = np.flatnonzero(states == "valid")
        batch = graphs_from_smiles(cleaned["smiles"].iloc[ok].tolist(), max_heavy_atoms=None)
        for j, (state, error) in enumerate(zip(batch.states, batch.errors)):
            if state != "valid":
                states[ok[j]], errors[ok[j]] = state, error
        good = np.array([ok[j] for j, g in enumerate(batch.graphs) if g is not None], dtype=np.int64)
        graphs = [g for g in batch.graphs if g is not None]
        fps = domain_fingerprints(cleaned["smiles"].iloc[good].tolist())
        out = pd.DataFrame({"smiles": [("" if s is None else s) for s in smiles], "smiles_std": cleaned["smiles"].to_numpy()})
        std_smiles = cleaned["smiles"].iloc[good].tolist()
        columns = self.predict_featurized(graphs, fps, rows=good, n_rows=len(smiles), smiles=std_smiles)
        domain_error = columns.pop("domain_error")
        for col, values in columns.items():
            out[col] = values
        out["in_domain"] = pd.array([None if np.isnan(v) else bool(v) for v in columns["in_domain"]], dtype="boolean")
        inside = np.array([e is None for e in domain_error])
        errors[~inside] = domain_error[~inside]
        out["state"], out["error"] = states, errors
        return out

    def _interval(self, mu: np.ndarray, sigma: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.atleast_1d(self.calibrator.quantile_)[k]
        half = q * sigma if self.calibrator.normalized_ else np.full_like(mu, q)
        return mu - half, mu + half

    # ---------------------------------------------------------------- persistence
    def save(self, path) -> Path:
        """Write the model directory (see :mod:`molgen.efficacy.checkpoint`)."""
        metadata = {
            "model_config": self.model_config.to_dict(),
            "target_names": list(self.target_names),
            "scaler": self.scaler.to_dict(),
            "calibrator": None if self.calibrator is None else self.calibrator.to_dict(),
            "featurizer": {
                "atom_fdim": ATOM_FDIM,
                "bond_fdim": BOND_FDIM,
                "standardizer": None if self.standardizer is None else _standardizer_dict(self.standardizer),
                "max_heavy_atoms": self.max_heavy_atoms,
                "domain_fingerprint": {"kind": "morgan", "radius": 2, "n_bits": 2048},
                "descriptors": None if self.descriptors is None else self.descriptors.to_dict(),
            },
            "kernel": None
            if self.kernel is None
            else {
                "kind": "tanimoto",
                "fingerprint": "domain" if self.kernel_fingerprints is None else "domain+atompair",
                "lam": self.kernel.lam.tolist(),
                "mean": self.kernel.mean.tolist(),
                "weight": np.asarray(self.kernel_weight).tolist(),
            },
            "forest": None
            if self.forest is None
            else {
                "kind": "random_forest",
                "fingerprint": "domain",
                "weight": np.asarray(self.forest_weight).tolist(),
            },
            "uncertainty": None if self.uncertainty is None else self.uncertainty.to_dict(),
            "domain": self.domain,
            "metrics": self.metrics,
            "info": self.info,
        }
        extra = {}
        if self.kernel is not None:
            extra["alpha"] = torch.from_numpy(np.ascontiguousarray(self.kernel.alpha))
            if self.uncertainty is not None:
                extra["loo"] = torch.from_numpy(np.ascontiguousarray(self.uncertainty.loo))
            if self.kernel_fingerprints is not None:
                extra["atompair"] = torch.from_numpy(np.ascontiguousarray(self.kernel_fingerprints, dtype=np.uint8))
        if self.forest is not None:
            extra.update({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.forest.to_tensors().items()})
        return save_checkpoint(
            path,
            metadata=metadata,
            state_dicts=[m.state_dict() for m in self.members],
            fingerprints=self.fingerprints,
            kernel=extra or None,
        )


def _standardizer_dict(std: Standardizer) -> dict:
    return {k: getattr(std, k) for k in ("cleanup", "largest_fragment", "neutralize", "canonical_tautomer", "max_tautomers")}


def _input_smiles(data, smiles_col: str | None) -> tuple[list, pd.Index]:
    if isinstance(data, pd.DataFrame):
        col = smiles_col or "smiles"
        check_columns(data, col)
        return data[col].tolist(), data.index
    if isinstance(data, str):
        data = [data]
    data = list(data)
    return data, pd.RangeIndex(len(data))


def load_model(path) -> EfficacyModel:
    """Load a model directory written by :meth:`EfficacyModel.save`.

    Raises
    ------
    CheckpointError
        For a missing, foreign, corrupt, tampered or too-new model directory, or one
        whose featurizer does not match this molgen's.
    """
    manifest, states, fingerprints, kernel_tensors = load_checkpoint(path)
    try:
        config = ModelConfig.from_dict(manifest["model_config"])
        featurizer = manifest["featurizer"]
        if (featurizer["atom_fdim"], featurizer["bond_fdim"]) != (ATOM_FDIM, BOND_FDIM):
            raise CheckpointError(
                f"{path}: trained with {featurizer['atom_fdim']}/{featurizer['bond_fdim']} atom/bond features; "
                f"this molgen makes {ATOM_FDIM}/{BOND_FDIM}: retrain the model"
            )
        members = []
        for state in states:
            model = build_model(config)
            model.load_state_dict(state, strict=True)
            members.append(model.eval())
        scaler = TargetScaler.from_dict(manifest["scaler"]) if config.task == "regression" else IdentityScaler()
        calibrator = ConformalCalibrator.from_dict(manifest["calibrator"]) if manifest.get("calibrator") else None
        std = featurizer.get("standardizer")
        descriptors = DescriptorFeaturizer.from_dict(featurizer["descriptors"]) if featurizer.get("descriptors") else None
        kernel, weight, kernel_fps = _load_kernel(path, manifest, kernel_tensors, fingerprints.shape, config.n_tasks)
        forest, forest_weight = _load_forest(path, manifest, kernel_tensors, fingerprints.shape[1] * 8, config.n_tasks)
        if (0 if descriptors is None else descriptors.dim) != config.descriptor_dim:
            raise CheckpointError(
                f"{path}: the model joins {config.descriptor_dim} descriptors but its featurizer makes "
                f"{0 if descriptors is None else descriptors.dim}"
            )
        return EfficacyModel(
            members=members,
            model_config=config,
            target_names=list(manifest["target_names"]),
            scaler=scaler,
            fingerprints=fingerprints,
            calibrator=calibrator,
            standardizer=None if std is None else Standardizer(**std),
            max_heavy_atoms=featurizer.get("max_heavy_atoms"),
            metrics=manifest.get("metrics", {}),
            info=manifest.get("info", {}),
            descriptors=descriptors,
            kernel=kernel,
            kernel_weight=weight,
            kernel_fingerprints=kernel_fps,
            forest=forest,
            forest_weight=forest_weight,
            uncertainty=_load_uncertainty(path, manifest, kernel_tensors, kernel),
            domain=manifest.get("domain"),
        )
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"{path}: inconsistent model directory ({type(err).__name__}: {err})") from None


def _load_kernel(path, manifest: dict, tensors: dict | None, fp_shape: tuple, n_tasks: int) -> tuple:
    """The saved kernel member, its weights and its atom-pair fingerprints (or ``None``),
    or ``(None, None, None)``; checks every shape."""
    spec = manifest.get("kernel")
    if spec is None or tensors is None or "alpha" not in tensors:
        if (spec is None) != (tensors is None or "alpha" not in tensors):
            raise CheckpointError(f"{path}: kernel member metadata and kernel.safetensors must come together")
        return None, None, None
    if spec.get("kind") != "tanimoto" or spec.get("fingerprint") not in ("domain", "domain+atompair"):
        raise CheckpointError(
            f"{path}: unknown kernel member {spec.get('kind')!r} on {spec.get('fingerprint')!r} fingerprints: upgrade molgen"
        )
    n_fingerprints = fp_shape[0]
    atom_pairs = None
    if spec["fingerprint"] == "domain+atompair":
        if "atompair" not in tensors:
            raise CheckpointError(f"{path}: the kernel member compares atom pairs but kernel.safetensors has none")
        atom_pairs = tensors["atompair"].numpy()
        if atom_pairs.dtype != np.uint8 or atom_pairs.shape != tuple(fp_shape):
            raise CheckpointError(
                f"{path}: atom-pair fingerprints of shape {atom_pairs.shape} ({atom_pairs.dtype}) for {tuple(fp_shape)} domain fingerprints"
            )
    alpha = tensors["alpha"].numpy()
    lam, mean, weight = (np.asarray(spec[key], dtype=np.float64) for key in ("lam", "mean", "weight"))
    if alpha.shape != (n_fingerprints, n_tasks) or not lam.shape == mean.shape == weight.shape == (n_tasks,):
        raise CheckpointError(
            f"{path}: kernel member of shape {alpha.shape} does not match {n_fingerprints} training fingerprints and {n_tasks} targets"
        )
    return KernelRidge(alpha=alpha.astype(np.float64), mean=mean, lam=lam), weight, atom_pairs


def _load_forest(path, manifest: dict, tensors: dict | None, n_features: int, n_tasks: int) -> tuple:
    """The saved forest member and its weights, or ``(None, None)``; checks every index."""
    spec = manifest.get("forest")
    has_arrays = tensors is not None and any(name.startswith("forest.") for name in tensors)
    if spec is None or not has_arrays:
        if (spec is None) != (not has_arrays):
            raise CheckpointError(f"{path}: forest member metadata and its arrays in kernel.safetensors must come together")
        return None, None
    if spec.get("kind") != "random_forest" or spec.get("fingerprint") != "domain":
        raise CheckpointError(f"{path}: unknown forest member {spec.get('kind')!r}: upgrade molgen")
    weight = np.asarray(spec["weight"], dtype=np.float64)
    if weight.shape != (n_tasks,):
        raise CheckpointError(f"{path}: forest weights of shape {weight.shape} for {n_tasks} targets")
    try:
        forest = Forest.from_tensors({k: v.numpy() for k, v in tensors.items()}, n_features=n_features, n_tasks=n_tasks)
    except ValueError as err:
        raise CheckpointError(f"{path}: {err}") from None
    return forest, weight


def _load_uncertainty(path, manifest: dict, tensors: dict | None, kernel: KernelRidge | None) -> KernelUncertainty | None:
    """The saved uncertainty model (format 5), or ``None`` (older models: the ensemble's spread)."""
    spec = manifest.get("uncertainty")
    if spec is None:
        return None
    if kernel is None or tensors is None or "loo" not in tensors:
        raise CheckpointError(f"{path}: an uncertainty model needs the kernel member and its residuals in kernel.safetensors")
    loo = tensors["loo"].numpy()
    if loo.shape != kernel.alpha.shape:
        raise CheckpointError(f"{path}: {loo.shape} leave-one-out residuals for a kernel member of shape {kernel.alpha.shape}")
    try:
        return KernelUncertainty.from_dict(spec, loo, kernel.lam)
    except (KeyError, ValueError) as err:
        raise CheckpointError(f"{path}: {err}") from None
