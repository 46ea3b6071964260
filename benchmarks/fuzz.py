"""Coverage-guided fuzzing of molgen's input readers with atheris (libFuzzer for Python).

Targets (each one fuzz-runs in its own process; the functions live in
``tests/hardening/fuzz_targets.py``, shared with the test suite):

``smiles``       ``parse_smiles`` and ``parse_smiles_batch`` (alignment, states)
``sdf``          ``iter_sdf`` on the fuzzed text of an SDF file
``standardize``  ``clean_smiles`` (default standardizer); one valid input in 8 also with tautomers
``featurize``    ``graphs_from_smiles`` and ``morgan_fingerprints`` (alignment, shapes)
``table``        ``read_table`` + ``MoleculeTable.from_frame`` on CSV/TSV/SMI/SDF/Parquet,
                 plain or gzipped (the first input byte picks the format)
``config``       ``read_config_file`` + ``load_config`` on TOML/YAML/JSON scorer configs

Every input must end as rows that each carry a known state, or as ONE typed error of the
library (``InvalidMoleculeError``, ``DataFileError``, ``ColumnError``, the documented
``ValueError`` of a bad target column, ``ConfigError``). Anything else is a crash and stops
the run with the input saved. libFuzzer's ``-timeout`` (per input) and ``-rss_limit_mb``
catch hangs and unbounded memory.

Usage::

    python benchmarks/fuzz.py                           # all targets, 100,000 inputs each
    python benchmarks/fuzz.py --runs 2000 --targets smiles sdf --no-write
    python benchmarks/fuzz.py --worker smiles -- -runs=1000 CORPUS_DIR   # one libFuzzer run

The seed corpus is ``tests/fuzz_corpus/<target>/``; ``tests/hardening/test_fuzz_corpus.py``
replays it (and a short random pass) through the same target functions in the test suite and
checks each file's expected states and errors. A crash input worth keeping goes into the corpus
as ``fuzz_<outcome>_<hash>`` once fixed (the outcome a target returns as its ``label``).
Results go to ``BENCHMARKS.md`` (section "Fuzzing") unless ``--no-write``.
"""

import argparse
import collections
import datetime
import io
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fuzz_corpus"
SECTION = "Fuzzing"
#: Longest input per target (bytes); standardization (with InChI) is the slowest per
#: molecule, so its inputs hold a few SMILES rather than a hundred.
MAX_LEN = {"standardize": 512}
DEFAULT_MAX_LEN = 4096

# The targets are shared with the test suite, which replays the corpus through them.
sys.path.insert(0, str(ROOT / "tests" / "hardening"))
from fuzz_targets import TARGET_FUNCTIONS, TARGETS  # noqa: E402

# --------------------------------------------------------------------------- pathological molecules


def _random_regular(n: int, degree: int, seed: int = 0) -> str:
    """SMILES of a random ``degree``-regular carbon graph: a dense, deep ring system."""
    import random

    from rdkit import Chem

    rng = random.Random(seed)
    stubs = [i for i in range(n) for _ in range(degree)]
    while True:
        rng.shuffle(stubs)
        pairs = list(zip(stubs[::2], stubs[1::2]))
        if all(a != b for a, b in pairs) and len({tuple(sorted(p)) for p in pairs}) == len(pairs):
            break
    mol = Chem.RWMol()
    for _ in range(n):
        mol.AddAtom(Chem.Atom(6))
    for a, b in pairs:
        mol.AddBond(a, b, Chem.BondType.SINGLE)
    return Chem.MolToSmiles(mol.GetMol())


def _v3000_chain(n: int) -> str:
    atoms = "".join(f"M  V30 {i + 1} C 0 0 0 0\n" for i in range(n))
    bonds = "".join(f"M  V30 {i + 1} 1 {i + 1} {i + 2}\n" for i in range(n - 1))
    return (
        "chain\n  molgen\n\n  0  0  0  0  0  0  0  0  0  0999 V3000\nM  V30 BEGIN CTAB\n"
        f"M  V30 COUNTS {n} {n - 1} 0 0 0\nM  V30 BEGIN ATOM\n{atoms}M  V30 END ATOM\nM  V30 BEGIN BOND\n"
        f"{bonds}M  V30 END BOND\nM  V30 END CTAB\nM  END\n$$$$\n"
    )


def pathological_cases() -> dict:
    """name -> SMILES: the largest inputs the default limits let through, and some they refuse."""
    return {
        "1,000,000-character chain (refused)": "C" * 1_000_000,
        "5,000-atom macrocycle (refused)": "C1" + "C" * 4998 + "1",
        "4,997 characters of H2 fragments (refused)": ".".join(["[H][H]"] * 714),
        "400 hydrogen atoms as 200 H2 fragments": ".".join(["[H][H]"] * 200),
        "200-atom macrocycle": "C1" + "C" * 198 + "1",
        "200-atom random 4-regular graph (deep ring system)": _random_regular(200, 4),
        "200-atom random 3-regular graph": _random_regular(200, 3),
        "190 stereocentres": "C" + "".join("[C@H](O)" if i % 2 else "[C@@H](N)" for i in range(95)) + "C",
        "polyketone, 3,000 tautomer steps": "O=C1CC(=O)CC(=O)CC(=O)CC(=O)CC(=O)CC(=O)CC(=O)C1",
    }


def pathological_timings() -> list[dict]:
    """Seconds per stage for each pathological molecule (one molecule per call, best of 3)."""
    from molgen.chem import Standardizer, clean_smiles, iter_sdf, parse_smiles_batch
    from molgen.featurize import graphs_from_smiles, morgan_fingerprints
    from molgen.scoring import Scorer

    scorer = Scorer.from_config(
        {
            "objectives": [
                {"name": "qed", "kind": "qed"},
                {"name": "sa", "kind": "sa", "transform": {"kind": "reverse_sigmoid", "low": 2, "high": 6}},
            ]
        }
    )
    tautomers = Standardizer(canonical_tautomer=True)
    stages = {
        "parse": lambda s: parse_smiles_batch([s]).states[0],
        "standardize": lambda s: clean_smiles([s])["state"].iloc[0],
        "tautomer": lambda s: clean_smiles([s], standardizer=tautomers)["state"].iloc[0],
        "graph": lambda s: graphs_from_smiles([s]).states[0],
        "fingerprint": lambda s: morgan_fingerprints([s]).states[0],
        "score (QED+SA)": lambda s: scorer.score([s])["state"].iloc[0],
    }
    rows = []
    for name, smiles in pathological_cases().items():
        row = {"case": name, "chars": len(smiles)}
        for stage, run in stages.items():
            best = math.inf
            for _ in range(3):
                t0 = time.perf_counter()
                row["state"] = run(smiles)
                best = min(best, time.perf_counter() - t0)
            row[stage] = round(best, 3)
        rows.append(row)
    for n in (999, 2000, 5000):
        text = _v3000_chain(n)
        t0 = time.perf_counter()
        record = next(iter_sdf(io.StringIO(text), max_heavy_atoms=None))
        rows.append(
            {
                "case": f"SDF V3000 record of {n:,} atoms (read_table's settings)",
                "chars": len(text),
                "state": record.state,
                "parse": round(time.perf_counter() - t0, 3),
            }
        )
    return rows


# --------------------------------------------------------------------------- worker


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _scratch(stats_path: Path) -> Path:
    """A worker's scratch folder for input files (in memory where /dev/shm exists).

    libFuzzer ends the worker with ``exit()``, so the worker cannot clean up after
    itself; the driver removes this folder when the worker has exited.
    """
    base = Path("/dev/shm") if os.path.isdir("/dev/shm") else Path(tempfile.gettempdir())
    return base / f"molgen-fuzz-{zlib.crc32(str(stats_path.resolve()).encode()):08x}-{stats_path.stem}"


def run_worker(target: str, libfuzzer_args: list[str], stats_path: Path, runs: int) -> None:
    """One libFuzzer run of ``target``; writes counts and memory figures to ``stats_path``."""
    import atheris

    with atheris.instrument_imports(include=["molgen"]):
        import molgen.chem  # noqa: F401
        import molgen.data  # noqa: F401
        import molgen.featurize  # noqa: F401
        import molgen.scoring  # noqa: F401

    function = TARGET_FUNCTIONS[target]
    scratch = _scratch(stats_path)
    scratch.mkdir(parents=True, exist_ok=True)
    kwargs = {"folder": scratch} if target in ("table", "config") else {}
    outcomes: collections.Counter = collections.Counter()
    state = {"n": 0, "start": time.time(), "rss_start": None, "slowest": 0.0}

    def dump() -> None:
        stats = {
            "target": target,
            "inputs": state["n"],
            "outcomes": dict(outcomes.most_common()),
            "seconds": round(time.time() - state["start"], 1),
            "slowest_input_s": round(state["slowest"], 3),
            "rss_after_1000_mb": state["rss_start"],
            "rss_end_mb": round(_rss_mb(), 1),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        tmp = stats_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stats, indent=2))
        os.replace(tmp, stats_path)

    def one_input(data: bytes) -> None:
        t0 = time.perf_counter()
        outcomes[function(data, **kwargs).label] += 1
        state["slowest"] = max(state["slowest"], time.perf_counter() - t0)
        state["n"] += 1
        if state["n"] == 1000:
            state["rss_start"] = round(_rss_mb(), 1)
        if state["n"] % 5000 == 0 or state["n"] >= runs:
            dump()

    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input)
    try:
        atheris.Fuzz()
    finally:
        dump()
        shutil.rmtree(scratch, ignore_errors=True)


# --------------------------------------------------------------------------- driver


def fuzz_target(target: str, runs: int, timeout: int, rss_limit_mb: int, workdir: Path, jobs: int = 1) -> dict:
    """Fuzz ``target`` with ``jobs`` libFuzzer processes (distinct seeds, one shared corpus)."""
    corpus = workdir / target / "corpus"
    artifacts = workdir / target / "artifacts"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    seeds = CORPUS / target
    share = [runs // jobs + (1 if i < runs % jobs else 0) for i in range(jobs)]
    processes = []
    t0 = time.time()
    for job, job_runs in enumerate(share):
        stats_path = workdir / target / f"stats_{job}.json"
        command = [
            sys.executable,
            __file__,
            "--worker",
            target,
            "--runs",
            str(job_runs),
            "--stats",
            str(stats_path),
            "--",
            f"-runs={job_runs}",
            f"-seed={job + 1}",
            f"-timeout={timeout}",
            f"-rss_limit_mb={rss_limit_mb}",
            f"-max_len={MAX_LEN.get(target, DEFAULT_MAX_LEN)}",
            f"-artifact_prefix={artifacts}/",
            "-print_final_stats=1",
            str(corpus),
        ] + ([str(seeds)] if seeds.is_dir() else [])
        log = open(workdir / target / f"libfuzzer_{job}.log", "w")
        processes.append((subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT), stats_path, log))
    stats = {"target": target, "jobs": jobs, "inputs": 0, "outcomes": collections.Counter(), "exit_code": 0}
    for process, stats_path, log in processes:
        code = process.wait()
        log.close()
        shutil.rmtree(_scratch(stats_path), ignore_errors=True)
        part = json.loads(stats_path.read_text()) if stats_path.exists() else {}
        stats["inputs"] += part.get("inputs", 0)
        stats["outcomes"].update(part.get("outcomes", {}))
        for key in ("slowest_input_s", "rss_after_1000_mb", "rss_end_mb", "max_rss_mb"):
            if part.get(key) is not None:
                stats[key] = max(stats.get(key) or 0, part[key])
        stats["exit_code"] = stats["exit_code"] or code
        if code != 0:
            stats["log_tail"] = Path(log.name).read_text()[-3000:]
    stats["outcomes"] = dict(stats["outcomes"].most_common())
    stats["wall_s"] = round(time.time() - t0, 1)
    found = sorted(p.name for p in artifacts.iterdir())
    # libFuzzer also saves inputs slower than 10 s wall ("slow-unit-"): a report, not a failure
    # (on a loaded machine ordinary inputs get there); crashes, timeouts and OOMs fail the run.
    stats["crashes"] = [name for name in found if not name.startswith("slow-unit-")]
    stats["slow_units"] = [name for name in found if name.startswith("slow-unit-")]
    stats["new_corpus_files"] = sum(1 for _ in corpus.iterdir())
    return stats


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS)
    parser.add_argument("--runs", type=int, default=100_000, help="inputs per target (default: %(default)s)")
    parser.add_argument("--timeout", type=int, default=30, help="seconds one input may take (default: %(default)s)")
    parser.add_argument("--rss-limit-mb", type=int, default=4096, help="memory limit per run (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=1, help="libFuzzer processes per target (default: %(default)s)")
    parser.add_argument("--workdir", type=Path, help="keep corpora and crash inputs here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="also write all results to this JSON file")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    parser.add_argument("--results", type=Path, help="skip fuzzing: write the section from a --json file of an earlier run")
    parser.add_argument("--worker", choices=TARGETS, help=argparse.SUPPRESS)
    parser.add_argument("--stats", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("libfuzzer", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        run_worker(args.worker, args.libfuzzer, args.stats, args.runs)
        return 0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="molgen-fuzz-"))
    results = []
    if args.results:
        saved = json.loads(args.results.read_text())
        results = saved["fuzz"] if isinstance(saved, dict) else saved
        args.targets = [r["target"] for r in results]
    for target in args.targets if not args.results else []:
        stats = fuzz_target(target, args.runs, args.timeout, args.rss_limit_mb, workdir, args.jobs)
        results.append(stats)
        print(json.dumps({k: v for k, v in stats.items() if k != "log_tail"}), flush=True)
        if stats.get("log_tail"):
            print(stats["log_tail"], file=sys.stderr)
    timings = pathological_timings()
    for row in timings:
        print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"fuzz": results, "pathological": timings}, indent=2))
    if not args.no_write:
        write_section(results, timings, args)
    ok = all(r["exit_code"] == 0 and not r["crashes"] and r.get("inputs", 0) >= args.runs for r in results)
    return 0 if ok else 1


def write_section(results: list[dict], timings: list[dict], args) -> None:
    import rdkit

    import molgen

    lines = [
        f"## {SECTION}",
        "",
        "Coverage-guided fuzzing with atheris (libFuzzer) of every input reader; each input must end as rows "
        "with a known state or as one typed molgen error. `-timeout` per input and `-rss_limit_mb` stop a run "
        "on a hang or runaway memory; none did.",
        "",
        "| target | inputs | crashes, hangs, OOM | slow-unit reports | wall s | slowest input s | RSS after 1,000 MB | RSS at end MB | peak RSS MB | outcomes | processes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        outcomes = ", ".join(f"{k} {v:,}" for k, v in list(r.get("outcomes", {}).items())[:6])
        lines.append(
            f"| {r['target']} | {r.get('inputs', 0):,} | {len(r['crashes'])} | {len(r.get('slow_units', []))} | {r['wall_s']} | "
            f"{r.get('slowest_input_s', math.nan)} | {r.get('rss_after_1000_mb')} | {r.get('rss_end_mb')} | "
            f"{r.get('max_rss_mb')} | {outcomes} | {r.get('note', r.get('jobs', 1))} |"
        )
    stages = ["parse", "standardize", "tautomer", "graph", "fingerprint", "score (QED+SA)"]
    lines += [
        "",
        "Pathological molecules, one per call, seconds (best of 3); the state is the row's outcome. Inputs over "
        "the limits are refused before the costly step; the largest ones the limits let through stay under a second.",
        "",
        "| case | characters | state | " + " | ".join(stages) + " |",
        "|---|---:|---|" + "---:|" * len(stages),
    ]
    for row in timings:
        cells = " | ".join(str(row.get(stage, "")) for stage in stages)
        lines.append(f"| {row['case']} | {row['chars']:,} | {row['state']} | {cells} |")
    lines += [
        "",
        f"Limits: `-timeout={args.timeout}` s per input, `-rss_limit_mb={args.rss_limit_mb}`, `-max_len={DEFAULT_MAX_LEN}` bytes "
        f"({', '.join(f'{k}: {v}' for k, v in MAX_LEN.items())}); "
        "seeds from `tests/fuzz_corpus/<target>/`. The table target writes each input as a file (format from "
        "its first byte: CSV/TSV/SMI/SDF/Parquet, plain or gzipped) to /dev/shm and reads it back.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores (shared with other jobs), Python "
        f"{platform.python_version()}, RDKit {rdkit.__version__}, molgen {molgen.__version__}. "
        f"Date: {datetime.date.today().isoformat()}.",
        "",
        "Command:",
        "",
        "```",
        f"python benchmarks/fuzz.py --runs {args.runs}"
        + (f" --targets {' '.join(args.targets)}" if list(args.targets) != list(TARGETS) else ""),
        "```",
        "",
    ]
    _replace_section(ROOT / "BENCHMARKS.md", SECTION, "\n".join(lines))


def _replace_section(path: Path, title: str, text: str) -> None:
    """Replace the ``## title`` section of ``path`` (up to the next ``## ``), or append it."""
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    start = old.find(f"\n## {title}\n")
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = old.find("\n## ", start + 1)
        new = old[: start + 1] + text + (old[end:] if end >= 0 else "")
    path.write_text(new.rstrip("\n") + "\n")


if __name__ == "__main__":
    sys.exit(main())
