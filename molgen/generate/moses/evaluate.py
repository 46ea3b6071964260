"""MOSES distribution-learning metrics for a list of generated SMILES."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence

import numpy as np

from molgen.generate.moses.molecule import PROPERTY_NAMES, MoleculeRecord, canonical_smiles, describe
from molgen.generate.moses.reference import ReferenceStats, parallel_map, reference_stats
from molgen.generate.moses.similarity import internal_diversities, snn, unpack_fingerprints
from molgen.utils.renamed import renamed_keywords

#: Default ``k`` values of unique@k.
UNIQUE_K = (1000, 10000)


def fraction_valid(smiles: Sequence) -> float:
    """Share of entries that are valid SMILES (MOSES ``fraction_valid``); NaN for no input."""
    if len(smiles) == 0:
        return float("nan")
    return sum(canonical_smiles(s) is not None for s in smiles) / len(smiles)


def fraction_unique(canonical: Sequence[str], k: int | None = None) -> float:
    """unique@k: distinct molecules among the first ``k`` valid canonical SMILES, divided by
    their number (MOSES ``fraction_unique``; with fewer than ``k`` it uses them all and warns)."""
    if k is not None:
        if len(canonical) < k:
            warnings.warn(f"unique@{k} computed on only {len(canonical)} valid molecules", UserWarning, stacklevel=2)
        canonical = canonical[:k]
    if len(canonical) == 0:
        return float("nan")
    return len(set(canonical)) / len(canonical)


def novelty(canonical: Sequence[str], train: Sequence[str] | set) -> float:
    """Share of distinct valid generated molecules not in ``train`` (MOSES ``novelty``).

    ``train`` is compared as given, as MOSES does; pass canonical SMILES (the MOSES sets are)
    for an exact comparison.
    """
    distinct = set(canonical)
    if not distinct:
        return float("nan")
    return len(distinct - set(train)) / len(distinct)


def cos_similarity(ref_counts: Counter, gen_counts: Counter) -> float:
    """Cosine similarity of two count dictionaries, missing keys counting 0 (MOSES
    ``cos_similarity``); NaN when either is empty."""
    if not ref_counts or not gen_counts:
        return float("nan")
    keys = list(set(ref_counts) | set(gen_counts))
    ref = np.array([ref_counts.get(k, 0) for k in keys], dtype=np.float64)
    gen = np.array([gen_counts.get(k, 0) for k in keys], dtype=np.float64)
    return float(ref @ gen / (np.linalg.norm(ref) * np.linalg.norm(gen)))


def wasserstein(ref_values, gen_values) -> float:
    """1-D Wasserstein distance (``scipy.stats.wasserstein_distance``); NaN for empty input."""
    from scipy.stats import wasserstein_distance

    if len(ref_values) == 0 or len(gen_values) == 0:
        return float("nan")
    return float(wasserstein_distance(ref_values, gen_values))


class _Generated:
    """Per-molecule records of the valid generated molecules, with derived aggregates."""

    def __init__(self, records: list[MoleculeRecord]):
        self.records = records
        self.smiles = [r.smiles for r in records]
        self.bits = unpack_fingerprints([r.fingerprint for r in records])
        self.fragments: Counter = Counter()
        for r in records:
            self.fragments.update(r.fragments)
        self.scaffolds = Counter(r.scaffold for r in records if r.scaffold is not None)
        self.properties = np.array([r.properties for r in records], dtype=np.float64).reshape(-1, len(PROPERTY_NAMES))


def _versus(prefix: str, ref: ReferenceStats, gen: _Generated, gen_fcd, *, batch_size: int, device: str, progress: bool) -> dict:
    from molgen.generate.moses.chemnet import frechet_distance

    out = {f"FCD/{prefix}": float("nan"), f"SNN/{prefix}": float("nan")}
    if gen_fcd is not None:
        out[f"FCD/{prefix}"] = frechet_distance(ref.fcd_mu, ref.fcd_sigma, *gen_fcd)
    if len(gen.bits):
        out[f"SNN/{prefix}"] = snn(unpack_fingerprints(ref.fingerprints), gen.bits, device=device, progress=progress)
    out[f"Frag/{prefix}"] = cos_similarity(ref.fragments, gen.fragments)
    out[f"Scaf/{prefix}"] = cos_similarity(ref.scaffolds, gen.scaffolds)
    return out


def _reference(value, name: str, moses_defaults: bool, kwargs: dict):
    """A ReferenceStats from stats, SMILES, or the MOSES default; None to skip."""
    if isinstance(value, ReferenceStats):
        return value
    if value is None:
        if not moses_defaults:
            return None
        from molgen.generate.moses.moses_stats import moses_reference_stats

        return moses_reference_stats(name)
    if isinstance(value, str):
        raise ValueError(f"{name} must be a sequence of SMILES or ReferenceStats, not a single string")
    return reference_stats(list(value), **kwargs)


@renamed_keywords(n_jobs="num_workers")
def evaluate_samples(
    gen_smiles: Sequence,
    *,
    train=None,
    test=None,
    test_scaffolds=None,
    moses_defaults: bool = True,
    k: Sequence[int] = UNIQUE_K,
    num_workers: int = 1,
    device: str = "cpu",
    batch_size: int = 512,
    cache_dir=None,
    use_cache: bool = True,
    plot_path=None,
    progress: bool = False,
) -> dict:
    """All MOSES metrics of a set of generated SMILES (``moses.get_all_metrics`` equivalent).

    Parameters
    ----------
    gen_smiles : sequence of str
        Generated SMILES, in sampling order (unique@k looks at the first k valid ones).
        Invalid entries (unparsable, empty, non-strings) are counted in ``valid`` and left
        out of every other metric, as in MOSES.
    train : sequence of str, optional
        Training SMILES for novelty (compared as given; the MOSES sets are canonical).
        ``None``: the MOSES training set when ``moses_defaults``, else no novelty.
    test, test_scaffolds : sequence of str or ReferenceStats, optional
        Reference sets for FCD, SNN, Frag, Scaf and the property distances. SMILES are turned
        into :class:`ReferenceStats` once and cached (see :func:`reference_stats`).
        ``None``: MOSES's published statistics of its test / scaffold-test set when
        ``moses_defaults``, else those metrics are left out.
    moses_defaults : bool
        Fill unspecified references with the MOSES data (needs the molsets package).
    k : sequence of int
        unique@k values.
    num_workers : int
        Processes for the per-molecule RDKit work (``n_jobs``: its deprecated name, until molgen 0.2).
    device, batch_size : torch device and ChemNet batch size.
    cache_dir, use_cache : reference-statistics cache (see :func:`reference_stats`).
    plot_path : path, optional
        Also save a figure of the logP, SA, QED and MW distributions (generated vs test).
    progress : bool
        Show tqdm bars.

    Returns
    -------
    dict
        ``n_samples``, ``n_valid``, ``valid``, ``unique@<k>``, ``FCD/Test``, ``SNN/Test``,
        ``Frag/Test``, ``Scaf/Test``, the same for ``TestSF``, ``IntDiv``, ``IntDiv2``,
        ``Filters``, ``logP``, ``SA``, ``QED``, ``weight`` (Wasserstein distances to the test
        set) and ``Novelty``. Metrics that cannot be computed (no valid molecule, FCD with
        fewer than two) are NaN, never 0.

    Raises
    ------
    ValueError
        ``gen_smiles`` is a single string, or bad ``num_workers``.

    Examples
    --------
    >>> m = evaluate_samples(["CCO", "c1ccccc1", "not a smiles"], test=["CCO", "CCN", "c1ccccc1"],
    ...                      moses_defaults=False, use_cache=False)  # doctest: +SKIP
    >>> m["valid"]  # doctest: +SKIP
    0.6666666666666666
    """
    from molgen.generate.moses.chemnet import chemnet_activations, fcd_statistics

    if isinstance(gen_smiles, str):
        raise ValueError("gen_smiles must be a sequence of SMILES, not a single string")
    gen_smiles = list(gen_smiles)
    ref_kwargs = dict(
        cache_dir=cache_dir, use_cache=use_cache, num_workers=num_workers, batch_size=batch_size, device=device, progress=progress
    )
    test_stats = _reference(test, "test", moses_defaults, ref_kwargs)
    sf_stats = _reference(test_scaffolds, "test_scaffolds", moses_defaults, ref_kwargs)
    if train is None and moses_defaults:
        from molgen.generate.moses.moses_stats import moses_smiles

        train = moses_smiles("train")

    records = parallel_map(describe, gen_smiles, num_workers=num_workers, desc="generated molecules", progress=progress)
    gen = _Generated([r for r in records if r is not None])
    n_valid = len(gen.records)
    metrics: dict = {"n_samples": len(gen_smiles), "n_valid": n_valid}
    metrics["valid"] = n_valid / len(gen_smiles) if gen_smiles else float("nan")
    for kk in k:
        metrics[f"unique@{kk}"] = fraction_unique(gen.smiles, int(kk))

    gen_fcd = None
    if n_valid >= 2 and (test_stats is not None or sf_stats is not None):
        activations = chemnet_activations(gen.smiles, batch_size=batch_size, device=device, progress=progress)
        gen_fcd = fcd_statistics(activations)
    common = dict(batch_size=batch_size, device=device, progress=progress)
    if test_stats is not None:
        metrics.update(_versus("Test", test_stats, gen, gen_fcd, **common))
    if sf_stats is not None:
        metrics.update(_versus("TestSF", sf_stats, gen, gen_fcd, **common))
    nan = float("nan")
    metrics["IntDiv"], metrics["IntDiv2"] = internal_diversities(gen.bits, (1, 2), device=device, progress=progress)
    metrics["Filters"] = float(np.mean([r.passes_filters for r in gen.records])) if n_valid else nan
    if test_stats is not None:
        for j, name in enumerate(PROPERTY_NAMES):
            metrics[name] = wasserstein(test_stats.properties[:, j], gen.properties[:, j])
    if train is not None:
        metrics["Novelty"] = novelty(gen.smiles, train)
    if plot_path is not None:
        from molgen.generate.moses.plots import plot_property_distributions

        plot_property_distributions(gen.properties, None if test_stats is None else test_stats.properties, plot_path)
    return {key: float(v) if isinstance(v, np.floating) else v for key, v in metrics.items()}
