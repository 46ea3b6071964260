"""The schema of ``molgen_model.json``: every field typed and bounded, a checksum of its own content,
and the architecture checked against the weights.

:func:`check_manifest` refuses anything a molgen writer would not have written: a wrong type, a
non-finite number, a size outside the range a real model uses (encoder depth 1..20, widths
1..4096, ...), an unknown name, a missing or an unknown key, parts that contradict each other.
:func:`check_weights` builds the model the manifest describes on PyTorch's ``meta`` device (no
memory, no compute) and compares its tensor names and shapes with the saved members'. Each
problem is a :class:`ManifestError` whose message starts with the field, such as
``model_config.depth: expected an int in 1..20, got 1000000000``.

From format 6 the manifest carries ``manifest_sha256``, the sha256 of its canonical content
(:func:`content_sha256`): an edited or damaged manifest is refused as a changed weight file is.
Formats 1-5 have no checksum; format 5 manifests must still hold every key its writer wrote,
formats 1-4 may lack the parts added later (their defaults apply, as before).
"""

import math
import re
import reprlib
import time

from molgen.utils.files import content_sha256 as _content_sha256

__all__ = ["CHECKSUM", "ManifestError", "check_manifest", "check_weights", "content_sha256"]

#: The manifest's key holding the sha256 of the rest of it (format 6 on).
CHECKSUM = "manifest_sha256"
#: The first format whose manifests carry :data:`CHECKSUM`, and whose every key is required.
CHECKSUM_FORMAT = 6
#: Every key of a format-5 manifest is required too (its writer wrote them all).
COMPLETE_FORMAT = 5

#: Bounds of the sizes a real model uses.
MAX_WIDTH = 4096
MAX_DEPTH = 20
MAX_LAYERS = 20
MAX_TASKS = 1000
MAX_CLASSES = 1000
MAX_MEMBERS = 1000
MAX_DESCRIPTORS = 100_000
MAX_HEAVY_ATOMS = 100_000
MAX_TAUTOMERS = 100_000
MAX_NEIGHBOURS = 10_000
#: Bound of the magnitude of a stored real number (target means and scales, kernel weights, ...).
MAX_MAGNITUDE = 1e15
DOMAIN_FINGERPRINT = {"kind": "morgan", "radius": 2, "n_bits": 2048}
CALIBRATOR_FORMAT = "molgen.ConformalCalibrator/1"
KERNEL_FINGERPRINTS = ("domain", "domain+atompair")
UNCERTAINTY_KIND = "gp_variance+local_error"
FINGERPRINTS = "domain_fingerprints.npy"
KERNEL = "kernel.safetensors"

TOP_KEYS = (
    "format",
    "format_version",
    "molgen_version",
    "n_members",
    "files",
    "model_config",
    "target_names",
    "scaler",
    "calibrator",
    "featurizer",
    "kernel",
    "forest",
    "uncertainty",
    "domain",
    "metrics",
    "info",
)
#: Needed by every format (older ones may lack the rest).
TOP_REQUIRED = ("format", "format_version", "n_members", "files", "model_config", "target_names", "scaler", "featurizer")
CONFIG_KEYS = (
    "atom_dim",
    "bond_dim",
    "encoder",
    "hidden",
    "depth",
    "dropout",
    "readout",
    "readout_norm",
    "descriptor_dim",
    "batch_norm",
    "ffn_layers",
    "ffn_hidden",
    "ffn_activation",
    "task",
    "n_tasks",
    "n_classes",
    "mean_variance",
)
FEATURIZER_KEYS = ("atom_fdim", "bond_fdim", "standardizer", "max_heavy_atoms", "domain_fingerprint", "descriptors")
STANDARDIZER_KEYS = ("cleanup", "largest_fragment", "neutralize", "canonical_tautomer", "max_tautomers")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_MEMBER = re.compile(r"member_(\d+)\.safetensors")
_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlist, _repr.maxdict = 40, 40, 4, 4


class ManifestError(ValueError):
    """A field of ``molgen_model.json`` that no molgen writer would write; the message starts with the field."""


def content_sha256(data: dict, *, skip: str = CHECKSUM) -> str:
    """The manifest's own checksum (:func:`molgen.utils.files.content_sha256` without ``skip``)."""
    return _content_sha256(data, skip=skip)


def _fail(field: str, expected: str, value) -> ManifestError:
    return ManifestError(f"{field}: expected {expected}, got {_repr.repr(value)}")


def _int(value, field: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _fail(field, f"an int in {lo}..{hi}", value)
    return value


def _number(value, field: str, lo: float = -MAX_MAGNITUDE, hi: float = MAX_MAGNITUDE, *, open_lo: bool = False, open_hi: bool = False):
    ok = not isinstance(value, bool) and isinstance(value, (int, float))
    if ok and isinstance(value, int):
        ok = abs(value) <= MAX_MAGNITUDE  # float() of a huge int overflows
    if ok:
        x = float(value)
        ok = math.isfinite(x) and (x > lo if open_lo else x >= lo) and (x < hi if open_hi else x <= hi)
    if not ok:
        interval = f"{'(' if open_lo else '['}{lo:g}, {hi:g}{')' if open_hi else ']'}"
        raise _fail(field, f"a finite number in {interval}", value)
    return float(value)


def _bool(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(field, "true or false", value)
    return value


def _str(value, field: str, choices=None, *, max_len: int = 200) -> str:
    if choices is not None:
        if not isinstance(value, str) or value not in choices:
            raise _fail(field, "one of " + ", ".join(map(repr, choices)), value)
    elif not isinstance(value, str) or not 0 < len(value) <= max_len:
        raise _fail(field, f"a string of 1..{max_len} characters", value)
    return value


def _numbers(value, field: str, n: int, **bounds) -> list:
    if not isinstance(value, list) or len(value) != n:
        raise _fail(field, f"a list of {n} numbers (one per target)", value)
    return [_number(v, f"{field}[{i}]", **bounds) for i, v in enumerate(value)]


def _dict(value, field: str, keys: tuple, required: tuple) -> dict:
    if not isinstance(value, dict):
        raise _fail(field, "an object", value)
    unknown = sorted(map(str, set(value) - set(keys)))
    if unknown:
        raise ManifestError(f"{_join(field, unknown[0])}: unknown key; valid keys: {', '.join(keys)}")
    missing = [k for k in required if k not in value]
    if missing:
        raise ManifestError(f"{_join(field, missing[0])}: missing")
    return value


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def check_manifest(manifest: dict, *, format_version: int) -> None:
    """Check every field of a parsed ``molgen_model.json`` (its format tag and version already read).

    Parameters
    ----------
    manifest : dict
    format_version : int
        The manifest's format; formats before 5 may lack the keys added later.

    Raises
    ------
    ManifestError
        The first field of the wrong type, out of range, unknown, missing or inconsistent
        with another; the message starts with the field's path.
    """
    complete = format_version >= COMPLETE_FORMAT
    keys = (*TOP_KEYS, CHECKSUM)
    _dict(manifest, "", keys, TOP_REQUIRED if not complete else keys if format_version >= CHECKSUM_FORMAT else TOP_KEYS)
    if "molgen_version" in manifest:
        _str(manifest["molgen_version"], "molgen_version", max_len=64)
    n_members = _int(manifest["n_members"], "n_members", 1, MAX_MEMBERS)
    config = _check_config(manifest["model_config"], complete)
    n_tasks, task = config.get("n_tasks", 1), config.get("task", "regression")
    names = manifest["target_names"]
    if not isinstance(names, list) or len(names) != n_tasks:
        raise _fail("target_names", f"a list of {n_tasks} names (model_config.n_tasks)", names)
    for i, name in enumerate(names):
        _str(name, f"target_names[{i}]")
    if len(set(names)) != len(names):
        raise _fail("target_names", "distinct names", names)
    _check_scaler(manifest["scaler"], task, n_tasks)
    if manifest.get("calibrator") is not None:
        _check_calibrator(manifest["calibrator"], n_tasks, complete)
    featurizer = _check_featurizer(manifest["featurizer"], complete)
    for key, fkey in (("atom_dim", "atom_fdim"), ("bond_dim", "bond_fdim")):
        if config[key] != featurizer[fkey]:
            raise ManifestError(f"model_config.{key}: {config[key]} differs from featurizer.{fkey} {featurizer[fkey]}")
    descriptors = featurizer.get("descriptors")
    n_desc = 0 if descriptors is None else len(descriptors["names"])
    if config.get("descriptor_dim", 0) != n_desc:
        raise ManifestError(f"model_config.descriptor_dim: {config.get('descriptor_dim', 0)} for {n_desc} featurizer.descriptors names")
    kernel, forest = manifest.get("kernel"), manifest.get("forest")
    share = [0.0] * n_tasks
    if kernel is not None:
        _dict(kernel, "kernel", ("kind", "fingerprint", "lam", "mean", "weight"), ("kind", "fingerprint", "lam", "mean", "weight"))
        _str(kernel["kind"], "kernel.kind", ("tanimoto",))
        _str(kernel["fingerprint"], "kernel.fingerprint", KERNEL_FINGERPRINTS)
        _numbers(kernel["lam"], "kernel.lam", n_tasks, lo=0.0, open_lo=True)
        _numbers(kernel["mean"], "kernel.mean", n_tasks)
        share = [s + w for s, w in zip(share, _numbers(kernel["weight"], "kernel.weight", n_tasks, lo=0.0, hi=1.0))]
    if forest is not None:
        _dict(forest, "forest", ("kind", "fingerprint", "weight"), ("kind", "fingerprint", "weight"))
        _str(forest["kind"], "forest.kind", ("random_forest",))
        _str(forest["fingerprint"], "forest.fingerprint", ("domain",))
        share = [s + w for s, w in zip(share, _numbers(forest["weight"], "forest.weight", n_tasks, lo=0.0, hi=1.0))]
    if any(s > 1.0 + 1e-9 for s in share):
        raise ManifestError(f"kernel.weight: the kernel and forest shares add up to more than 1 ({share})")
    if (kernel is not None or forest is not None) and task != "regression":
        raise ManifestError(f"kernel: fingerprint members are fitted for regression only, not model_config.task {task!r}")
    uncertainty = manifest.get("uncertainty")
    if uncertainty is not None:
        keys = ("kind", "a", "b", "neighbours")
        _dict(uncertainty, "uncertainty", keys, keys)
        _str(uncertainty["kind"], "uncertainty.kind", (UNCERTAINTY_KIND,))
        _numbers(uncertainty["a"], "uncertainty.a", n_tasks, lo=0.0)
        _numbers(uncertainty["b"], "uncertainty.b", n_tasks, lo=0.0)
        _int(uncertainty["neighbours"], "uncertainty.neighbours", 1, MAX_NEIGHBOURS)
        if kernel is None:
            raise ManifestError("uncertainty: an uncertainty model needs the kernel member (kernel is null)")
    domain = manifest.get("domain")
    if domain is not None or (complete and "domain" in manifest):
        _check_domain(domain)
    if "metrics" in manifest and not isinstance(manifest["metrics"], dict):
        raise _fail("metrics", "an object", manifest["metrics"])
    if "info" in manifest and not isinstance(manifest["info"], dict):
        raise _fail("info", "an object", manifest["info"])
    _check_files(manifest["files"], n_members, with_kernel=kernel is not None or forest is not None)
    if CHECKSUM in manifest and not (isinstance(manifest[CHECKSUM], str) and _HEX64.fullmatch(manifest[CHECKSUM])):
        raise _fail(CHECKSUM, "a sha256 (64 hex digits)", manifest[CHECKSUM])


def _check_config(config, complete: bool) -> dict:
    from molgen.models import ACTIVATIONS, ENCODERS, READOUTS, TASKS, ModelConfig

    f = "model_config"
    _dict(config, f, CONFIG_KEYS, CONFIG_KEYS if complete else ("atom_dim", "bond_dim"))
    ints = {
        "atom_dim": (1, MAX_WIDTH),
        "bond_dim": (1, MAX_WIDTH),
        "hidden": (1, MAX_WIDTH),
        "depth": (1, MAX_DEPTH),
        "descriptor_dim": (0, MAX_DESCRIPTORS),
        "ffn_layers": (0, MAX_LAYERS),
        "ffn_hidden": (1, MAX_WIDTH),
        "n_tasks": (1, MAX_TASKS),
    }
    for key, (lo, hi) in ints.items():
        if key in config:
            _int(config[key], f"{f}.{key}", lo, hi)
    for key, registry in (("encoder", ENCODERS), ("ffn_activation", ACTIVATIONS), ("task", TASKS)):
        if key in config:
            _str(config[key], f"{f}.{key}", tuple(registry.names()))
    if config.get("readout") is not None:
        _str(config["readout"], f"{f}.readout", tuple(READOUTS.names()))
    if "dropout" in config:
        _number(config["dropout"], f"{f}.dropout", 0.0, 1.0, open_hi=True)
    if "readout_norm" in config:
        _number(config["readout_norm"], f"{f}.readout_norm", 0.0, 1e6, open_lo=True)
    for key in ("batch_norm", "mean_variance"):
        if key in config:
            _bool(config[key], f"{f}.{key}")
    if config.get("n_classes") is not None:
        _int(config["n_classes"], f"{f}.n_classes", 2, MAX_CLASSES)
    try:  # the combinations: readout with the encoder, n_classes with the task, ...
        ModelConfig.from_dict(config)
    except (TypeError, ValueError) as err:
        raise ManifestError(f"{f}: {err}") from None
    return config


def _check_scaler(scaler, task: str, n_tasks: int) -> None:
    if task != "regression":
        if scaler != {}:
            raise _fail("scaler", f"{{}} (no scaling) for model_config.task {task!r}", scaler)
        return
    _dict(scaler, "scaler", ("mean", "std"), ("mean", "std"))
    _numbers(scaler["mean"], "scaler.mean", n_tasks)
    _numbers(scaler["std"], "scaler.std", n_tasks, lo=0.0, open_lo=True)


def _check_calibrator(calibrator, n_tasks: int, complete: bool) -> None:
    keys = ("format", "coverage", "normalized", "quantile", "n_calibration")
    _dict(calibrator, "calibrator", keys, keys)
    _str(calibrator["format"], "calibrator.format", (CALIBRATOR_FORMAT,))
    _number(calibrator["coverage"], "calibrator.coverage", 0.0, 1.0, open_lo=True, open_hi=True)
    _bool(calibrator["normalized"], "calibrator.normalized")
    # a model calibrates one quantile per target; formats before 5 may hold a bare number for one target
    scalar = not complete and n_tasks == 1
    q, n = calibrator["quantile"], calibrator["n_calibration"]
    if scalar and not isinstance(q, list):
        _number(q, "calibrator.quantile", lo=0.0)
    else:
        _numbers(q, "calibrator.quantile", n_tasks, lo=0.0)
    if scalar and not isinstance(n, list):
        n = [n]
    elif not isinstance(n, list) or len(n) != n_tasks:
        raise _fail("calibrator.n_calibration", f"a list of {n_tasks} counts (one per target)", n)
    for i, c in enumerate(n):
        _int(c, f"calibrator.n_calibration[{i}]", 1, 10**12)


def _check_featurizer(featurizer, complete: bool) -> dict:
    f = "featurizer"
    _dict(featurizer, f, FEATURIZER_KEYS, FEATURIZER_KEYS if complete else ("atom_fdim", "bond_fdim"))
    _int(featurizer["atom_fdim"], f"{f}.atom_fdim", 1, MAX_WIDTH)
    _int(featurizer["bond_fdim"], f"{f}.bond_fdim", 1, MAX_WIDTH)
    std = featurizer.get("standardizer")
    if std is not None:
        _dict(std, f"{f}.standardizer", STANDARDIZER_KEYS, STANDARDIZER_KEYS if complete else ())
        for key in STANDARDIZER_KEYS[:-1]:
            if key in std:
                _bool(std[key], f"{f}.standardizer.{key}")
        if "max_tautomers" in std:
            _int(std["max_tautomers"], f"{f}.standardizer.max_tautomers", 1, MAX_TAUTOMERS)
    if featurizer.get("max_heavy_atoms") is not None:
        _int(featurizer["max_heavy_atoms"], f"{f}.max_heavy_atoms", 1, MAX_HEAVY_ATOMS)
    if "domain_fingerprint" in featurizer and featurizer["domain_fingerprint"] != DOMAIN_FINGERPRINT:
        raise _fail(f"{f}.domain_fingerprint", f"{DOMAIN_FINGERPRINT} (the only one this molgen makes)", featurizer["domain_fingerprint"])
    descriptors = featurizer.get("descriptors")
    if descriptors is not None:
        _check_descriptors(descriptors, f"{f}.descriptors")
    return featurizer


def _check_descriptors(d, f: str) -> None:
    from molgen.featurize.descriptors import DESCRIPTOR_KINDS

    keys = ("kind", "names", "log_columns", "mean", "std")
    _dict(d, f, keys, keys)
    _str(d["kind"], f"{f}.kind", DESCRIPTOR_KINDS)
    names = d["names"]
    if not isinstance(names, list) or not 1 <= len(names) <= MAX_DESCRIPTORS:
        raise _fail(f"{f}.names", f"a list of 1..{MAX_DESCRIPTORS} names", names)
    for i, name in enumerate(names):
        _str(name, f"{f}.names[{i}]")
    n = len(names)
    _numbers(d["mean"], f"{f}.mean", n)
    _numbers(d["std"], f"{f}.std", n, lo=0.0, open_lo=True)
    columns = d["log_columns"]
    if not isinstance(columns, list) or len(columns) > n:
        raise _fail(f"{f}.log_columns", f"a list of at most {n} column indices", columns)
    for i, c in enumerate(columns):
        _int(c, f"{f}.log_columns[{i}]", 0, n - 1)


def _check_domain(domain) -> None:
    keys = ("elements", "similarity_threshold", "quantile")
    _dict(domain, "domain", keys, keys)
    elements = domain["elements"]
    if not isinstance(elements, list) or len(elements) > 200:
        raise _fail("domain.elements", "a list of at most 200 element symbols", elements)
    for i, symbol in enumerate(elements):
        _str(symbol, f"domain.elements[{i}]", max_len=3)
    if domain["similarity_threshold"] is not None:
        _number(domain["similarity_threshold"], "domain.similarity_threshold", 0.0, 1.0)
    _number(domain["quantile"], "domain.quantile", 0.0, 1.0)


def _check_files(files, n_members: int, *, with_kernel: bool) -> None:
    if not isinstance(files, dict):
        raise _fail("files", "an object of file name -> sha256", files)
    expected = [f"member_{i}.safetensors" for i in range(n_members)] + [FINGERPRINTS] + ([KERNEL] if with_kernel else [])
    for name in expected:
        if name not in files:
            raise ManifestError(
                f"files: missing {name} (n_members is {n_members})" if _MEMBER.fullmatch(name) else f"files: missing {name}"
            )
    for name, digest in files.items():
        if name not in expected:
            why = f"n_members is {n_members}" if _MEMBER.fullmatch(str(name)) else "not a file of this model"
            raise ManifestError(f"files.{name}: unexpected ({why})")
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise _fail(f"files.{name}", "a sha256 (64 hex digits)", digest)


def check_weights(manifest: dict, states: list[dict]) -> None:
    """Compare each member's tensor names and shapes with the model ``model_config`` describes.

    The model is built on PyTorch's ``meta`` device: no memory is allocated and no weight
    computed, whatever the (bounded) sizes.

    Raises
    ------
    ManifestError
        A member whose tensors do not fit ``model_config``; the message names the field
        when changing that one field would make them fit, else the first differing tensor.
    """
    expected = _shapes(manifest["model_config"])
    for i, state in enumerate(states):
        got = {name: tuple(t.shape) for name, t in state.items()}
        if got == expected:
            continue
        where = f"member_{i}.safetensors"
        field = _culprit(manifest["model_config"], got)
        if field is not None:
            raise ManifestError(f"model_config.{field}: {manifest['model_config'][field]!r} does not match the weights in {where}")
        missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
        if missing or extra:
            detail = f"{'missing ' + missing[0] if missing else 'unexpected ' + extra[0]}"
        else:
            name = next(k for k in expected if expected[k] != got[k])
            detail = f"{name} is {'x'.join(map(str, got[name]))}, model_config makes {'x'.join(map(str, expected[name]))}"
        raise ManifestError(f"model_config: does not match the weights in {where} ({detail})")


def _shapes(config: dict) -> dict:
    import torch

    from molgen.models import ModelConfig, build_model

    with torch.device("meta"):
        model = build_model(ModelConfig.from_dict(config))
    return {name: tuple(t.shape) for name, t in model.state_dict().items()}


def _culprit(config: dict, got: dict) -> str | None:
    """The one integer field of ``config`` whose change makes the model's shapes ``got``, if any."""
    sizes = sorted({d for shape in got.values() for d in shape if 0 < d <= MAX_WIDTH})
    candidates = {
        "hidden": sizes,
        "ffn_hidden": sizes,
        "atom_dim": sizes,
        "bond_dim": sizes,
        "n_tasks": [d for d in sizes if d <= MAX_TASKS],
        "descriptor_dim": [d for d in sizes if d <= MAX_DESCRIPTORS],
        "depth": range(1, MAX_DEPTH + 1),
        "ffn_layers": range(0, MAX_LAYERS + 1),
    }
    deadline = time.monotonic() + 2.0  # a better message is not worth more
    for field, values in candidates.items():
        for value in values:
            if time.monotonic() > deadline:
                return None
            if value == config.get(field):
                continue
            try:
                if _shapes({**config, field: value}) == got:
                    return field
            except (TypeError, ValueError):
                continue
    return None
