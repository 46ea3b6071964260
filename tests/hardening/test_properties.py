"""Property-based tests (hypothesis) of the input layer: alignment, states, typed errors, round trips."""

import csv
import gzip
import math

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from molgen.chem import MolState, clean_smiles, parse_smiles_batch
from molgen.data import DataFileError, read_table
from molgen.featurize import graphs_from_smiles, morgan_fingerprints
from molgen.scoring.config import ConfigError, ScorerConfig

STATES = {s.value for s in MolState}
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

smiles_like = st.text(alphabet="CNOSFclnos()=#123[]@+-H.%/\\*:0 ", max_size=40)
any_text = st.one_of(st.none(), st.floats(), st.text(max_size=60), smiles_like)


@FAST
@given(st.lists(any_text, max_size=12))
def test_batches_are_aligned_and_agree(items):
    parsed = parse_smiles_batch(items)
    graphs = graphs_from_smiles(items)
    fps = morgan_fingerprints(items, n_bits=64)
    cleaned = clean_smiles(items, standardizer=None, with_inchikey=False)
    assert len(parsed) == len(graphs) == len(fps) == len(cleaned) == len(items)
    assert set(parsed.states) <= STATES
    assert parsed.states == graphs.states == fps.states == cleaned["state"].tolist()
    for mol, state, error in zip(parsed.mols, parsed.states, parsed.errors):
        assert (mol is None) == (state != "valid") and (error == "") == (state == "valid")


@FAST
@given(st.lists(smiles_like, min_size=1, max_size=8))
def test_canonical_smiles_read_back(items):
    cleaned = clean_smiles(items)
    valid = cleaned[cleaned["state"] == "valid"]
    again = clean_smiles(valid["smiles"].tolist())
    assert again["state"].tolist() == ["valid"] * len(valid)


cell = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=20)


@FAST
@given(
    st.lists(st.tuples(cell, cell), min_size=1, max_size=6),
    st.sampled_from(["csv", "tsv", "csv.gz", "tsv.gz", "parquet"]),
)
def test_table_round_trip(tmp_path_factory, rows, fmt):
    """Text cells come back exactly as written, whatever they hold (quotes, separators, CR/LF)."""
    frame = pd.DataFrame(rows, columns=["smiles", "id"], dtype=str)
    path = tmp_path_factory.mktemp("roundtrip") / f"table.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        # Quote every cell, as spreadsheet exports do (pandas leaves a bare "\r" unquoted otherwise).
        sep = "\t" if fmt.startswith("tsv") else ","
        frame.to_csv(path, sep=sep, index=False, quoting=csv.QUOTE_ALL, compression="gzip" if fmt.endswith("gz") else None)
    back = read_table(path)
    assert back["smiles"].tolist() == frame["smiles"].tolist() and back["id"].tolist() == frame["id"].tolist()


@FAST
@given(st.binary(max_size=300), st.sampled_from(["csv", "tsv", "smi", "sdf", "csv.gz", "smi.gz"]))
def test_random_bytes_read_or_one_typed_error(tmp_path_factory, data, fmt):
    path = tmp_path_factory.mktemp("bytes") / f"input.{fmt}"
    path.write_bytes(gzip.compress(data) if fmt.endswith(".gz") else data)
    try:
        frame = read_table(path)
    except DataFileError as err:
        assert str(path) in str(err) and "\n" not in str(err).strip()
    else:
        assert len(frame) > 0


json_value = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
objective = st.fixed_dictionaries(
    {
        "name": st.one_of(st.text(max_size=8), json_value),
        "kind": st.sampled_from(["qed", "sa", "mw", "logp", "tpsa", "descriptor", "alerts", "similarity", "model", "qedd", 3]),
    },
    optional={
        "weight": st.one_of(st.floats(), st.integers(), json_value),
        "transform": st.one_of(
            st.sampled_from(["identity", "sigmoid"]),
            st.fixed_dictionaries(
                {"kind": st.sampled_from(["sigmoid", "step", "clip", "double_sigmoid", "reverse_sigmoid"])},
                optional={"low": json_value, "high": json_value},
            ),
            json_value,
        ),
        "extra": json_value,
    },
)
config = st.one_of(
    json_value,
    st.fixed_dictionaries({"objectives": st.lists(objective, max_size=3)}, optional={"aggregation": json_value}),
)


@settings(max_examples=300, deadline=None)
@given(config)
def test_config_validates_or_raises_config_error(data):
    try:
        parsed = ScorerConfig.from_dict(data, source="fuzz.toml")
    except ConfigError as err:
        assert str(err).startswith("fuzz.toml: ") and err.message
    else:
        assert parsed.objectives and all(o.weight > 0 and math.isfinite(o.weight) for o in parsed.objectives)
        assert ScorerConfig.from_dict(parsed.to_dict(), source="again") == parsed
