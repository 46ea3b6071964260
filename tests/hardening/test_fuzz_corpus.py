"""Replay the fuzz corpus and run a short random pass through the fuzz targets.

The targets live in ``benchmarks/fuzz.py`` (the long atheris runs); each raises only when
an input breaks a contract (misaligned rows, unknown state, an untyped exception).
"""

import importlib.util
import random
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz_corpus"


def _load_fuzz():
    spec = importlib.util.spec_from_file_location("molgen_fuzz_targets", ROOT / "benchmarks" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fuzz = _load_fuzz()

CORPUS_FILES = sorted((p.parent.name, p.name) for p in CORPUS.glob("*/*") if p.is_file())


def test_corpus_covers_every_target():
    assert {target for target, _ in CORPUS_FILES} == set(fuzz.TARGETS)


@pytest.mark.parametrize("target, name", CORPUS_FILES)
def test_corpus_input(target, name, tmp_path):
    function = fuzz.TARGET_FUNCTIONS[target]
    kwargs = {"folder": tmp_path} if target in ("table", "config") else {}
    outcome = function((CORPUS / target / name).read_bytes(), **kwargs)
    assert isinstance(outcome, str) and outcome


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
            data[pos % len(data)] = rng.choice(b"()[]=#@+-.%0123456789cCnNoO\n,\t\"$>< ")
        else:
            start = rng.randrange(len(data) + 1)
            data[pos:pos] = data[start : start + rng.randint(1, 16)]
    return bytes(data)


@pytest.mark.parametrize("target", fuzz.TARGETS)
def test_short_mutation_pass(target, tmp_path):
    """200 mutated corpus inputs per target (seeded): same contract as the long runs."""
    rng = random.Random(f"molgen-{target}")
    seeds = [p.read_bytes() for p in sorted((CORPUS / target).iterdir())]
    function = fuzz.TARGET_FUNCTIONS[target]
    kwargs = {"folder": tmp_path} if target in ("table", "config") else {}
    for _ in range(200):
        data = _mutate(rng, rng.choice(seeds))
        try:
            function(data, **kwargs)
        except Exception as err:
            raise AssertionError(f"{target} broke on {data!r}: {type(err).__name__}: {err}") from err
