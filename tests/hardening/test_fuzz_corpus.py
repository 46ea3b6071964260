"""Replay the fuzz corpus and run a short random pass through the fuzz targets.

The targets live in ``tests/hardening/fuzz_targets.py``; ``benchmarks/fuzz.py`` runs the same
functions for hours under atheris. Each raises only when an input breaks a contract
(misaligned rows, unknown state, an untyped exception). On top of that contract, every corpus
file must end as the outcome its defect implies: each row's state and error, or the one typed
error and its message. Files the fuzzer saved are named ``fuzz_<outcome>_<hash>``; every other
file has its expected outcome written out below, and a new file without one fails the tests.
"""

import importlib.util
import random
import re
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "fuzz_corpus"


def _load_targets():
    spec = importlib.util.spec_from_file_location("molgen_fuzz_targets", HERE / "fuzz_targets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fuzz = _load_targets()

CORPUS_FILES = sorted((p.parent.name, p.name) for p in CORPUS.glob("*/*") if p.is_file())

#: The error every failed row of a state must carry (a full match).
ROW_ERRORS = {
    "empty": r"empty SMILES|molecule has no atoms",
    "invalid_smiles": r"RDKit could not parse the SMILES syntax",
    "sanitization_error": (
        r"Explicit valence for atom # \d+ \w+, \d+, is greater than permitted"
        r"|Can't kekulize mol\.  Unkekulized atoms:( \d+)+"
        r"|non-ring atom \d+ marked aromatic"
    ),
    "too_many_atoms": r"(?P<n>\d+) heavy atoms exceeds the limit of 200",
    "invalid_record": r"RDKit could not read the molblock",
    "standardization_failed": r"Explicit valence for atom # \d+ \w+, \d+, is greater than permitted",
}

VALID = ("valid", "")
EMPTY = ("empty", "empty SMILES")
UNPARSABLE = ("invalid_smiles", "RDKit could not parse the SMILES syntax")
UNREADABLE = ("invalid_record", "RDKit could not read the molblock")
KEKULIZE = ("sanitization_error", "Can't kekulize mol.  Unkekulized atoms: 0 1 2 3 4")

#: Hand-written SMILES inputs (one per line), shared by the smiles, standardize and featurize
#: targets: name -> (state, error) of every line.
MOLECULES = {
    "aromatic_n": [VALID, KEKULIZE],  # pyrrole with its [nH], then without: cannot be kekulized
    "aspirin": [VALID],
    "bad_arom": [KEKULIZE],  # five-membered all-carbon "aromatic" ring
    "cxsmiles": [VALID],  # the |&1:1| extension is read and dropped
    "dummy_atoms": [VALID],
    "empty_lines": [EMPTY] * 4,
    "ez": [VALID],
    "huge_ring_closure": [VALID],  # a 42-membered ring, under the atom limit
    "hydrogens_only": [VALID],
    "isotope_charge": [VALID],
    "long_chain": [("too_many_atoms", "300 heavy atoms exceeds the limit of 200")],
    "metal": [VALID],
    "multi": [VALID, UNPARSABLE, EMPTY, VALID, UNPARSABLE],
    "nul_bytes": [UNPARSABLE],
    "pentavalent": [("sanitization_error", "Explicit valence for atom # 0 C, 5, is greater than permitted")],
    "reaction": [UNPARSABLE],  # reaction SMILES are not molecules
    "ring_pct": [VALID],
    "salt": [VALID],
    "tautomer": [VALID, VALID],
    "unclosed": [UNPARSABLE],  # ring bond 1 never closed
    "zwitterion": [VALID],
}
#: Parses, but the standardizer's cleanup raises (a quaternary N that sanitization accepted).
STANDARDIZE_ONLY = {
    "query_bond_cleanup_raises": [("standardization_failed", "Explicit valence for atom # 6 N, 4, is greater than permitted"), EMPTY],
}
#: What the default standardizer makes of the valid hand-written molecules.
STANDARDIZED = {
    "salt": "CN1CCC[C@H]1c1cccnc1",  # largest fragment: the HCl goes
    "zwitterion": "NCC(=O)O",  # neutralized
    "metal": "[Fe+3]",  # largest fragment of three ions
    "isotope_charge": "C[N+](C)(C)[13CH3]",  # heavy water goes; isotope and quaternary N stay
    "cxsmiles": "C[C@H](O)F",
    "ring_pct": "C1CCCCC1",
    "dummy_atoms": "*c1ccccc1[*:1]",
    "hydrogens_only": "[H][H]",
}

SDF = {
    "big_count": [UNREADABLE],  # counts line declares 999 atoms, the block has 3
    "broken": [UNREADABLE],  # declares 2 atoms, lists 1
    "mixed": [VALID, UNREADABLE, ("sanitization_error", "Explicit valence for atom # 2 F, 2, is greater than permitted"), VALID],
    "no_terminator": [VALID],  # last record without $$$$ still counts
    "props_only": [UNREADABLE],
    "unicode_digit_counts": [UNREADABLE, UNREADABLE],  # non-ASCII digits in the counts are not counts
    "v3000": [VALID],
    "valence": [("sanitization_error", "Explicit valence for atom # 2 F, 2, is greater than permitted")],
    "valid": [VALID],
}

#: name -> (label, rows) for tables that read, or (label, message) for ones that end in an
#: error; ``<input>`` stands for the file's path and ``...`` for any text.
TABLES = {
    "csv": ("rows", [VALID, UNPARSABLE, EMPTY, VALID]),
    "csv_gz": ("rows", [VALID, UNPARSABLE, EMPTY, VALID]),
    "tsv": ("rows", [VALID, UNPARSABLE, EMPTY, VALID]),
    "parquet": ("rows", [VALID, UNPARSABLE, EMPTY]),
    "sdf": ("rows", [VALID]),
    "slow_unit_under_load_sdf": ("rows", [UNREADABLE]),
    "header_only": ("DataFileError", "<input>: file has no data rows"),
    "latin1": ("DataFileError", "<input>: not valid UTF-8 text (invalid continuation byte); re-save it as UTF-8"),
    "utf16": ("DataFileError", "<input>: not valid UTF-8 text (invalid start byte); re-save it as UTF-8"),
    "sdf_gz_raw_truncated": (
        "DataFileError",
        "<input>: truncated or corrupt gzip data (Compressed file ended before the end-of-stream marker was reached)",
    ),
    "parquet_bad_pandas_metadata": ("DataFileError", "<input>: corrupt or unreadable Parquet file (KeyError: 'numpy_type')"),
    "parquet_invalid_utf8": (
        "DataFileError",
        "<input>: corrupt Parquet file: column 'smiles' holds invalid data (...Invalid UTF8 sequence at string index 1)",
    ),
    "parquet_truncated": ("DataFileError", "<input>: corrupt or unreadable Parquet file (...magic bytes not found in footer...)"),
    "quote": ("DataFileError", "<input>: malformed delimited file (...EOF inside string starting at row 2)"),
    "ragged": ("DataFileError", "<input>: line 2 has 3 fields but the header has 2; check the separator (--sep) and the quoting"),
    "smi": (
        "ValueError(column)",
        "target column 'id' has 2 non-numeric value(s) in data rows 1 ('ethanol'), 3 ('broken'); leave a cell blank for a missing label",
    ),
    "target_text": (
        "ValueError(column)",
        "target column 'y' has 1 non-numeric value(s) in data rows 1 ('active'); leave a cell blank for a missing label",
    ),
    "fuzz_datafileerror_7e15bb5c": ("DataFileError", "<input>: file is empty (no header and no data rows)"),  # gzipped nothing
    "fuzz_datafileerror_80f1a43e": ("DataFileError", "<input>: corrupt or unreadable Parquet file (...magic bytes not found in footer...)"),
    "fuzz_datafileerror_b6589fc6": ("DataFileError", "<input>: file is empty (0 bytes)"),
    "fuzz_valueerror_column_94ca7069": (
        "ValueError(column)",
        "target column 'id' has 1 non-numeric value(s) in data rows 1 ('\\x00\\x00'); leave a cell blank for a missing label",
    ),
    "fuzz_valueerror_column_b801c342": (
        "ValueError(column)",
        "target column 'id' has 35 non-numeric value(s) in data rows 1 (...); leave a cell blank for a missing label",
    ),
    "fuzz_valueerror_column_e3d24260": (
        "ValueError(column)",
        "target column 'i' has 1 non-numeric value(s) in data rows 1 ('acve'); leave a cell blank for a missing label",
    ),
}

CONFIGS = {
    "json": ("valid", 1),
    "toml": ("valid", 2),
    "yaml": ("valid", 1),
    "fuzz_valid_d536ebbd": ("valid", 1),
    "json_nan": ("ConfigError", "<input>: objectives[0].weight: must be a finite number > 0, got nan"),
    "toml_bad": ("ConfigError", "<input>: invalid TOML: Expected ']]' at the end of an array declaration (at line 1, column 13)"),
    "unknown_key": ("ConfigError", "<input>: colour: unknown key; valid keys: aggregation, objectives"),
    "wrong_type": ("ConfigError", "<input>: objectives[0].weight: expected a number, got str 'heavy'"),
    # 16 aliased copies are expanded (no bomb at this size) and refused as an unknown key
    "yaml_anchor_bomb": ("ConfigError", "<input>: a: unknown key; valid keys: aggregation, objectives"),
    # never constructed, never run
    "yaml_python_tag": (
        "ConfigError",
        "<input>: invalid YAML: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'...",
    ),
    "fuzz_configerror_0ad052dd": ("ConfigError", "<input>: invalid JSON: Expecting value: line 1 column 1 (char 0)"),
    "fuzz_configerror_643b63d0": ("ConfigError", "<input>: objectives[1].transform.kind: required key missing"),
    "fuzz_configerror_bf8b4530": ("ConfigError", "<input>: expected a table at the top level, got NoneType"),
}

EXPECTED = {
    "smiles": MOLECULES,
    "standardize": {**MOLECULES, **STANDARDIZE_ONLY},
    "featurize": MOLECULES,
    "sdf": SDF,
    "table": TABLES,
    "config": CONFIGS,
}


def _matches(pattern: str, text: str) -> bool:
    """``pattern`` equals ``text``, where each ``...`` in ``pattern`` stands for any text."""
    return re.fullmatch(".*".join(map(re.escape, pattern.split("..."))), text, re.S) is not None


def _label_from_name(target: str, name: str) -> str | None:
    """The outcome a fuzzer-saved file was filed under (``fuzz_<outcome>_<hash>``)."""
    match = re.fullmatch(r"fuzz_(.+)_[0-9a-f]{8}", name)
    if match is None:
        return None
    outcome = match.group(1)
    if target == "sdf":
        n = int(outcome.split("_")[0])
        return f"{n} records" if n < 3 else "3+ records"
    return {"datafileerror": "DataFileError", "valueerror_column": "ValueError(column)", "configerror": "ConfigError"}.get(outcome, outcome)


def _run(target: str, data: bytes, tmp_path):
    kwargs = {"folder": tmp_path} if target in ("table", "config") else {}
    return fuzz.TARGET_FUNCTIONS[target](data, **kwargs)


def test_corpus_covers_every_target():
    assert {target for target, _ in CORPUS_FILES} == set(fuzz.TARGETS)


def test_every_corpus_file_has_an_expected_outcome():
    """A hand-written corpus file needs its outcome written out here; a fuzzer-saved one names it."""
    unexplained = [f"{t}/{n}" for t, n in CORPUS_FILES if n not in EXPECTED[t] and _label_from_name(t, n) is None]
    assert unexplained == []
    stale = [f"{t}/{n}" for t, names in EXPECTED.items() for n in names if not (CORPUS / t / n).is_file()]
    assert stale == []


@pytest.mark.parametrize("target, name", CORPUS_FILES)
def test_corpus_input(target, name, tmp_path):
    outcome = _run(target, (CORPUS / target / name).read_bytes(), tmp_path)
    if (label := _label_from_name(target, name)) is not None:
        assert outcome.label == label
    for state, error in zip(outcome.states, outcome.errors):
        if state == "valid":
            assert error == ""
            continue
        match = re.fullmatch(ROW_ERRORS[state], error)
        assert match, f"state {state!r} with error {error!r}"
        if state == "too_many_atoms":
            assert int(match["n"]) > 200
    expected = EXPECTED[target].get(name)
    if expected is None:
        return
    if target in ("table", "config"):
        label, detail = expected
        assert outcome.label == label
        if isinstance(detail, int):  # a valid config: one row per objective
            assert outcome.states == ("valid",) * detail
        elif isinstance(detail, list):
            assert list(zip(outcome.states, outcome.errors)) == detail
        else:
            assert outcome.states == () and len(outcome.errors) == 1
            assert _matches(detail, outcome.errors[0]), f"{outcome.errors[0]!r} does not match {detail!r}"
    else:
        assert list(zip(outcome.states, outcome.errors)) == expected


def test_standardized_corpus_molecules():
    from molgen.chem import clean_smiles

    names = sorted(STANDARDIZED)
    first_lines = [(CORPUS / "standardize" / name).read_text().split("\n")[0] for name in names]
    table = clean_smiles(first_lines)
    assert dict(zip(names, table["smiles"])) == STANDARDIZED
    assert (table["state"] == "valid").all()


def _mutate(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(4)
        pos = rng.randrange(len(data) + 1)
        if op == 0 and data:
            del data[pos % len(data)]
        elif op == 1:
            data.insert(pos, rng.randrange(256))
        elif op == 2 and data:
            data[pos % len(data)] = rng.choice(b'()[]=#@+-.%0123456789cCnNoO\n,\t"$>< ')
        else:
            start = rng.randrange(len(data) + 1)
            data[pos:pos] = data[start : start + rng.randint(1, 16)]
    return bytes(data)


@pytest.mark.parametrize("target", fuzz.TARGETS)
def test_short_mutation_pass(target, tmp_path):
    """200 mutated corpus inputs per target (seeded): same contract as the long runs."""
    rng = random.Random(f"molgen-{target}")
    seeds = [p.read_bytes() for p in sorted((CORPUS / target).iterdir())]
    for _ in range(200):
        data = _mutate(rng, rng.choice(seeds))
        try:
            _run(target, data, tmp_path)
        except Exception as err:
            raise AssertionError(f"{target} broke on {data!r}: {type(err).__name__}: {err}") from err
