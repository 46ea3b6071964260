"""Reference-set statistics (FCD mean/covariance, fingerprints, fragment and scaffold counts,
property values), computed once and cached on disk under a key that includes a hash of the
reference SMILES and the versions that affect the numbers."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from molgen.generate.moses.molecule import PROPERTY_NAMES, MoleculeRecord, describe_reference
from molgen.utils.files import atomic_path
from molgen.utils.renamed import renamed_keywords

#: Bump when the way statistics are computed changes; old cache files are then ignored.
STATS_VERSION = 1
#: Environment variable naming the cache folder (default ``~/.cache/molgen``).
CACHE_ENV = "MOLGEN_CACHE_DIR"


class StaleCacheError(RuntimeError):
    """A cache file does not belong to the reference set or code version it was asked for."""


def default_cache_dir() -> Path:
    """``$MOLGEN_CACHE_DIR`` or ``~/.cache/molgen``, plus ``/generate-metrics``."""
    root = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "molgen"
    return Path(root).expanduser() / "generate-metrics"


def _versions() -> str:
    import fcd
    import rdkit

    return f"stats={STATS_VERSION};rdkit={rdkit.__version__};fcd={fcd.__version__}"


def smiles_hash(smiles: Sequence[str]) -> str:
    """sha256 over the SMILES in order (newline-joined) and the code/library versions."""
    digest = hashlib.sha256(_versions().encode())
    for s in smiles:
        digest.update(str(s).encode())
        digest.update(b"\n")
    return digest.hexdigest()


@renamed_keywords(n_jobs="num_workers")
def parallel_map(func: Callable, items: Sequence, *, num_workers: int = 1, desc: str = "", progress: bool = False) -> list:
    """``[func(x) for x in items]`` in order, over ``num_workers`` processes when ``num_workers > 1``.

    ``n_jobs`` is the deprecated name of ``num_workers`` (until molgen 0.2).
    """
    from tqdm.auto import tqdm

    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 1:
        raise ValueError(f"num_workers must be a positive integer, got {num_workers!r}")
    if num_workers == 1 or len(items) < 2000:
        return [func(x) for x in tqdm(items, desc=desc, disable=not progress, mininterval=2)]
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(100, len(items) // (num_workers * 20))
    with ProcessPoolExecutor(max_workers=num_workers) as pool:
        return list(tqdm(pool.map(func, items, chunksize=chunk), total=len(items), desc=desc, disable=not progress, mininterval=2))


@dataclass(frozen=True, eq=False)
class ReferenceStats:
    """What the MOSES metrics need to know about a reference (test) set.

    Attributes
    ----------
    key : str
        :func:`smiles_hash` of the reference SMILES.
    n_input, n_valid : int
        Reference SMILES given, and those RDKit could read (the others are left out).
    fcd_mu, fcd_sigma : numpy.ndarray
        ChemNet activation mean (512,) and covariance (512 x 512).
    fingerprints : numpy.ndarray of shape (n_valid, 128), uint8
        Packed Morgan r=2 1,024-bit fingerprints.
    fragments, scaffolds : collections.Counter
        BRICS fragment and Bemis-Murcko scaffold (two rings or more) counts.
    properties : numpy.ndarray of shape (n_valid, 4)
        logP, SA, QED, molecular weight.
    """

    key: str
    n_input: int
    n_valid: int
    fcd_mu: np.ndarray
    fcd_sigma: np.ndarray
    fingerprints: np.ndarray
    fragments: Counter
    scaffolds: Counter
    properties: np.ndarray

    def save(self, path) -> None:
        """Write an ``.npz`` (no pickled objects) atomically: temp file, then rename.

        Raises :class:`molgen.utils.files.FileWriteError` when ``path`` cannot be written.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {
            "key": np.array(self.key),
            "n": np.array([self.n_input, self.n_valid]),
            "fcd_mu": self.fcd_mu,
            "fcd_sigma": self.fcd_sigma,
            "fingerprints": self.fingerprints,
            "fragment_keys": np.array(list(self.fragments.keys()), dtype=str),
            "fragment_counts": np.array(list(self.fragments.values()), dtype=np.int64),
            "scaffold_keys": np.array(list(self.scaffolds.keys()), dtype=str),
            "scaffold_counts": np.array(list(self.scaffolds.values()), dtype=np.int64),
            "properties": self.properties,
            "property_names": np.array(PROPERTY_NAMES),
        }
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)

    @classmethod
    def load(cls, path, *, expected_key: str | None = None) -> ReferenceStats:
        """Read a file written by :meth:`save`.

        Raises
        ------
        StaleCacheError
            ``expected_key`` is given and differs from the file's key.
        FileNotFoundError
            No such file.
        """
        with np.load(Path(path), allow_pickle=False) as data:
            key = str(data["key"])
            if expected_key is not None and key != expected_key:
                raise StaleCacheError(f"{path} holds statistics for reference key {key[:12]}, not {expected_key[:12]}")
            n_input, n_valid = (int(v) for v in data["n"])
            return cls(
                key=key,
                n_input=n_input,
                n_valid=n_valid,
                fcd_mu=data["fcd_mu"],
                fcd_sigma=data["fcd_sigma"],
                fingerprints=data["fingerprints"],
                fragments=Counter(dict(zip(data["fragment_keys"].tolist(), data["fragment_counts"].tolist()))),
                scaffolds=Counter(dict(zip(data["scaffold_keys"].tolist(), data["scaffold_counts"].tolist()))),
                properties=data["properties"],
            )


def stats_from_records(
    records: Iterable[MoleculeRecord],
    *,
    key: str = "",
    n_input: int | None = None,
    batch_size: int = 512,
    device: str = "cpu",
    progress: bool = False,
) -> ReferenceStats:
    """Build :class:`ReferenceStats` from per-molecule records (invalid ones as ``None``).

    Raises
    ------
    ValueError
        Fewer than two valid molecules.
    """
    from molgen.generate.moses.chemnet import chemnet_activations, fcd_statistics

    records = list(records)
    valid = [r for r in records if r is not None]
    if len(valid) < 2:
        raise ValueError(f"a reference set needs at least 2 valid molecules, got {len(valid)} of {len(records)}")
    activations = chemnet_activations([r.smiles for r in valid], batch_size=batch_size, device=device, progress=progress)
    mu, sigma = fcd_statistics(activations)
    fragments: Counter = Counter()
    for r in valid:
        fragments.update(r.fragments)
    scaffolds = Counter(r.scaffold for r in valid if r.scaffold is not None)
    return ReferenceStats(
        key=key,
        n_input=len(records) if n_input is None else n_input,
        n_valid=len(valid),
        fcd_mu=mu,
        fcd_sigma=sigma,
        fingerprints=np.frombuffer(b"".join(r.fingerprint for r in valid), dtype=np.uint8).reshape(len(valid), -1),
        fragments=fragments,
        scaffolds=scaffolds,
        properties=np.array([r.properties for r in valid], dtype=np.float64),
    )


@renamed_keywords(n_jobs="num_workers")
def reference_stats(
    smiles: Sequence[str],
    *,
    cache_dir=None,
    use_cache: bool = True,
    num_workers: int = 1,
    batch_size: int = 512,
    device: str = "cpu",
    progress: bool = False,
) -> ReferenceStats:
    """Statistics of a reference set, read from the cache when present, else computed (and
    cached).

    Parameters
    ----------
    smiles : sequence of str
        Reference SMILES (e.g. the MOSES test set). Invalid entries are left out and counted
        (``n_input - n_valid``).
    cache_dir : path, optional
        Cache folder; default :func:`default_cache_dir`. The file name carries the first 20
        hex digits of :func:`smiles_hash` and the file stores the full hash, which is checked
        on reading: a different reference set, RDKit or ``fcd`` version, or statistics
        version never reuses a file.
    use_cache : bool
        ``False`` computes afresh and writes nothing.
    num_workers : int
        Processes for the RDKit work (``n_jobs``: its deprecated name, until molgen 0.2).
    batch_size, device : ChemNet batch size and torch device.
    progress : bool
        Show tqdm bars.

    Returns
    -------
    ReferenceStats

    Raises
    ------
    ValueError
        Fewer than two valid reference molecules, or bad ``num_workers``.
    """
    smiles = [str(s) for s in smiles]
    key = smiles_hash(smiles)
    path = Path(cache_dir or default_cache_dir()) / f"reference-{key[:20]}.npz"
    if use_cache and path.is_file():
        try:
            return ReferenceStats.load(path, expected_key=key)
        except (StaleCacheError, OSError, KeyError, ValueError):
            pass  # unreadable or foreign file: recompute and overwrite
    records = parallel_map(describe_reference, smiles, num_workers=num_workers, desc="reference molecules", progress=progress)
    stats = stats_from_records(records, key=key, batch_size=batch_size, device=device, progress=progress)
    if use_cache:
        stats.save(path)
    return stats
