"""MOSES metrics: known values on small hand-checked sets and agreement with MOSES definitions."""

from collections import Counter

import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import AllChem

from molgen.generate.moses import (
    ReferenceStats,
    StaleCacheError,
    cos_similarity,
    describe,
    evaluate_samples,
    fraction_unique,
    fraction_valid,
    frechet_distance,
    internal_diversities,
    internal_diversity,
    morgan_bits,
    novelty,
    passes_filters,
    reference_stats,
    scaffold,
    snn,
    unpack_fingerprints,
    wasserstein,
)
from molgen.generate.moses.molecule import filter_patterns
from molgen.utils.quiet import rdkit_quiet

DRUGS = [
    "CC(=O)Nc1ccc(O)cc1",
    "CC(=O)Oc1ccccc1C(=O)O",
    "CN1CCC[C@H]1c1cccnc1",
    "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
    "O=C(O)c1ccccc1O",
    "c1ccc2c(c1)ccc1ccccc12",
    "CCN(CC)CCNC(=O)c1ccc(N)cc1",
    "COc1ccc2[nH]cc(CCN)c2c1",
    "Clc1ccc(cc1)C(c1ccccc1)N1CCNCC1",
]


def _bits(smiles):
    return np.stack([morgan_bits(Chem.MolFromSmiles(s)) for s in smiles])


def _legacy_fp(smiles):
    with rdkit_quiet():  # the legacy call is deprecated in recent RDKit
        return AllChem.GetMorganFingerprintAsBitVect(Chem.MolFromSmiles(smiles), 2, nBits=1024)


def test_validity_counts_invalid_strings():
    assert fraction_valid(["CCO", "c1ccccc1", "C1CC", "", "not smiles", None]) == pytest.approx(2 / 6)
    assert np.isnan(fraction_valid([]))


def test_unique_at_k_and_novelty():
    assert fraction_unique(["CCO", "CCO", "CCN", "CCC"], k=3) == pytest.approx(2 / 3)
    with pytest.warns(UserWarning, match="unique@10"):
        assert fraction_unique(["CCO", "CCN"], k=10) == 1.0
    assert novelty(["CCO", "CCN"], {"CCO", "CCN"}) == 0.0
    assert novelty(["CCO", "CCO", "CCN"], {"CCO"}) == 0.5  # distinct molecules, as MOSES


def test_fingerprint_matches_legacy_morgan_bitvect():
    for s in DRUGS:
        legacy = np.zeros(1024, dtype=np.uint8)
        DataStructs.ConvertToNumpyArray(_legacy_fp(s), legacy)
        assert np.array_equal(morgan_bits(Chem.MolFromSmiles(s)), legacy), s


def test_snn_and_intdiv_match_rdkit_bulk_tanimoto():
    ref, gen = DRUGS[:6], DRUGS[4:]
    ref_fps = [_legacy_fp(s) for s in ref]
    gen_fps = [_legacy_fp(s) for s in gen]
    expected_snn = np.mean([max(DataStructs.BulkTanimotoSimilarity(g, ref_fps)) for g in gen_fps])
    assert snn(_bits(ref), _bits(gen), batch_size=4) == pytest.approx(expected_snn, abs=1e-6)
    pairs = np.array([DataStructs.BulkTanimotoSimilarity(a, gen_fps) for a in gen_fps])
    assert internal_diversity(_bits(gen), batch_size=3) == pytest.approx(1 - pairs.mean(), abs=1e-6)
    intdiv2 = 1 - np.mean(np.sqrt((pairs**2).mean(axis=1)))
    assert internal_diversity(_bits(gen), p=2) == pytest.approx(intdiv2, abs=1e-6)
    both = internal_diversities(_bits(gen), (1, 2), batch_size=4)
    assert both == pytest.approx([1 - pairs.mean(), intdiv2], abs=1e-6)


def test_intdiv_of_identical_molecules_is_zero():
    assert internal_diversity(_bits(["c1ccccc1O"] * 5)) == pytest.approx(0.0, abs=1e-12)
    assert snn(_bits(DRUGS), _bits(DRUGS)) == pytest.approx(1.0)


def test_fragments_and_scaffolds_follow_moses():
    record = describe("CC(=O)Nc1ccc(OCc2ccccc2)cc1")
    with rdkit_quiet():
        expected = Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(Chem.MolFromSmiles(record.smiles))).split(".")
    assert list(record.fragments) == expected
    assert record.scaffold == "c1ccc(COc2ccccc2)cc1"
    assert scaffold(Chem.MolFromSmiles("Cc1ccccc1")) is None  # one ring: below MOSES's min_rings=2
    assert scaffold(Chem.MolFromSmiles("CCCC")) is None
    assert describe("C1CC") is None and describe("") is None


def test_cosine_similarity_and_wasserstein():
    counts = Counter({"a": 3, "b": 1})
    assert cos_similarity(counts, Counter({"a": 6, "b": 2})) == pytest.approx(1.0)
    assert cos_similarity(counts, Counter({"c": 1})) == pytest.approx(0.0)
    assert np.isnan(cos_similarity(counts, Counter()))
    values = np.random.default_rng(0).normal(size=500)
    assert wasserstein(values, values) == 0.0
    assert wasserstein([0.0, 1.0], [2.0, 3.0]) == pytest.approx(2.0)


def test_moses_filters():
    assert len(filter_patterns()) > 400  # MCF + PAINS from the molsets package
    ok = Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1")
    assert passes_filters(ok)
    assert not passes_filters(Chem.MolFromSmiles("CC(=O)[O-].[Na+]"))  # charged
    assert not passes_filters(Chem.MolFromSmiles("CCI"))  # iodine not allowed
    assert not passes_filters(Chem.MolFromSmiles("C1CCCCCCC1"))  # ring of 8
    assert not passes_filters(Chem.MolFromSmiles("C=CC#N"))  # MCF1 Michael acceptor


def test_frechet_distance_of_identical_statistics_is_zero():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 5))
    mu, sigma = x.mean(0), np.cov(x.T)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(mu, sigma, mu + 1.0, sigma) == pytest.approx(5.0, abs=1e-6)
    from fcd import calculate_frechet_distance

    other = np.cov(rng.normal(size=(200, 5)).T * 2)
    with np.errstate(all="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        expected = calculate_frechet_distance(mu, sigma, mu * 0.5, other)
    assert frechet_distance(mu, sigma, mu * 0.5, other) == pytest.approx(expected, rel=1e-9)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_chemnet_activations_match_fcd_package():
    from fcd import get_predictions, load_ref_model

    from molgen.generate.moses import chemnet_activations

    canonical = [Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in DRUGS[:4]]
    ours = chemnet_activations(canonical, batch_size=3)
    theirs = get_predictions(load_ref_model(), canonical, batch_size=4, n_jobs=0, device="cpu")
    assert ours.shape == (4, 512)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_evaluate_identical_sets(tmp_path):
    canonical = [Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in DRUGS]
    metrics = evaluate_samples(
        DRUGS, train=canonical, test=DRUGS, test_scaffolds=DRUGS[:5], moses_defaults=False, k=[5], cache_dir=tmp_path
    )
    assert metrics["valid"] == 1.0 and metrics["unique@5"] == 1.0
    assert metrics["FCD/Test"] == pytest.approx(0.0, abs=1e-3)
    assert metrics["Frag/Test"] == pytest.approx(1.0)
    assert metrics["Scaf/Test"] == pytest.approx(1.0)
    assert metrics["SNN/Test"] == pytest.approx(1.0)
    assert metrics["Novelty"] == 0.0
    for prop in ("logP", "SA", "QED", "weight"):
        assert metrics[prop] == pytest.approx(0.0, abs=1e-9)
    assert metrics["FCD/TestSF"] > 1.0  # half the set as reference: clearly different
    assert 0.5 < metrics["IntDiv"] < 1.0


def test_evaluate_counts_invalid_and_survives_all_invalid(tmp_path):
    gen = DRUGS[:4] + ["C1CC", "", "xyz", None]
    metrics = evaluate_samples(gen, test=DRUGS, moses_defaults=False, k=[4], cache_dir=tmp_path)
    assert metrics["n_samples"] == 8 and metrics["n_valid"] == 4 and metrics["valid"] == 0.5
    assert "FCD/TestSF" not in metrics and "Novelty" not in metrics
    none = evaluate_samples(["xyz", ""], test=DRUGS, moses_defaults=False, k=[], cache_dir=tmp_path)
    assert none["valid"] == 0.0
    assert all(np.isnan(none[key]) for key in ("FCD/Test", "SNN/Test", "Frag/Test", "IntDiv", "Filters", "QED"))
    with pytest.raises(ValueError, match="single string"):
        evaluate_samples("CCO", moses_defaults=False)


def test_reference_cache_is_keyed_and_never_stale(tmp_path):
    stats = reference_stats(DRUGS, cache_dir=tmp_path)
    files = list(tmp_path.glob("reference-*.npz"))
    assert len(files) == 1
    again = reference_stats(DRUGS, cache_dir=tmp_path)
    np.testing.assert_array_equal(again.fcd_sigma, stats.fcd_sigma)
    assert again.fragments == stats.fragments and again.scaffolds == stats.scaffolds
    other = reference_stats(DRUGS[:-1], cache_dir=tmp_path)  # a different set: its own file
    assert other.n_valid == len(DRUGS) - 1
    assert len(list(tmp_path.glob("reference-*.npz"))) == 2
    with pytest.raises(StaleCacheError):
        ReferenceStats.load(files[0], expected_key=other.key)


def test_reference_stats_count_invalid(tmp_path):
    stats = reference_stats(DRUGS + ["nonsense"], use_cache=False)
    assert stats.n_input == len(DRUGS) + 1 and stats.n_valid == len(DRUGS)
    assert unpack_fingerprints(stats.fingerprints).shape == (len(DRUGS), 1024)
    with pytest.raises(ValueError, match="at least 2 valid"):
        reference_stats(["CCO", "xx"], use_cache=False)


@pytest.mark.slow
def test_per_molecule_values_equal_moses_stored_statistics():
    """Our fingerprints, properties, fragments and scaffolds of MOSES test molecules are the
    ones MOSES stored for them (test_stats.npz rows are in test-set order)."""
    from molgen.generate.moses import moses_reference_stats, moses_smiles
    from molgen.generate.moses.molecule import describe_reference

    ref = moses_reference_stats("test")
    smiles = moses_smiles("test", nrows=60)
    records = [describe_reference(s) for s in smiles]
    bits = unpack_fingerprints([r.fingerprint for r in records])
    np.testing.assert_array_equal(bits, unpack_fingerprints(ref.fingerprints[:60]))
    np.testing.assert_allclose([r.properties for r in records], ref.properties[:60], atol=1e-9)
    assert all(f in ref.fragments for r in records for f in r.fragments)
    assert all(r.scaffold in ref.scaffolds for r in records if r.scaffold is not None)
