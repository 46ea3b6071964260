"""Loading a model directory never runs code from it, and altered weights are reported, not loaded.

A pickle payload whose ``__reduce__`` would create a marker file is planted in every file
the loader opens (found with an audit hook on a clean load, plus the weights, which
safetensors reads outside Python's ``open``), with and without a matching checksum in the
metadata. Each load must fail with one :class:`CheckpointError` and the marker must stay
absent.
"""

import hashlib
import io
import json
import os
import pickle
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import molgen
from molgen.efficacy import CheckpointError, load_model
from molgen.efficacy.checkpoint import MANIFEST, load_checkpoint
from molgen.efficacy.manifest import CHECKSUM, content_sha256

_OPENED: list | None = None


def _audit(event, args):
    if _OPENED is not None and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


class Payload:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _opened_files(model_dir: Path) -> set[str]:
    global _OPENED
    _OPENED = []
    try:
        load_model(model_dir)
    finally:
        opened, _OPENED = _OPENED, None
    root = str(model_dir.resolve())
    return {Path(p).name for p in opened if str(Path(p).resolve()).startswith(root)}


def _payloads(marker: Path) -> dict[str, bytes]:
    """Ways to smuggle the payload: a raw pickle, a torch.save zip, an object-dtype .npy."""
    raw = pickle.dumps(Payload(marker))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:  # torch.save's layout: archive/data.pkl
        archive.writestr("archive/data.pkl", raw)
    npy = io.BytesIO()
    np.save(npy, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    return {"pickle": raw, "torch_zip": buf.getvalue(), "object_npy": npy.getvalue()}


@pytest.fixture(scope="module")
def loader_files(tiny_model_dir):
    files = _opened_files(tiny_model_dir) | {"member_0.safetensors"}
    assert {MANIFEST, "domain_fingerprints.npy", "member_0.safetensors"} <= files
    return sorted(files)


def test_loader_opens_only_known_files(tiny_model_dir):
    known = {MANIFEST, "domain_fingerprints.npy", "member_0.safetensors", "kernel.safetensors"}
    assert _opened_files(tiny_model_dir) <= known


@pytest.mark.parametrize("fix_checksum", [False, True], ids=["checksum_kept", "checksum_updated"])
@pytest.mark.parametrize("payload", ["pickle", "torch_zip", "object_npy"])
def test_planted_payload_never_runs(payload, fix_checksum, loader_files, tiny_model_dir, tmp_path):
    marker = tmp_path / "PWNED"
    data = _payloads(marker)[payload]
    for name in loader_files:
        model = tmp_path / f"model_{name}"
        shutil.copytree(tiny_model_dir, model)
        (model / name).write_bytes(data)
        if fix_checksum and name != MANIFEST:
            manifest = json.loads((model / MANIFEST).read_text())
            manifest["files"][name] = hashlib.sha256(data).hexdigest()
            manifest[CHECKSUM] = content_sha256(manifest)  # the manifest's own checksum too: only the payload is wrong
            (model / MANIFEST).write_text(json.dumps(manifest))
        for load in (load_model, molgen.load_model, load_checkpoint):
            with pytest.raises(CheckpointError) as info:
                load(model)
            message = str(info.value)
            assert str(model) in message and "\n" not in message
            if name == MANIFEST:
                assert "corrupt model metadata, not JSON" in message
            elif not fix_checksum:
                assert f"{name}: checksum mismatch" in message
            else:
                assert f"{name}: unreadable" in message
        assert not marker.exists(), f"code ran while loading a planted {name}"


def test_torch_pickle_files_next_to_a_model_are_ignored(tiny_model_dir, tmp_path):
    marker = tmp_path / "PWNED"
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    torch.save({"state": Payload(marker)}, model / "best.pt")
    (model / "model.pkl").write_bytes(pickle.dumps(Payload(marker)))
    loaded = load_model(model)
    assert loaded.predict(["CCO"])["state"].tolist() == ["valid"]
    assert not marker.exists()


def test_weights_checksum_mismatch_is_reported_not_loaded(tiny_model_dir, tmp_path, monkeypatch):
    import safetensors.torch

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    weights = model / "member_0.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit in the tensor data: still a valid safetensors file
    weights.write_bytes(bytes(data))
    calls = []
    monkeypatch.setattr(safetensors.torch, "load_file", lambda *a, **k: calls.append(a))
    with pytest.raises(CheckpointError, match="member_0.safetensors: checksum mismatch"):
        load_model(model)
    assert calls == []


@pytest.mark.parametrize("kind", ["folder", "device"])
def test_member_that_is_not_a_regular_file(kind, tiny_model_dir, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    weights = model / "member_0.safetensors"
    weights.unlink()
    if kind == "folder":
        weights.mkdir()
    else:
        weights.symlink_to("/dev/zero")  # reading it would never end
    with pytest.raises(CheckpointError, match="member_0.safetensors: not a regular file"):
        load_model(model)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m.update(n_members=10**9), "n_members: expected an int in 1..1000, got 1000000000"),
        (lambda m: m.update(n_members=2), "files: missing member_1.safetensors (n_members is 2)"),
        (lambda m: m.update(format="chemprop"), "not a molgen model"),
        (lambda m: m.update(model_config="dmpnn"), "model_config: expected an object, got 'dmpnn'"),
        (lambda m: m["files"].pop("domain_fingerprints.npy"), "files: missing domain_fingerprints.npy"),
        (lambda m: m["model_config"].update(depth=10**9), "model_config.depth: expected an int in 1..20, got 1000000000"),
        (lambda m: m["model_config"].update(depth=10000), "model_config.depth: expected an int in 1..20, got 10000"),
        (lambda m: m["model_config"].update(hidden=17), "model_config.hidden: 17 does not match the weights in member_0.safetensors"),
        (lambda m: m["calibrator"].update(quantile=[float("nan")]), "calibrator.quantile[0]: expected a finite number"),
        (lambda m: m["featurizer"].update(max_heavy_atoms=-1), "featurizer.max_heavy_atoms: expected an int in 1..100000, got -1"),
        (lambda m: m["model_config"].pop("depth"), "model_config.depth: missing"),
        (lambda m: m["scaler"].update(std=[0.0]), "scaler.std[0]: expected a finite number in (0, 1e+15]"),
        (lambda m: m.update(surprise=1), "surprise: unknown key"),
    ],
)
@pytest.mark.parametrize("reseal", [False, True], ids=["checksum_kept", "checksum_recomputed"])
def test_edited_metadata(edit, message, reseal, tiny_model_dir, tmp_path):
    """An edited manifest is refused for its checksum; with the checksum recomputed (an older molgen's or a
    careful editor's), for the field the schema refuses. Issue 25's four cases are among them."""
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    manifest = json.loads((model / MANIFEST).read_text())
    edit(manifest)
    if reseal:
        manifest[CHECKSUM] = content_sha256(manifest)
    (model / MANIFEST).write_text(json.dumps(manifest))
    expected = message if reseal or message == "not a molgen model" else "molgen_model.json: checksum mismatch"
    with pytest.raises(CheckpointError) as info:
        load_model(model)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_manifest_without_its_checksum(tiny_model_dir, tmp_path):
    """Format 6 records the manifest's checksum: without it the model is refused; a format-5 manifest
    (written by an older molgen, which had none) loads and predicts identically."""
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    manifest = json.loads((model / MANIFEST).read_text())
    assert manifest["format_version"] == 6 and len(manifest.pop(CHECKSUM)) == 64
    (model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="manifest_sha256: missing"):
        load_model(model)
    (model / MANIFEST).write_text(json.dumps({**manifest, "format_version": 5}, indent=2))
    smiles = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]
    pd.testing.assert_frame_equal(load_model(model).predict(smiles), load_model(tiny_model_dir).predict(smiles))


def test_deeply_nested_metadata(tiny_model_dir, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    (model / MANIFEST).write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(CheckpointError, match="corrupt model metadata, not JSON"):
        load_model(model)
