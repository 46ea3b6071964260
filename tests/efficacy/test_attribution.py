import copy
from dataclasses import replace

import numpy as np
import pytest
import torch
from rdkit import Chem
from torch_geometric.data import Batch

from molgen.chem import InvalidMoleculeError
from molgen.data import load_dataset
from molgen.efficacy import Attribution, EfficacyModel, atom_attributions, draw_attributions, fit_efficacy_model
from molgen.featurize import ATOM_FDIM, BOND_FDIM, smiles_to_graph
from molgen.models import ModelConfig, build_model
from molgen.train import IdentityScaler, TargetScaler, TrainConfig

PARACETAMOL_SALT = "CC(=O)Nc1ccc(O)cc1.Cl"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def model():
    frame = load_dataset("chembl2321810").frame.head(100)  # enough calibration rows for 90% coverage
    torch.manual_seed(0)
    return fit_efficacy_model(
        frame["smiles"],
        frame["pIC50"],
        ensemble_size=1,
        train_config=TrainConfig(epochs=2, warmup_epochs=1),
        model_options={"hidden": 32, "ffn_hidden": 32},
        kernel=None,  # attributions explain the graph ensemble: without fingerprint members it is the whole prediction
    )


@pytest.fixture(scope="module")
def molecule():
    return load_dataset("chembl2321810").frame["smiles"].iloc[100]


def _graph(smiles):
    return smiles_to_graph(smiles, standardizer=None, max_heavy_atoms=None)


def _predict(model, graph):
    return float(model.predict_graphs([graph])[0][0, 0])


@pytest.mark.parametrize("method", ["gradient", "occlusion"])
def test_one_value_per_atom_of_the_standardized_molecule(model, method):
    attr = atom_attributions(model, PARACETAMOL_SALT, method=method)
    assert isinstance(attr, Attribution)
    assert attr.smiles == "CC(=O)Nc1ccc(O)cc1"  # salt stripped, canonical
    assert attr.values.shape == (Chem.MolFromSmiles(attr.smiles).GetNumAtoms(),) == (11,)
    assert attr.values.dtype == np.float64 and np.isfinite(attr.values).all()
    assert attr.method == method and attr.target == model.target_names[0]


@pytest.mark.parametrize("method", ["gradient", "occlusion"])
def test_prediction_is_the_model_prediction_in_target_units(model, molecule, method):
    attr = atom_attributions(model, molecule, method=method)
    expected = model.predict([molecule])["prediction"].iloc[0]
    assert attr.prediction == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_occlusion_equals_prediction_drop_of_each_occluded_copy(model, molecule):
    attr = atom_attributions(model, molecule, method="occlusion")
    graph = _graph(attr.smiles)
    full = _predict(model, graph)
    expected = []
    for atom in range(graph.num_nodes):
        occluded = graph.clone()
        occluded.x[atom] = 0
        src, dst = occluded.edge_index
        occluded.edge_attr[(src == atom) | (dst == atom)] = 0
        expected.append(full - _predict(model, occluded))
    np.testing.assert_allclose(attr.values, expected, rtol=1e-4, atol=1e-5)
    assert np.isfinite(attr.values.sum())
    assert np.ptp(attr.values) > 0  # atoms differ


def test_gradient_x_input_matches_finite_differences(model, molecule):
    # gradient x input of atom i is d f(x with row i scaled by s) / ds at s = 1; the
    # reference runs a float64 copy of the member so that differences are exact enough
    attr = atom_attributions(model, molecule, method="gradient")
    member = copy.deepcopy(model.members[0]).double().eval()
    graph = _graph(attr.smiles)
    graph.x, graph.edge_attr = graph.x.double(), graph.edge_attr.double()
    h = 1e-4

    def f(scaled_atom, factor):
        g = graph.clone()
        g.x[scaled_atom] *= factor
        with torch.no_grad():
            return float(member.predict(Batch.from_data_list([g]))[0, 0])

    estimate = [(f(atom, 1 + h) - f(atom, 1 - h)) / (2 * h) for atom in range(graph.num_nodes)]
    estimate = np.asarray(estimate) * model.scaler.std_[0]  # target units
    scale = np.abs(attr.values).max()
    assert scale > 0
    np.testing.assert_allclose(attr.values, estimate, rtol=1e-3, atol=1e-3 * scale)
    again = atom_attributions(model, molecule, method="gradient")
    np.testing.assert_array_equal(attr.values, again.values)


@pytest.mark.parametrize("method", ["gradient", "occlusion"])
def test_ensemble_attribution_is_the_member_mean(model, molecule, method):
    other = copy.deepcopy(model.members[0])
    with torch.no_grad():
        for p in other.parameters():
            p.mul_(0.9).add_(0.01)
    both = atom_attributions(replace(model, members=[model.members[0], other]), molecule, method=method)
    first = atom_attributions(model, molecule, method=method)
    second = atom_attributions(replace(model, members=[other]), molecule, method=method)
    np.testing.assert_allclose(both.values, (first.values + second.values) / 2, rtol=1e-5, atol=1e-6)
    assert not np.allclose(first.values, second.values)


@pytest.mark.parametrize("smiles", ["not a smiles", "", "C1CC", "C(C)(C)(C)(C)C"])
def test_invalid_smiles_raises(model, smiles):
    with pytest.raises(InvalidMoleculeError):
        atom_attributions(model, smiles)


def test_bad_method_and_target_raise(model):
    with pytest.raises(ValueError, match="occlusion"):
        atom_attributions(model, "CCO", method="shap")
    for target in (1, -1, "pKi", True):
        with pytest.raises(ValueError, match="target"):
            atom_attributions(model, "CCO", target=target)
    name = model.target_names[0]
    by_name = atom_attributions(model, "CCO", target=name)
    np.testing.assert_array_equal(by_name.values, atom_attributions(model, "CCO").values)


def test_single_atom_molecule(model):
    for method in ("gradient", "occlusion"):
        assert atom_attributions(model, "C", method=method).values.shape == (1,)


def _untrained(task, **options):
    torch.manual_seed(1)
    config = ModelConfig(atom_dim=ATOM_FDIM, bond_dim=BOND_FDIM, hidden=16, ffn_hidden=16, task=task, **options)
    regression = task == "regression"
    return EfficacyModel(
        members=[build_model(config).eval()],
        model_config=config,
        target_names=[f"t{i}" for i in range(config.n_tasks)],
        scaler=TargetScaler(np.array([5.0]), np.array([2.0])) if regression else IdentityScaler(),
        fingerprints=np.zeros((0, 256), dtype=np.uint8),
    )


@pytest.mark.parametrize("method", ["gradient", "occlusion"])
def test_mean_variance_model_attributes_the_mean(method):
    model = _untrained("regression", mean_variance=True)
    attr = atom_attributions(model, "c1ccccc1O", method=method)
    mean = model.predict_graphs([_graph("Oc1ccccc1")])[0][0, 0]
    assert attr.prediction == pytest.approx(mean, rel=1e-5)
    assert attr.values.shape == (7,) and np.isfinite(attr.values).all()


@pytest.mark.parametrize("method", ["gradient", "occlusion"])
def test_classification_models_attribute_probabilities(method):
    binary = _untrained("binary", n_tasks=2)
    attr = atom_attributions(binary, "c1ccccc1O", method=method, target="t1")
    prob = binary.predict_graphs([_graph("Oc1ccccc1")])[0][0, 1]
    assert attr.smiles == "Oc1ccccc1" and attr.values.shape == (7,) and attr.class_index is None
    assert attr.prediction == pytest.approx(prob, rel=1e-5)

    multi = _untrained("multiclass", n_classes=3)
    attr = atom_attributions(multi, "c1ccccc1O", method=method)
    probs = multi.predict_graphs([_graph("Oc1ccccc1")])[0][0, 0]
    assert attr.class_index == int(probs.argmax())
    assert attr.prediction == pytest.approx(probs.max(), rel=1e-5)
    assert attr.values.shape == (7,) and np.isfinite(attr.values).all()


def test_draw_svg_and_png(model, molecule):
    attr = atom_attributions(model, molecule, method="occlusion")
    svg = draw_attributions(attr)
    assert isinstance(svg, str) and "<svg" in svg
    png = draw_attributions(attr, fmt="png", size=(200, 150), scale=1.0, legend="x")
    assert isinstance(png, bytes) and png.startswith(PNG_MAGIC)


def test_draw_rejects_bad_input(model):
    attr = atom_attributions(model, "CCO")
    with pytest.raises(ValueError, match="format"):
        draw_attributions(attr, fmt="jpg")
    with pytest.raises(ValueError, match="atoms"):
        draw_attributions(replace(attr, values=np.zeros(5)))
    with pytest.raises(ValueError, match="finite"):
        draw_attributions(replace(attr, values=np.array([0.0, np.nan, 1.0])))
    with pytest.raises(ValueError, match="scale"):
        draw_attributions(attr, scale=0)
    assert "<svg" in draw_attributions(replace(attr, values=np.zeros(3)))  # all-zero draws white
