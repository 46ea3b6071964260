import json

import numpy as np
import pandas as pd
import pytest
import torch

import molgen
from molgen.data import load_dataset
from molgen.efficacy import CheckpointError, fit_efficacy_model, load_model
from molgen.train import TrainConfig

QUICK = TrainConfig(epochs=3, warmup_epochs=1)
SMALL = {"hidden": 32, "ffn_hidden": 32}


@pytest.fixture(scope="module")
def chembl():
    return load_dataset("chembl2321810").frame.head(150)


@pytest.fixture(scope="module")
def regression_model(chembl, tmp_path_factory):
    model = fit_efficacy_model(chembl["smiles"], chembl["pIC50"], ensemble_size=2, train_config=QUICK, model_options=SMALL)
    path = model.save(tmp_path_factory.mktemp("models") / "pic50")
    return model, path


def test_fit_reports_metrics_and_counts(regression_model):
    model, _ = regression_model
    counts = model.metrics["counts"]
    assert counts["train"] + counts["valid"] + counts["calibration"] + counts["test"] == 150
    test = model.metrics["test"]["target"] if "target" in model.metrics["test"] else model.metrics["test"]["pIC50"]
    assert {"rmse", "mae", "r2", "spearman", "coverage", "miscalibration_area"} <= set(test)
    assert model.calibrator is not None and model.calibrator.normalized_


def test_save_load_predict_identical(regression_model, chembl):
    model, path = regression_model
    smiles = chembl["smiles"].tolist()[:20]
    before = model.predict(smiles)
    after = molgen.load_model(path).predict(smiles)
    pd.testing.assert_frame_equal(before, after)
    assert (before["lower"] <= before["prediction"]).all() and (before["prediction"] <= before["upper"]).all()
    assert before["ad_similarity"].between(0, 1).all()


def test_predict_aligns_invalid_rows(regression_model, zoo):
    model, _ = regression_model
    names = list(zoo)
    frame = pd.DataFrame({"smi": [s for s, _ in zoo.values()]}, index=[f"r{i}" for i in range(len(zoo))])
    out = model.predict(frame, smiles_col="smi")
    assert list(out.index) == list(frame.index)
    for i, name in enumerate(names):
        expected = zoo[name][1]
        assert out["state"].iloc[i] == expected, name
        assert np.isnan(out["prediction"].iloc[i]) == (expected != "valid"), name
        if expected == "valid":  # a valid molecule's error is empty, or says why it is out of domain
            assert out["error"].iloc[i] == "" or out["error"].iloc[i].startswith("out of domain: "), name
            assert (out["error"].iloc[i] == "") == bool(out["in_domain"].iloc[i]), name
        else:
            assert out["error"].iloc[i] != "" and pd.isna(out["in_domain"].iloc[i]), name


def test_training_set_molecule_has_similarity_one(regression_model, chembl):
    model, _ = regression_model
    out = model.predict(chembl["smiles"].tolist()[:50])
    assert out["ad_similarity"].max() == pytest.approx(1.0)
    assert model.predict(["CCO"])["ad_similarity"][0] < 0.3


def test_multitarget_masking_and_column_names(chembl):
    y = pd.DataFrame({"a": chembl["pIC50"], "b": -chembl["pIC50"]})
    y.loc[y.index[::3], "b"] = np.nan  # a third of b missing
    model = fit_efficacy_model(chembl["smiles"], y, ensemble_size=1, train_config=QUICK, model_options=SMALL)
    out = model.predict(["CCO", "xx"])
    for col in ("prediction_a", "prediction_b", "uncertainty_a", "lower_b", "upper_b"):
        assert col in out.columns
    assert np.isfinite(out.loc[0, ["prediction_a", "prediction_b"]].to_numpy(float)).all()
    assert model.metrics["test"]["b"]["n"] < model.metrics["test"]["a"]["n"]


def test_binary_classification(chembl):
    labels = (chembl["pIC50"] > chembl["pIC50"].median()).astype(float).rename("active")
    model = fit_efficacy_model(chembl["smiles"], labels, task="binary", ensemble_size=1, train_config=QUICK, model_options=SMALL)
    out = model.predict(chembl["smiles"].tolist()[:10])
    assert out["prediction"].between(0, 1).all()
    assert "lower" not in out.columns
    assert model.kernel is None and model.forest is None and not model.info["blend"]["used"]  # regression only
    assert {"roc_auc", "pr_auc", "balanced_accuracy"} <= set(model.metrics["test"]["active"])


def test_bad_inputs_to_fit(chembl):
    with pytest.raises(ValueError, match="unknown task"):
        fit_efficacy_model(chembl["smiles"], chembl["pIC50"], task="ranking")
    with pytest.raises(ValueError, match="target rows"):
        fit_efficacy_model(chembl["smiles"], chembl["pIC50"][:10])
    with pytest.raises(ValueError, match="at least 10"):
        fit_efficacy_model(["CCO", "xx"], [1.0, 2.0])


def _copy(path, tmp_path):
    import shutil

    dest = tmp_path / "copy"
    shutil.copytree(path, dest)
    return dest


def _fix_checksum(folder, name):
    """Record ``name``'s new sha256 in the manifest, and the manifest's own (as a writer would)."""
    import hashlib

    from molgen.efficacy.manifest import CHECKSUM, content_sha256

    manifest = json.loads((folder / "molgen_model.json").read_text())
    manifest["files"][name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    manifest[CHECKSUM] = content_sha256(manifest)
    (folder / "molgen_model.json").write_text(json.dumps(manifest))


def _write_sealed(folder, manifest):
    """Write an edited manifest with its checksum recomputed, as an older molgen or a careful editor would."""
    from molgen.efficacy.manifest import CHECKSUM, content_sha256

    (folder / "molgen_model.json").write_text(json.dumps({**manifest, CHECKSUM: content_sha256(manifest)}))


def test_tampered_weights_are_refused(regression_model, tmp_path):
    _, path = regression_model
    copy = _copy(path, tmp_path)
    weights = copy / "member_0.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum"):
        load_model(copy)


def test_truncated_and_foreign_and_future_checkpoints(regression_model, tmp_path):
    _, path = regression_model
    copy = _copy(path, tmp_path)
    manifest = json.loads((copy / "molgen_model.json").read_text())
    (copy / "molgen_model.json").write_text(json.dumps({**manifest, "format_version": 99, "molgen_version": "9.0.0"}))
    with pytest.raises(CheckpointError, match="newer|upgrade"):
        load_model(copy)
    (copy / "molgen_model.json").write_text('{"format": "molgen-model", ')
    with pytest.raises(CheckpointError, match="corrupt"):
        load_model(copy)
    foreign = tmp_path / "chemprop_model"
    foreign.mkdir()
    (foreign / "best.pt").write_bytes(b"\x80\x04not really")
    with pytest.raises(CheckpointError, match="not a molgen model"):
        load_model(foreign)
    with pytest.raises(CheckpointError, match="no such folder"):
        load_model(tmp_path / "missing")


def test_save_refuses_foreign_folder(regression_model, tmp_path):
    model, _ = regression_model
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="not a molgen model"):
        model.save(tmp_path)


def test_valid_split_keeps_the_test_part_and_changes_the_rest():
    from molgen.data.splits import scaffold_groups
    from molgen.efficacy.prepare import four_way_split

    smiles = load_dataset("chembl2321810").frame["smiles"].tolist()
    groups = scaffold_groups(smiles)
    default = four_way_split(smiles, "scaffold", (0.7, 0.1, 0.1, 0.1), 0)
    by_scaffold = four_way_split(smiles, "scaffold", (0.7, 0.1, 0.1, 0.1), 0, "scaffold")
    for parts in (default, by_scaffold):
        assert sorted(np.concatenate(parts)) == list(range(len(smiles)))  # every molecule once
        assert not set(groups[parts[3]]) & set(groups[parts[0]])  # the test part holds scaffolds unseen in training
    assert sorted(default[3]) == sorted(by_scaffold[3])
    for k in (1, 2):  # valid and calibration parts: a tenth each, drawn at random by default
        assert 0.09 < len(default[k]) / len(smiles) < 0.11
        assert np.isin(groups[default[k]], groups[default[0]]).mean() > 0.5
        assert not set(groups[by_scaffold[k]]) & set(groups[by_scaffold[0]])


def test_four_way_split_without_valid_or_calibration_part():
    from molgen.efficacy.prepare import four_way_split

    smiles = load_dataset("chembl2321810").frame["smiles"].tolist()[:200]
    train, valid, calib, test = four_way_split(smiles, "random", (0.8, 0.0, 0.0, 0.2), 0)
    assert len(valid) == len(calib) == 0 and len(train) + len(test) == 200


def test_fit_records_valid_split(chembl):
    model = fit_efficacy_model(
        chembl["smiles"], chembl["pIC50"], ensemble_size=1, train_config=QUICK, model_options=SMALL, valid_split="scaffold"
    )
    assert model.info["split_method"] == "scaffold" and model.info["valid_split"] == "scaffold"
    with pytest.raises(ValueError, match="unknown"):
        fit_efficacy_model(chembl["smiles"], chembl["pIC50"], valid_split="by-colour")


def _kernel_similarity(model, std: list) -> np.ndarray:
    """The kernel member's similarity, computed here from its definition: the mean of the Tanimoto
    matrices on Morgan (domain) bits and on atom-pair bits."""
    from molgen.efficacy.domain import atom_pair_fingerprints, domain_fingerprints
    from molgen.models.kernel import tanimoto_matrix

    morgan = tanimoto_matrix(domain_fingerprints(std), model.fingerprints)
    if model.kernel_fingerprints is None:
        return morgan
    return (morgan + tanimoto_matrix(atom_pair_fingerprints(std), model.kernel_fingerprints)) / 2


def test_kernel_member_is_blended_with_the_weight_chosen_on_valid(regression_model, chembl):
    from molgen.efficacy.domain import domain_fingerprints

    model, _ = regression_model
    info = model.info["blend"]
    assert info["used"] and info["members"] == ["ensemble", "kernel"] and model.forest is None  # no forest by default
    w = model.kernel_weight[0]
    assert info["weights"][0] == pytest.approx([1 - w, w]) and 0.0 <= w <= 1.0
    scores = info["valid_rmse"][0]
    assert scores["blend"] <= min(scores["ensemble"], scores["kernel"]) + 1e-12  # the grid holds 0 and 1
    assert model.kernel.alpha.shape == (len(model.fingerprints), 1)
    assert model.kernel_fingerprints.shape == model.fingerprints.shape  # atom pairs by default
    assert info["kernel"]["fingerprints"] == ["morgan", "atompair"]
    smiles = chembl["smiles"].tolist()[:10]
    out = model.predict(smiles)
    std = out["smiles_std"].tolist()
    graphs = molgen.featurize.graphs_from_smiles(std).graphs
    ensemble = model.predict_graphs(graphs)[0][:, 0]
    kernel = model.kernel.predict(_kernel_similarity(model, std))[:, 0]
    np.testing.assert_allclose(out["prediction"], (1 - w) * ensemble + w * kernel, rtol=1e-6)
    fps = domain_fingerprints(std)
    with pytest.raises(ValueError, match="atom pairs: pass the molecules' standardized smiles"):
        model.predict_molecules(graphs, fps)


@pytest.mark.slow  # fits graph, kernel and forest members on 300 molecules
def test_forest_member_is_blended_with_weights_on_the_simplex():
    from molgen.efficacy.domain import domain_fingerprints

    data = load_dataset("chembl2321810").frame.head(300)
    model = fit_efficacy_model(data["smiles"], data["pIC50"], ensemble_size=1, train_config=QUICK, model_options=SMALL, forest=True)
    info = model.info["blend"]
    assert info["members"] == ["ensemble", "kernel", "forest"]
    weights = np.asarray(info["weights"][0])
    assert (weights >= 0).all() and weights.sum() == pytest.approx(1.0)
    scores = info["valid_rmse"][0]
    assert scores["blend"] <= min(scores["ensemble"], scores["kernel"], scores["forest"]) + 1e-12  # the grid holds each corner
    assert model.kernel_weight[0] == weights[1]
    if weights[2] == 0:  # a forest without weight is not kept
        assert model.forest is None and not info["forest"]["kept"]
    else:
        assert model.forest_weight[0] == weights[2]
    smiles = data["smiles"].tolist()[-10:]
    out = model.predict(smiles)
    std = out["smiles_std"].tolist()
    fps = domain_fingerprints(std)
    members = [
        model.predict_graphs(molgen.featurize.graphs_from_smiles(std).graphs)[0][:, 0],
        model.kernel.predict(_kernel_similarity(model, std))[:, 0],
    ]
    if model.forest is not None:
        members.append(model.forest.predict(np.unpackbits(fps, axis=1))[:, 0])
    np.testing.assert_allclose(out["prediction"], weights[: len(members)] @ np.stack(members), rtol=1e-6)


def test_without_fingerprint_members_the_graph_ensemble_predicts_alone(chembl):
    model = fit_efficacy_model(
        chembl["smiles"], chembl["pIC50"], ensemble_size=1, train_config=QUICK, model_options=SMALL, kernel=None, forest=False
    )
    assert model.kernel is None and model.forest is None
    assert model.info["blend"] == {"used": False, "reason": "no fingerprint member asked for"}
    out = model.predict(chembl["smiles"].tolist()[:5])
    graphs = molgen.featurize.graphs_from_smiles(out["smiles_std"].tolist()).graphs
    np.testing.assert_allclose(out["prediction"], model.predict_graphs(graphs)[0][:, 0], rtol=1e-6)
    with pytest.raises(ValueError, match="unknown kernel"):
        fit_efficacy_model(chembl["smiles"], chembl["pIC50"], kernel="rbf")


@pytest.fixture(scope="module")
def forest_model(tmp_path_factory):
    """The graph ensemble (3 epochs: weak) and the forest, without the kernel (300 molecules: the
    first 150 vary too little for the forest to get weight)."""
    data = load_dataset("chembl2321810").frame.head(300)
    model = fit_efficacy_model(
        data["smiles"], data["pIC50"], ensemble_size=1, train_config=QUICK, model_options=SMALL, kernel=None, forest=True
    )
    return model, model.save(tmp_path_factory.mktemp("models") / "forest_only")


@pytest.mark.slow  # forest_model fits on 300 molecules
def test_forest_member_alone_round_trips(forest_model, chembl):
    model, path = forest_model
    assert model.kernel is None and model.forest is not None and model.forest_weight[0] > 0
    assert model.info["blend"]["members"] == ["ensemble", "forest"]
    smiles = chembl["smiles"].tolist()[:20]
    loaded = load_model(path)
    assert loaded.kernel is None and loaded.forest is not None
    pd.testing.assert_frame_equal(model.predict(smiles), loaded.predict(smiles))


@pytest.mark.slow  # forest_model fits on 300 molecules
def test_forest_member_needs_consistent_arrays(forest_model, tmp_path):
    from safetensors.numpy import load_file, save_file

    _, path = forest_model
    copy = _copy(path, tmp_path)
    tensors = load_file(str(copy / "kernel.safetensors"))
    tensors["forest.left"][0] = 10**8  # a child outside the forest
    save_file(tensors, str(copy / "kernel.safetensors"))
    _fix_checksum(copy, "kernel.safetensors")
    with pytest.raises(CheckpointError, match="out of range"):
        load_model(copy)
    manifest = json.loads((copy / "molgen_model.json").read_text())
    manifest["forest"] = None
    _write_sealed(copy, manifest)  # metadata says no forest, the file list still names its arrays' file
    with pytest.raises(CheckpointError, match="files.kernel.safetensors: unexpected"):
        load_model(copy)


def test_kernel_member_needs_its_file(regression_model, tmp_path):
    _, path = regression_model
    copy = _copy(path, tmp_path)
    (copy / "kernel.safetensors").unlink()
    with pytest.raises(CheckpointError, match="missing kernel.safetensors"):
        load_model(copy)
    manifest = json.loads((copy / "molgen_model.json").read_text())
    manifest["kernel"], manifest["uncertainty"] = None, None
    _write_sealed(copy, manifest)  # metadata says no kernel, file list still names it
    with pytest.raises(CheckpointError, match="files.kernel.safetensors: unexpected"):
        load_model(copy)


def test_kernel_atom_pairs_must_match_the_training_fingerprints(regression_model, tmp_path):
    from safetensors.numpy import load_file, save_file

    _, path = regression_model
    copy = _copy(path, tmp_path)
    tensors = load_file(str(copy / "kernel.safetensors"))
    save_file({**tensors, "atompair": tensors["atompair"][:-1]}, str(copy / "kernel.safetensors"))  # one row short
    _fix_checksum(copy, "kernel.safetensors")
    with pytest.raises(CheckpointError, match="atom-pair fingerprints of shape"):
        load_model(copy)
    save_file({"alpha": tensors["alpha"]}, str(copy / "kernel.safetensors"))
    _fix_checksum(copy, "kernel.safetensors")
    with pytest.raises(CheckpointError, match="compares atom pairs but kernel.safetensors has none"):
        load_model(copy)


def test_morgan_only_kernel_round_trips_and_reads_as_format_3(chembl, tmp_path):
    """``kernel="tanimoto_morgan"``, the default before atom pairs: no second fingerprint, and
    its directory, relabelled as format 3 (which it is, apart from the tag), still loads."""
    model = fit_efficacy_model(
        chembl["smiles"], chembl["pIC50"], ensemble_size=1, train_config=QUICK, model_options=SMALL, kernel="tanimoto_morgan"
    )
    assert model.kernel is not None and model.kernel_fingerprints is None
    assert model.info["blend"]["kernel"]["fingerprints"] == ["morgan"]
    path = model.save(tmp_path / "morgan")
    manifest = json.loads((path / "molgen_model.json").read_text())
    assert manifest["kernel"]["fingerprint"] == "domain"
    manifest.pop("manifest_sha256")  # format 3 had no checksum of the manifest
    (path / "molgen_model.json").write_text(json.dumps({**manifest, "format_version": 3}))
    loaded = load_model(path)
    assert loaded.kernel_fingerprints is None
    smiles = chembl["smiles"].tolist()[:20]
    pd.testing.assert_frame_equal(model.predict(smiles), loaded.predict(smiles))
    graphs = molgen.featurize.graphs_from_smiles(smiles).graphs  # no smiles needed without atom pairs
    from molgen.efficacy.domain import domain_fingerprints

    assert np.isfinite(loaded.predict_molecules(graphs, domain_fingerprints(smiles))[0]).all()


def test_batch_norm_model_round_trips(regression_model, chembl, tmp_path):
    """Batch norm after the readout was the default until 2026-11-30: such models keep it
    (the manifest stores the whole ModelConfig), load, and predict identically."""
    default, _ = regression_model
    assert default.model_config.batch_norm is False
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in default.members[0].modules())
    model = fit_efficacy_model(
        chembl["smiles"], chembl["pIC50"], ensemble_size=1, train_config=QUICK, model_options={**SMALL, "batch_norm": True}
    )
    path = model.save(tmp_path / "bn")
    loaded = load_model(path)
    assert loaded.model_config.batch_norm is True
    assert any(isinstance(m, torch.nn.BatchNorm1d) for m in loaded.members[0].modules())
    smiles = chembl["smiles"].tolist()[:20]
    pd.testing.assert_frame_equal(model.predict(smiles), loaded.predict(smiles))


def test_fit_takes_a_table_and_predict_keeps_its_columns(chembl, tmp_path):
    frame = chembl.rename(columns={"smiles": "SMILES"}).assign(compound_id=[f"C{i}" for i in range(len(chembl))])
    with pytest.raises(KeyError, match="did you mean 'SMILES'"):
        fit_efficacy_model(frame, frame["pIC50"])
    with pytest.raises(ValueError, match="target_cols="):
        fit_efficacy_model(frame, smiles_col="SMILES")
    path = tmp_path / "assay.csv"
    frame.to_csv(path, index=False)
    model = fit_efficacy_model(path, "pIC50", smiles_col="SMILES", ensemble_size=1, train_config=QUICK, model_options=SMALL)
    assert model.target_names == ["pIC50"]
    out = model.predict(frame.head(5), smiles_col="SMILES")
    assert list(out.columns[: len(frame.columns)]) == list(frame.columns)
    assert out["compound_id"].tolist() == frame["compound_id"].head(5).tolist()
    assert "molgen_pIC50" not in out.columns and "prediction" in out.columns
    with pytest.raises(KeyError, match="did you mean 'SMILES'"):
        model.predict(frame.head(5))
    bare = model.predict(frame.head(5), smiles_col="SMILES", keep_columns=False)
    assert list(bare.columns[:2]) == ["smiles", "smiles_std"]
