"""The kernel member's uncertainty, the applicability domain, and the refit on all molecules (issue 18)."""

import json

import numpy as np
import pandas as pd
import pytest

from molgen.efficacy import fit_efficacy_model, load_model
from molgen.efficacy.domain import domain_fingerprints, domain_reasons, domain_record
from molgen.efficacy.uncertainty import KernelUncertainty, _fit_weights
from molgen.models.kernel import KernelRidge, leave_one_out_residuals, tanimoto_matrix
from molgen.train import TrainConfig

QUICK = TrainConfig(epochs=3, warmup_epochs=1)
SMALL = {"hidden": 32, "depth": 2}


@pytest.fixture(scope="module")
def series():
    from molgen.data import load_dataset

    frame = load_dataset("chembl2321810").frame.head(200)
    fps = domain_fingerprints(frame["smiles"].tolist())
    return frame, tanimoto_matrix(fps, fps), frame["pIC50"].to_numpy()


def test_leave_one_out_residuals_are_the_kernel_members(series):
    _, K, y = series
    lam = KernelRidge.fit(K, y[:, None]).lam
    unc = KernelUncertainty.fit(K, y[:, None], lam)
    np.testing.assert_allclose(unc.loo[:, 0], np.abs(leave_one_out_residuals(K, y, lam[0])), rtol=1e-8)
    assert unc.a[0] >= 0 and unc.b[0] >= 0 and unc.a[0] + unc.b[0] > 0


def test_sigma_grows_away_from_the_training_molecules(series):
    _, K, y = series
    train, query = np.arange(150), np.arange(150, 200)
    lam = KernelRidge.fit(K[np.ix_(train, train)], y[train, None]).lam
    unc = KernelUncertainty.fit(K[np.ix_(train, train)], y[train, None], lam)
    near = unc.sigma(K[np.ix_(train[:20], train)], K[np.ix_(train, train)])[:, 0]
    far = unc.sigma(np.zeros((5, len(train))))[:, 0]  # similarity 0 to everything (factors cached)
    assert far.min() > near.max()
    # a molecule's sigma, from a saved and restored model, is the same
    again = KernelUncertainty.from_dict(unc.to_dict(), unc.loo, unc.lam)
    np.testing.assert_allclose(again.sigma(K[np.ix_(query, train)], K[np.ix_(train, train)]), unc.sigma(K[np.ix_(query, train)]))


def test_weights_follow_what_explains_the_residuals():
    rng = np.random.default_rng(0)
    variance, local = rng.uniform(0.1, 2.0, 2000), rng.uniform(0.1, 2.0, 2000)
    a, b = _fit_weights(rng.normal(0, np.sqrt(variance)), variance, local)
    assert a > 0.8 and b < 0.1  # residuals drawn with the posterior variance
    a, b = _fit_weights(rng.normal(0, local), variance, local)
    assert b > 0.8 and a < 0.1  # residuals drawn with the local error


def test_domain_reasons():
    record = domain_record(["CCO", "c1ccccc1Cl"], np.array([0.2, 0.4, 0.6, 0.8]))
    assert record["elements"] == ["C", "Cl", "O"] and 0.2 <= record["similarity_threshold"] < 0.3
    reasons = domain_reasons(["CCO", "[U]", "*C", "[H][H]", "CCN", "CCO"], np.array([0.9, 0.9, 0.9, 0.9, 0.9, 0.1]), record)
    assert reasons[0] is None
    assert reasons[1] == "out of domain: element U not in the training molecules"
    assert reasons[2] == "out of domain: dummy atom (*)"
    assert reasons[3] == "out of domain: no heavy atom"
    assert reasons[4] == "out of domain: element N not in the training molecules"
    assert reasons[5].startswith("out of domain: similarity 0.10 to the training molecules is below the domain threshold 0.2")
    # a model saved before format 5 has no domain record: only the structural checks run
    assert domain_reasons(["CCN", "*C"], np.array([0.0, 0.9]), None) == [None, "out of domain: dummy atom (*)"]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    from molgen.data import load_dataset

    frame = load_dataset("chembl2321810").frame.head(200)
    model = fit_efficacy_model(frame["smiles"], frame["pIC50"], ensemble_size=2, train_config=QUICK, model_options=SMALL)
    return frame, model, model.save(tmp_path_factory.mktemp("unc") / "model")


def test_model_uses_the_kernel_uncertainty_and_refits_on_every_molecule(fitted):
    frame, model, path = fitted
    assert model.uncertainty is not None and model.calibrator.normalized_
    assert model.info["refit"] == {"used": True, "molecules": 200}
    assert len(model.fingerprints) == len(model.kernel.alpha) == len(model.uncertainty.loo) == 200
    out = model.predict(["[U]", "*C", "[H][H]", frame["smiles"].iloc[0]])
    assert (out["state"] == "valid").all() and out["prediction"].notna().all()
    assert out["in_domain"].tolist() == [False, False, False, True]
    assert out["error"].iloc[0].startswith("out of domain: element U") and out["error"].iloc[3] == ""
    assert out["uncertainty"].iloc[:3].min() > out["uncertainty"].iloc[3]  # unknown chemistry: wider
    loaded = load_model(path)
    pd.testing.assert_frame_equal(loaded.predict(out["smiles"]), out)


def test_refit_can_be_turned_off():
    from molgen.data import load_dataset

    frame = load_dataset("chembl2321810").frame.head(120)
    model = fit_efficacy_model(frame["smiles"], frame["pIC50"], ensemble_size=1, train_config=QUICK, model_options=SMALL, refit=False)
    counts = model.metrics["counts"]
    assert model.info["refit"]["used"] is False and len(model.fingerprints) == counts["train"] + counts["valid"]


def test_models_of_format_4_load_with_the_ensemble_spread(fitted, tmp_path):
    """A format-4 model has no uncertainty model, domain record or residuals: it loads and predicts as before."""
    import shutil

    from safetensors.numpy import load_file, save_file

    _, model, path = fitted
    copy = tmp_path / "old"
    shutil.copytree(path, copy)
    manifest = json.loads((copy / "molgen_model.json").read_text())
    tensors = {k: v for k, v in load_file(copy / "kernel.safetensors").items() if k != "loo"}
    save_file(tensors, copy / "kernel.safetensors")
    import hashlib

    manifest["files"]["kernel.safetensors"] = hashlib.sha256((copy / "kernel.safetensors").read_bytes()).hexdigest()
    for key in ("uncertainty", "domain", "manifest_sha256"):  # format 4 had none of them
        manifest.pop(key)
    (copy / "molgen_model.json").write_text(json.dumps({**manifest, "format_version": 4}))
    old = load_model(copy)
    assert old.uncertainty is None and old.domain is None
    out = old.predict(["CCO", "*C"])
    graphs_sigma = old.predict_graphs(__import__("molgen").featurize.graphs_from_smiles(["CCO"]).graphs)[1]
    assert out["uncertainty"].iloc[0] == pytest.approx(graphs_sigma[0, 0])
    assert out["in_domain"].tolist() == [True, False]


def test_a_scorer_objective_can_read_the_domain_flag(fitted):
    from molgen.scoring.objectives import ModelTerm

    frame, model, _ = fitted
    smiles = ["[U]", frame["smiles"].iloc[0]]
    values = ModelTerm(column="in_domain", predictor=model).compute([None, None], smiles, {})
    assert values.values.tolist() == [0.0, 1.0] and values.errors == ["", ""]
