"""Fuzz targets for molgen's input readers, shared by the tests and the long fuzz runs.

``tests/hardening/test_fuzz_corpus.py`` replays ``tests/fuzz_corpus/<target>/`` through
these functions (and a short seeded mutation pass); ``benchmarks/fuzz.py`` runs them under
atheris (libFuzzer) for hours. Neither the tests nor the library import ``benchmarks/``.

Each target takes the raw input bytes and returns an :class:`Outcome`, raising
:class:`FuzzFailure` only when an input breaks a contract: rows that do not line up with
the input, an unknown state, a state without an error (or an error on a valid row), or an
exception that is not one of the library's typed errors (``InvalidMoleculeError``,
``DataFileError``, ``ColumnError``, the documented ``ValueError`` of a bad target column,
``ConfigError``).

``smiles``       ``parse_smiles`` and ``parse_smiles_batch`` (alignment, states)
``sdf``          ``iter_sdf`` on the fuzzed text of an SDF file
``standardize``  ``clean_smiles`` (default standardizer); one valid input in 8 also with tautomers
``featurize``    ``graphs_from_smiles`` and ``morgan_fingerprints`` (alignment, shapes)
``table``        ``read_table`` + ``MoleculeTable.from_frame`` on CSV/TSV/SMI/SDF/Parquet,
                 plain or gzipped (the first input byte picks the format)
``config``       ``read_config_file`` + ``load_config`` on TOML/YAML/JSON scorer configs
"""

import gzip
import io
import tempfile
import zlib
from pathlib import Path
from typing import NamedTuple

TARGETS = ("smiles", "sdf", "standardize", "featurize", "table", "config")

#: Formats of the ``table`` target, picked by the first input byte.
TABLE_SUFFIXES = (".csv", ".tsv", ".smi", ".sdf", ".parquet", ".csv.gz", ".tsv.gz", ".smi.gz", ".sdf.gz")
#: One valid input in this many (by checksum) also gets the canonical-tautomer search.
TAUTOMER_SHARE = 8
#: Formats of the ``config`` target, picked by the first input byte.
CONFIG_SUFFIXES = (".toml", ".yaml", ".json")


class FuzzFailure(AssertionError):
    """An input broke a contract (misaligned output, unknown state, wrong shape)."""


class Outcome(NamedTuple):
    """What one input ended as.

    ``label`` is a short name for counting outcomes (the first row's state, a record count,
    an error type or ``"rows"``); ``states`` and ``errors`` hold one entry per output row, or,
    when the input ended as one typed error, no states and that error's message.
    """

    label: str
    states: tuple = ()
    errors: tuple = ()


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _check_states(states, errors, n: int, what: str) -> None:
    from molgen.chem import MolState

    known = {s.value for s in MolState}
    if len(states) != n or len(errors) != n:
        raise FuzzFailure(f"{what}: {len(states)} states / {len(errors)} errors for {n} inputs")
    for state, error in zip(states, errors):
        if state not in known:
            raise FuzzFailure(f"{what}: unknown state {state!r}")
        if (state == "valid") != (error == ""):
            raise FuzzFailure(f"{what}: state {state!r} with error {error!r}")


def target_smiles(data: bytes) -> Outcome:
    from molgen.chem import InvalidMoleculeError, parse_smiles, parse_smiles_batch

    parts = _text(data).split("\n")
    batch = parse_smiles_batch(parts)
    _check_states(batch.states, batch.errors, len(parts), "parse_smiles_batch")
    if any((m is None) != (s != "valid") for m, s in zip(batch.mols, batch.states)):
        raise FuzzFailure("parse_smiles_batch: molecule present on a failed row or missing on a valid one")
    outcome = Outcome(batch.states[0], tuple(batch.states), tuple(batch.errors))
    try:
        parse_smiles(parts[0])
    except InvalidMoleculeError as err:
        if err.state.value != batch.states[0]:
            raise FuzzFailure(f"parse_smiles says {err.state.value}, the batch says {batch.states[0]}") from None
        return outcome
    if batch.states[0] != "valid":
        raise FuzzFailure("parse_smiles accepted what the batch refused")
    return outcome


def target_sdf(data: bytes) -> Outcome:
    from molgen.chem import MolState, iter_sdf

    records = list(iter_sdf(io.StringIO(_text(data))))
    known = {s.value for s in MolState}
    for i, record in enumerate(records):
        if record.index != i or record.state not in known or (record.mol is None) != (record.state != "valid"):
            raise FuzzFailure(f"iter_sdf: record {i} inconsistent ({record.state!r})")
        if (record.state == "valid") != (record.error == ""):
            raise FuzzFailure(f"iter_sdf: record {i} has state {record.state!r} with error {record.error!r}")
        if not isinstance(record.props, dict):
            raise FuzzFailure("iter_sdf: props is not a dict")
    label = f"{len(records)} records" if len(records) < 3 else "3+ records"
    return Outcome(label, tuple(r.state for r in records), tuple(r.error for r in records))


def target_standardize(data: bytes) -> Outcome:
    from molgen.chem import Standardizer, clean_smiles

    parts = _text(data).split("\n")
    table = clean_smiles(parts)
    _check_states(table["state"].tolist(), table["error"].tolist(), len(parts), "clean_smiles")
    valid = table["state"] == "valid"
    if (table["smiles"][valid] == "").any() or (table["smiles"][~valid] != "").any():
        raise FuzzFailure("clean_smiles: smiles column does not follow the state")
    if valid.iloc[0] and zlib.crc32(data) % TAUTOMER_SHARE == 0:  # the tautomer search is slow: a fixed share
        tautomer = clean_smiles(parts[:1], standardizer=Standardizer(canonical_tautomer=True), with_inchikey=False)
        _check_states(tautomer["state"].tolist(), tautomer["error"].tolist(), 1, "canonical tautomer")
    return Outcome(table["state"].iloc[0], tuple(table["state"]), tuple(table["error"]))


def target_featurize(data: bytes) -> Outcome:
    from molgen.featurize import ATOM_FDIM, BOND_FDIM, graphs_from_smiles, morgan_fingerprints

    parts = _text(data).split("\n")
    graphs = graphs_from_smiles(parts)
    _check_states(graphs.states, graphs.errors, len(parts), "graphs_from_smiles")
    for graph, state in zip(graphs.graphs, graphs.states):
        if (graph is None) != (state != "valid"):
            raise FuzzFailure("graphs_from_smiles: graph present on a failed row or missing on a valid one")
        if graph is not None:
            n_edges = graph.edge_index.shape[1]
            if graph.x.shape[1] != ATOM_FDIM or graph.edge_attr.shape != (n_edges, BOND_FDIM) or n_edges % 2:
                raise FuzzFailure("graphs_from_smiles: wrong feature shapes")
            if n_edges and int(graph.edge_index.max()) >= graph.x.shape[0]:
                raise FuzzFailure("graphs_from_smiles: edge to a missing atom")
    fps = morgan_fingerprints(parts, n_bits=256)
    _check_states(fps.states, fps.errors, len(parts), "morgan_fingerprints")
    if fps.array.shape != (len(parts), 256) or fps.states != graphs.states:
        raise FuzzFailure("morgan_fingerprints: shape or states differ from graphs_from_smiles")
    return Outcome(graphs.states[0], tuple(graphs.states), tuple(graphs.errors))


def write_input(data: bytes, suffixes, folder: Path) -> Path:
    """Write ``data[1:]`` to ``folder/input<suffix>``; ``data[0]`` picks the suffix.

    A ``.gz`` suffix gzips the body, unless the body starts with ``!``: then the bytes after
    the ``!`` are written as they are (a truncated or corrupt gzip stream, or no gzip at all),
    to fuzz the gzip reader itself.
    """
    suffix = suffixes[data[0] % len(suffixes)] if data else suffixes[0]
    body = data[1:]
    path = folder / f"input{suffix}"
    if suffix.endswith(".gz"):
        body = body[1:] if body[:1] == b"!" else gzip.compress(body, mtime=0)
    path.write_bytes(body)
    return path


def target_table(data: bytes, folder: Path | None = None) -> Outcome:
    from molgen.data import ColumnError, DataFileError, MoleculeTable, read_table

    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = write_input(data, TABLE_SUFFIXES, Path(tmp))
        try:
            frame = read_table(path)
        except DataFileError as err:
            if str(path) not in str(err):
                raise FuzzFailure(f"DataFileError does not name the file: {err}") from None
            return Outcome("DataFileError", errors=(str(err).replace(str(path), "<input>"),))
        if len(frame) == 0:
            raise FuzzFailure("read_table returned no rows without an error")
        columns = [str(c) for c in frame.columns]
        smiles_col = "smiles" if "smiles" in columns else columns[0]
        targets = [c for c in columns[1:2] if c != smiles_col and not c.startswith("_")]
        try:
            table = MoleculeTable.from_frame(frame.rename(columns=str), smiles_col, targets, standardizer=None)
        except ColumnError as err:
            return Outcome("ColumnError", errors=(str(err),))
        except ValueError as err:
            message = str(err)
            if not any(f"{c!r}" in message for c in columns):
                raise FuzzFailure(f"ValueError does not name a column: {message}") from None
            return Outcome("ValueError(column)", errors=(message,))
        if len(table.frame) != len(frame):
            raise FuzzFailure("MoleculeTable changed the number of rows")
        states, errors = table.frame["state"].tolist(), table.frame["error"].fillna("").tolist()
        _check_states(states, errors, len(frame), "MoleculeTable")
        return Outcome("rows", tuple(states), tuple(errors))


def target_config(data: bytes, folder: Path | None = None) -> Outcome:
    from molgen.scoring import load_config
    from molgen.scoring.config import ConfigError

    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = write_input(data, CONFIG_SUFFIXES, Path(tmp))
        try:
            config = load_config(path)
        except ConfigError as err:
            if not str(err).startswith(str(path)):
                raise FuzzFailure(f"ConfigError does not start with the file: {err}") from None
            return Outcome("ConfigError", errors=(str(err).replace(str(path), "<input>"),))
        if not config.objectives:
            raise FuzzFailure("a config without objectives validated")
        return Outcome("valid", tuple("valid" for _ in config.objectives), tuple("" for _ in config.objectives))


TARGET_FUNCTIONS = {
    "smiles": target_smiles,
    "sdf": target_sdf,
    "standardize": target_standardize,
    "featurize": target_featurize,
    "table": target_table,
    "config": target_config,
}
