"""Model directories: JSON metadata, safetensors weights, numpy fingerprints. Nothing is unpickled.

Layout of a model directory::

    molgen_model.json          format tag and version, hyperparameters, scaler, calibrator,
                               metrics, molgen version, sha256 of every other file
    member_0.safetensors ...   weights of each ensemble member
    domain_fingerprints.npy    packed Morgan bits of the training molecules
    kernel.safetensors         dual coefficients (and atom-pair bits of the training molecules)
                               of the kernel member and node arrays of the forest member, if
                               the model has either

Format 2 added the kernel member (2026-11-30), format 3 the forest member (2026-11-30),
format 4 the kernel's atom-pair fingerprints (2026-11-30), format 5 the uncertainty model and the
domain record (2026-12-03), format 6 the manifest's checksum of itself (``manifest_sha256``) and
its strict schema (:mod:`molgen.efficacy.manifest`); format 1 to 5 directories still load.

Every manifest is checked field by field on reading, whatever its format: a value no molgen
writer would write is a :class:`CheckpointError` naming the field, never a model that loads
and predicts something else.
"""

import json
from pathlib import Path

import numpy as np

from molgen._version import __version__
from molgen.efficacy.manifest import CHECKSUM, CHECKSUM_FORMAT, ManifestError, check_manifest, check_weights, content_sha256
from molgen.utils.files import FileWriteError, atomic_folder, sha256_file

FORMAT = "molgen-model"
FORMAT_VERSION = 6
MANIFEST = "molgen_model.json"
FINGERPRINTS = "domain_fingerprints.npy"
KERNEL = "kernel.safetensors"
#: Larger metadata files are refused unread (a real one is a few kilobytes).
MAX_MANIFEST_BYTES = 16 * 2**20


class CheckpointError(ValueError):
    """A model directory that cannot be loaded: foreign, corrupt, tampered or too new."""


def save_checkpoint(path, *, metadata: dict, state_dicts: list[dict], fingerprints: np.ndarray, kernel: dict | None = None) -> Path:
    """Write a model directory atomically (built in a temporary folder, then renamed), with the umask's modes.

    ``kernel`` (name -> tensor), if given, is written to ``kernel.safetensors``.

    An existing molgen model directory at ``path`` is replaced; any other existing,
    non-empty folder is refused with :class:`CheckpointError`.
    """
    from safetensors.torch import save_file

    path = Path(path)
    if path.exists() and (not path.is_dir() or (any(path.iterdir()) and not (path / MANIFEST).exists())):
        raise CheckpointError(f"{path}: exists and is not a molgen model directory; choose another --out")
    from safetensors import SafetensorError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_folder(path) as tmp:
            files = {}
            for i, state in enumerate(state_dicts):
                name = f"member_{i}.safetensors"
                save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, str(tmp / name))
                files[name] = sha256_file(tmp / name)
            np.save(tmp / FINGERPRINTS, np.ascontiguousarray(fingerprints, dtype=np.uint8), allow_pickle=False)
            files[FINGERPRINTS] = sha256_file(tmp / FINGERPRINTS)
            if kernel is not None:
                save_file({k: v.detach().cpu().contiguous() for k, v in kernel.items()}, str(tmp / KERNEL))
                files[KERNEL] = sha256_file(tmp / KERNEL)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "molgen_version": __version__,
                "n_members": len(state_dicts),
                "files": files,
                **metadata,
            }
            manifest[CHECKSUM] = content_sha256(manifest)
            try:  # a model this molgen could not load again is refused now, not at the next load
                check_manifest(manifest, format_version=FORMAT_VERSION)
            except ManifestError as err:
                raise CheckpointError(f"{path}: cannot save this model ({err})") from None
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, allow_nan=True))
    except (OSError, FileWriteError, SafetensorError) as err:  # disk full, quota, permissions: nothing half-written stays
        reason = err.reason if isinstance(err, FileWriteError) else getattr(err, "strerror", None) or str(err)
        raise CheckpointError(f"{path}: cannot write the model directory ({reason})") from None
    return path


def read_manifest(path) -> dict:
    """Read and check a model directory's ``molgen_model.json``."""
    path = Path(path)
    if path.is_file():
        raise CheckpointError(
            f"{path}: is a file, not a molgen model directory; a model is the folder written by "
            f"'molgen train' or EfficacyModel.save (pickled .pt/.pkl files from other tools are never loaded)"
        )
    if not path.is_dir():
        raise CheckpointError(f"{path}: not a model directory (no such folder)")
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        found = ", ".join(sorted(p.name for p in path.iterdir())[:8]) or "nothing"
        raise CheckpointError(f"{path}: not a molgen model directory (no {MANIFEST}; found: {found})")
    if manifest_path.stat().st_size > MAX_MANIFEST_BYTES:
        raise CheckpointError(f"{manifest_path}: corrupt model metadata (larger than {MAX_MANIFEST_BYTES} bytes)")
    try:
        manifest = json.loads(manifest_path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        reason = "nested too deeply" if isinstance(err, RecursionError) else str(err)
        raise CheckpointError(f"{manifest_path}: corrupt model metadata, not JSON ({reason})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"{manifest_path}: not a molgen model (format tag is not {FORMAT!r})")
    version = manifest.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise CheckpointError(f"{manifest_path}: invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: written by molgen {manifest.get('molgen_version', '?')} (model format {version}); "
            f"this molgen {__version__} reads format {FORMAT_VERSION} or older: upgrade molgen"
        )
    if CHECKSUM in manifest:
        if manifest[CHECKSUM] != content_sha256(manifest):
            raise CheckpointError(f"{manifest_path}: checksum mismatch (the model metadata was changed or damaged after saving)")
    elif version >= CHECKSUM_FORMAT:
        raise CheckpointError(f"{manifest_path}: {CHECKSUM}: missing (model format {version} records the metadata's checksum)")
    try:
        check_manifest(manifest, format_version=version)
    except ManifestError as err:
        raise CheckpointError(f"{manifest_path}: {err}") from None
    return manifest


def _checked_file(path: Path, name: str, manifest: dict) -> Path:
    expected = manifest["files"].get(name)
    file = path / name
    if expected is None or not file.exists():
        raise CheckpointError(f"{path}: missing {name}")
    if not file.is_file():  # a folder, a device such as /dev/zero, a fifo: never read
        raise CheckpointError(f"{file}: not a regular file")
    try:
        digest = sha256_file(file)
    except OSError as err:
        raise CheckpointError(f"{file}: cannot read ({err.strerror or err})") from None
    if digest != expected:
        raise CheckpointError(f"{file}: checksum mismatch (the file was changed or truncated after saving)")
    return file


def load_checkpoint(path) -> tuple[dict, list[dict], np.ndarray, dict | None]:
    """Load metadata, member state dicts (torch tensors), packed fingerprints and the tensors
    of ``kernel.safetensors``.

    The last is ``None`` for a model without fingerprint members.

    Raises
    ------
    CheckpointError
        Missing folder or files, foreign or corrupt metadata, a newer format, a checksum
        mismatch, or unreadable weights.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    manifest = read_manifest(path)
    states = []
    for i in range(manifest["n_members"]):
        file = _checked_file(path, f"member_{i}.safetensors", manifest)
        try:
            states.append(load_file(str(file)))
        except (SafetensorError, OSError, ValueError, MemoryError) as err:
            raise CheckpointError(f"{file}: unreadable weights ({err})") from None
    try:
        check_weights(manifest, states)
    except ManifestError as err:
        raise CheckpointError(f"{path / MANIFEST}: {err}") from None
    fp_file = _checked_file(path, FINGERPRINTS, manifest)
    try:
        fingerprints = np.load(fp_file, allow_pickle=False)
    except (ValueError, OSError, MemoryError, EOFError) as err:
        raise CheckpointError(f"{fp_file}: unreadable fingerprints ({type(err).__name__}: {err})") from None
    if not isinstance(fingerprints, np.ndarray) or fingerprints.dtype != np.uint8 or fingerprints.ndim != 2:
        raise CheckpointError(f"{fp_file}: unreadable fingerprints (expected a 2-D uint8 .npy array)")
    n_bits = manifest["featurizer"].get("domain_fingerprint", {}).get("n_bits", 2048)
    if fingerprints.shape[1] * 8 != n_bits:
        raise CheckpointError(f"{fp_file}: {fingerprints.shape[1] * 8} bits per molecule; featurizer.domain_fingerprint.n_bits is {n_bits}")
    kernel = (
        _load_kernel_tensors(path, manifest) if (KERNEL in manifest["files"] or manifest.get("kernel") or manifest.get("forest")) else None
    )
    if kernel is not None and "loo" in kernel and manifest.get("uncertainty") is None:  # (the reverse: load_model)
        raise CheckpointError(f"{path / MANIFEST}: uncertainty: null, but {KERNEL} holds the residuals of an uncertainty model")
    return manifest, states, fingerprints, kernel


def _load_kernel_tensors(path, manifest: dict) -> dict:
    """The tensors of ``kernel.safetensors`` (checksum-checked), by name.

    Raises
    ------
    CheckpointError
        If the file is missing, changed after saving or unreadable.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    file = _checked_file(Path(path), KERNEL, manifest)
    try:
        return load_file(str(file))
    except (SafetensorError, OSError, ValueError, MemoryError) as err:
        raise CheckpointError(f"{file}: unreadable kernel member ({err})") from None
