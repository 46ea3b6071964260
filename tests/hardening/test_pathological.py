"""One pathological molecule never stalls a batch: size and time limits give a row state.

The limits are checked before the costly step (the SMILES length before RDKit parses,
the atom count before sanitization, an SDF record's counts line before RDKit reads it,
a deadline inside the tautomer search). These tests check the states and messages, not
wall time; the worst per-molecule times are in BENCHMARKS.md ("Fuzzing").
"""

import io

import numpy as np
import pytest

from molgen.chem import (
    DEFAULT_MAX_HEAVY_ATOMS,
    SMILES_CHARS_PER_ATOM,
    Standardizer,
    clean_smiles,
    iter_sdf,
    parse_smiles_batch,
)
from molgen.data import read_table
from molgen.featurize import graphs_from_smiles, morgan_fingerprints
from molgen.scoring import Scorer

LIMIT = SMILES_CHARS_PER_ATOM * DEFAULT_MAX_HEAVY_ATOMS

PATHOLOGICAL = {
    "megabyte chain": "C" * 1_000_000,
    "hydrogen gas, many times": ".".join(["[H][H]"] * 2000),
    "600 explicit hydrogens in 1,799 characters": ".".join(["[H][H]"] * 300),
    "macrocycle of 5,000 atoms": "C1" + "C" * 4998 + "1",
    "deep branches": "C" + "(C" * 3000 + ")" * 3000,
}


def _batches(smiles):
    yield "parse_smiles_batch", parse_smiles_batch(smiles).states
    yield "clean_smiles", clean_smiles(smiles)["state"].tolist()
    yield "clean_smiles+tautomer", clean_smiles(smiles, standardizer=Standardizer(canonical_tautomer=True))["state"].tolist()
    yield "graphs_from_smiles", graphs_from_smiles(smiles).states
    yield "morgan_fingerprints", morgan_fingerprints(smiles).states
    yield "Scorer", Scorer.from_config({"objectives": [{"name": "qed", "kind": "qed"}]}).score(smiles)["state"].tolist()


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_molecule_is_one_failed_row(name):
    smiles = ["CCO", PATHOLOGICAL[name], "c1ccccc1"]
    for where, states in _batches(smiles):
        assert states == ["valid", "too_many_atoms", "valid"], where


def test_length_limit_message_and_boundary():
    batch = parse_smiles_batch(["C" * 5000 + "O", "C" * 201])
    assert batch.states == ["too_many_atoms", "too_many_atoms"]
    assert f"longer than {LIMIT}" in batch.errors[0] and "not parsed" in batch.errors[0]
    assert "201 heavy atoms exceeds the limit of 200" in batch.errors[1]
    # No limit: the length check goes too.
    assert parse_smiles_batch(["C" * 5001], max_heavy_atoms=None).states == ["valid"]


def test_explicit_hydrogens_count_towards_an_atom_limit():
    batch = parse_smiles_batch([".".join(["[H][H]"] * 300), ".".join(["[H][H]"] * 200)])
    assert batch.states == ["too_many_atoms", "valid"]
    assert "600 atoms (explicit hydrogens included) exceeds the limit of 400" in batch.errors[0]


def test_atom_limit_is_checked_before_sanitization():
    """An oversized molecule is refused as too large even if it would fail sanitization."""
    batch = parse_smiles_batch(["C(C)(C)(C)(C)" + "C" * 300])
    assert batch.states == ["too_many_atoms"]


def test_tautomer_search_has_a_deadline():
    slow = "O=C1CC(=O)CC(=O)CC(=O)CC(=O)CC(=O)CC(=O)CC(=O)C1"
    table = clean_smiles(["Oc1ccccn1", slow], standardizer=Standardizer(canonical_tautomer=True, tautomer_timeout=0.0))
    # The deadline is checked per tautomer step: the pyridone needs few steps, the polyketone many.
    assert table["state"].iloc[1] == "standardization_failed"
    assert "tautomer search took longer than 0 s" in table["error"].iloc[1]
    table = clean_smiles(["Oc1ccccn1", slow], standardizer=Standardizer(canonical_tautomer=True))
    assert table["state"].tolist() == ["valid", "valid"] and table["smiles"].iloc[0] == "O=c1cccc[nH]1"


def _molblock(n_atoms: int, title: str = "big") -> str:
    atoms = "".join(f"{i:10.4f}    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n" for i in range(n_atoms))
    bonds = "".join(f"{i + 1:3d}{i + 2:3d}  1  0\n" for i in range(n_atoms - 1))
    return f"{title}\n  molgen\n\n{n_atoms:3d}{n_atoms - 1:3d}  0  0  0  0  0  0  0  0999 V2000\n{atoms}{bonds}M  END\n$$$$\n"


def test_sdf_record_limits():
    small = _molblock(3, "small")
    text = small + _molblock(600) + small + ("x" * 100 + "\n") * 1000 + "$$$$\n" + small
    records = list(iter_sdf(io.StringIO(text), max_record_atoms=500, max_record_chars=60_000))
    assert [r.state for r in records] == ["valid", "too_many_atoms", "valid", "invalid_record", "valid"]
    assert "declares 600 atoms, more than the limit of 500" in records[1].error
    assert "record longer than 60000 characters" in records[3].error


def test_sdf_without_terminators_is_bounded(tmp_path):
    """A huge 'record' with no $$$$ keeps only its start in memory and becomes one row."""
    path = tmp_path / "endless.sdf"
    path.write_text(_molblock(3, "small") + ("M  junk line\n" * 200_000))
    frame = read_table(path)
    assert len(frame) == 2 and frame["_sdf_state"].tolist() == ["valid", "invalid_record"]


def test_limits_keep_outputs_aligned():
    smiles = [PATHOLOGICAL["megabyte chain"], None, "CCO", PATHOLOGICAL["macrocycle of 5,000 atoms"]]
    fps = morgan_fingerprints(smiles, n_bits=64)
    assert fps.array.shape == (4, 64) and fps.valid_mask.tolist() == [False, False, True, False]
    assert np.all(fps.array[~fps.valid_mask] == 0)


def test_failed_standardization_does_not_leak_memory():
    """RDKit's copying Cleanup()/choose() leaked ~10 KB per molecule they rejected (found by fuzzing)."""
    import gc
    import os

    if not os.path.exists("/proc/self/statm"):
        pytest.skip("needs Linux /proc to read the resident set size")

    def rss_kb() -> float:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024

    rejected = ["Oc1cccc~n1", "c1cccc~n1"]  # a query bond: cleanup raises a valence error
    assert set(clean_smiles(rejected)["state"]) == {"standardization_failed"}
    for _ in range(100):
        clean_smiles(rejected)
    gc.collect()
    before = rss_kb()
    for _ in range(1500):
        clean_smiles(rejected)
    gc.collect()
    assert rss_kb() - before < 8_000  # the leak made ~30,000 KB here
