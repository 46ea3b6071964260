"""Molecule-level descriptors joined after the readout: fitting, scaling, saving, predicting, screening."""

import json

import numpy as np
import pandas as pd
import pytest

import molgen
from molgen.data import load_dataset
from molgen.efficacy import CheckpointError, fit_efficacy_model, load_model
from molgen.efficacy.attribution import atom_attributions
from molgen.featurize.descriptors import CLIP, DescriptorFeaturizer
from molgen.train import TrainConfig

QUICK = TrainConfig(epochs=3, warmup_epochs=1)
SMALL = {"hidden": 32, "ffn_hidden": 32}
TRAIN = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCN(CC)CC", "OC(=O)c1ccccc1", "C1CCCCC1N", "CC12CCC3C(CCC4=CC(=O)CCC34C)C1CCC2O"]


def test_rdkit2d_scaling_is_fitted_on_training_molecules():
    f = DescriptorFeaturizer("rdkit2d").fit(TRAIN)
    x = f.transform(TRAIN)
    assert x.shape == (len(TRAIN), f.dim) and f.dim > 200 and x.dtype == np.float32
    varying = x.std(axis=0) > 0
    np.testing.assert_allclose(x[:, varying].mean(axis=0), 0.0, atol=1e-5)  # standardized on these molecules
    assert f.log_columns[f.names.index("Ipc")]  # heavy-tailed: log-transformed
    assert np.abs(f.transform(["C" * 60])).max() <= CLIP  # far outside the training range: clipped


def test_bad_molecules_get_zero_rows_not_errors():
    f = DescriptorFeaturizer("rdkit2d").fit(TRAIN)
    x = f.transform(["not a smiles", "", "CCO"])
    assert not x[:2].any() and x[2].any()


def test_round_trip_and_refusals():
    for kind in ("rdkit2d", "morgan_counts"):
        f = DescriptorFeaturizer(kind).fit(TRAIN)
        g = DescriptorFeaturizer.from_dict(json.loads(json.dumps(f.to_dict())))
        np.testing.assert_array_equal(f.transform(["CCOC", "c1ccncc1"]), g.transform(["CCOC", "c1ccncc1"]))
    with pytest.raises(ValueError, match="unknown descriptors 'mordred'"):
        DescriptorFeaturizer("mordred")
    d = DescriptorFeaturizer("rdkit2d").fit(TRAIN).to_dict()
    d["names"][0] = "NotAnRDKitDescriptor"
    with pytest.raises(ValueError, match="differ from this RDKit"):
        DescriptorFeaturizer.from_dict(d)
    for key, value, message in [
        ("log_columns", [10_000], "out of range"),
        ("std", [0.0] * len(d["std"]), "non-positive"),
        ("mean", [float("nan")] * len(d["mean"]), "non-finite"),
    ]:
        d = DescriptorFeaturizer("rdkit2d").fit(TRAIN).to_dict()
        d[key] = value
        with pytest.raises(ValueError, match=message):
            DescriptorFeaturizer.from_dict(d)
    with pytest.raises(RuntimeError, match="before fit"):
        DescriptorFeaturizer("rdkit2d").transform(["CCO"])


@pytest.fixture(scope="module")
def descriptor_model(tmp_path_factory):
    data = load_dataset("chembl2321810").frame.head(120)
    model = fit_efficacy_model(
        data["smiles"],
        data["pIC50"],
        ensemble_size=2,
        train_config=QUICK,
        model_options=SMALL,
        descriptors="rdkit2d",
        split_method="random",
    )
    return model, model.save(tmp_path_factory.mktemp("models") / "rdkit2d"), data


def test_descriptor_model_saves_loads_and_predicts_identically(descriptor_model):
    model, path, data = descriptor_model
    assert model.model_config.descriptor_dim == model.descriptors.dim
    smiles = data["smiles"].tolist()[:10] + ["not a smiles"]
    before = model.predict(smiles)
    after = molgen.load_model(path).predict(smiles)
    pd.testing.assert_frame_equal(before, after)
    assert before["state"].iloc[-1] == "invalid_smiles" and before["prediction"].iloc[:-1].notna().all()
    manifest = json.loads((path / "molgen_model.json").read_text())
    assert manifest["featurizer"]["descriptors"]["kind"] == "rdkit2d"


def test_descriptors_change_the_prediction(descriptor_model):
    """The head reads the descriptors: zeroing them moves the prediction."""
    from molgen.featurize import smiles_to_graph

    model, _, data = descriptor_model
    smi = data["smiles"].iloc[0]
    graph = model.attach_descriptors([smiles_to_graph(smi)], [smi])[0]
    fp = np.zeros((1, 256), dtype=np.uint8)
    with_desc = model.predict_featurized([graph], fp, smiles=[smi])["prediction"][0]  # smiles for the atom-pair kernel
    graph.descriptors = graph.descriptors * 0
    assert model.predict_featurized([graph], fp, smiles=[smi])["prediction"][0] != pytest.approx(with_desc)
    with pytest.raises(ValueError, match="standardized smiles"):
        model.predict_featurized([smiles_to_graph(smi)], fp)


def test_attributions_and_local_screening_with_descriptors(descriptor_model, tmp_path):
    from molgen.distributed import screen

    model, path, data = descriptor_model
    from rdkit import Chem

    attr = atom_attributions(model, data["smiles"].iloc[1])
    assert attr.values.shape == (Chem.MolFromSmiles(attr.smiles).GetNumAtoms(),) and np.isfinite(attr.values).all()
    smiles = data["smiles"].tolist()[:30] + ["C1CC"]
    pd.DataFrame({"smiles": smiles}).to_csv(tmp_path / "lib.csv", index=False)
    result = screen(path, tmp_path / "lib.csv", out_dir=tmp_path / "out", smiles_col="smiles", top_k=5, engine="local", progress=False)
    rows = pd.concat([pd.read_parquet(p) for p in sorted((tmp_path / "out" / "shards").glob("*.parquet"))], ignore_index=True)
    expected = model.predict(smiles)
    np.testing.assert_allclose(rows["prediction"].to_numpy(), expected["prediction"].to_numpy(), rtol=1e-5, equal_nan=True)
    assert result.summary["states"] == {"valid": 30, "invalid_smiles": 1}


def test_inconsistent_descriptor_checkpoint_is_refused(descriptor_model, tmp_path):
    import shutil

    _, path, _ = descriptor_model
    copy = tmp_path / "copy"
    shutil.copytree(path, copy)
    manifest = json.loads((copy / "molgen_model.json").read_text())
    manifest["featurizer"]["descriptors"] = None
    (copy / "molgen_model.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="molgen_model.json: checksum mismatch"):
        load_model(copy)
    from molgen.efficacy.manifest import CHECKSUM, content_sha256

    manifest[CHECKSUM] = content_sha256(manifest)  # as an older writer would: the schema still refuses it
    (copy / "molgen_model.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="model_config.descriptor_dim: .* for 0 featurizer.descriptors names"):
        load_model(copy)


def test_descriptor_dim_is_not_a_model_option():
    data = load_dataset("chembl2321810").frame.head(30)
    with pytest.raises(ValueError, match="descriptor_dim"):
        fit_efficacy_model(data["smiles"], data["pIC50"], model_options={"descriptor_dim": 5}, descriptors="rdkit2d")


def test_each_graph_owns_its_descriptor_row():
    """A row view would drag the whole n x 2048 matrix into every pickled graph (Ray, DataLoader workers)."""
    import pickle

    from molgen.efficacy import prepare_training_data

    data = load_dataset("chembl2321810").frame.head(60)
    prepared = prepare_training_data(data["smiles"], data["pIC50"], descriptors="morgan_counts", split_method="random")
    graph = prepared.graphs(prepared.train)[0]
    assert graph.descriptors.shape == (1, 2048)
    assert len(pickle.dumps(graph)) < 3 * 2048 * 4
