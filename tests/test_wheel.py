"""The distribution is self-contained: ``python -m build`` makes an sdist and a wheel, and the wheel,
installed (not editable) into a fresh virtual environment, runs from a folder far from any checkout.

The build runs on a copy of the source tree (so it writes nothing into the checkout) without build
isolation (offline: setuptools comes from this environment), and the wheel is built from the sdist, as
``python -m build`` does, so a file missing from either fails here. The new environment gets no
dependencies from an index: a ``.pth`` file puts this interpreter's site-packages on its path. That is
``--system-site-packages`` for a Python whose packages live in a virtual environment (``venv
--system-site-packages`` would expose the base interpreter's site-packages, which has none), and,
unlike it, a ``.pth`` path line does not run that folder's own ``.pth`` files, so the editable install's
import hook in ``.venv`` stays off and ``import molgen`` finds the wheel's copy (checked).
"""

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: Not part of a source distribution: environments, caches and outputs (.gitignore), history.
NOT_SOURCE = (".venv", ".git", "runs", "out", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis")
NOT_SOURCE += (".ruff_cache", ".import_linter_cache", ".ipynb_checkpoints")
#: Files the installed package reads from its own folder (importlib.resources).
PACKAGE_DATA = (
    "molgen/data/bundled/chembl2321810.csv",
    "molgen/data/bundled/freesolv.csv",
    "molgen/data/bundled/solubility.csv",
    "molgen/data/bundled/README.md",
    "molgen/generate/data/prior/prior.json",
    "molgen/generate/data/prior/weights.safetensors",
    "molgen/pipeline/default_run.toml",
    "molgen/scoring/example_scorer.toml",
)
#: A `molgen run` small enough for a test: the bundled series, a tiny budget, a 60-molecule library.
QUICK_RUN = """
[run]
out_dir = "runs/quick"
[data]
dataset = "chembl2321810"
[model]
ensemble_size = 1
epochs = 3
patience = 2
[generate]
budget = 32
batch_size = 16
keep = 8
[screen]
library = "library.smi"
top_k = 5
num_workers = 1
[control]
n_estimators = 10
top_n = 5
[report]
top_n = 4
attributions = 1
"""


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    """``python -m build`` on a copy of the source tree: (sdist, wheel)."""
    tmp = tmp_path_factory.mktemp("build")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    run = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp / "dist"), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    sdists, wheels = sorted((tmp / "dist").glob("*.tar.gz")), sorted((tmp / "dist").glob("*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, sorted((tmp / "dist").iterdir())
    return sdists[0], wheels[0]


def test_wheel_holds_the_package_data_and_the_extras(dists):
    import tarfile

    sdist, wheel = dists
    names = set(zipfile.ZipFile(wheel).namelist())
    assert not [f for f in PACKAGE_DATA if f not in names]
    assert not [n for n in names if n.startswith(("data/", "tests/", "ray_jobs/"))]
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        assert not [f for f in PACKAGE_DATA if f"{top}/{f}" not in tar.getnames()]
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Provides-Extra: cluster" in meta and 'Requires-Dist: ray[default]>=2.40; extra == "cluster"' in meta


@pytest.fixture(scope="module")
def venv(dists, tmp_path_factory):
    """A fresh virtual environment with the wheel installed (--no-deps) and this interpreter's packages."""
    env = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    python = env / "bin" / "python"
    purelib = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())  # fmt: skip
    ours = dict.fromkeys([*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (purelib / "_molgen_test_dependencies.pth").write_text("".join(f"{p}\n" for p in ours if Path(p).is_dir()))
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
         "--ignore-installed", "--no-warn-script-location", str(dists[1])],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    return env, purelib


def _env(env: Path) -> dict:
    """The new environment's bin first on PATH, nothing pointing back at the checkout."""
    out = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "MOLGEN_DATA_DIR", "RAY_ADDRESS")}
    out["PATH"] = f"{env / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    out["VIRTUAL_ENV"] = str(env)
    return out


def _run(env: Path, cwd: Path, *argv, timeout: int = 900) -> str:
    run = subprocess.run([str(a) for a in argv], cwd=cwd, env=_env(env), capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, f"{argv}\n{run.stdout[-2000:]}\n{run.stderr[-4000:]}"
    return run.stdout


def test_installed_wheel_runs_the_readme_commands_from_another_folder(venv, tmp_path):
    env, purelib = venv
    work = tmp_path / "elsewhere"
    work.mkdir()
    python, molgen = env / "bin" / "python", env / "bin" / "molgen"
    where = json.loads(
        _run(
            env,
            work,
            python,
            "-c",
            "import json, molgen; from molgen.data import dataset_path; from molgen.generate.prior import shipped_prior_path; "
            "print(json.dumps({'molgen': molgen.__file__, 'data': str(dataset_path('chembl2321810')), 'prior': str(shipped_prior_path())}))",
        )
    )
    for path in where.values():  # the wheel's copy, not the checkout's (editable) one
        assert Path(path).resolve().is_relative_to(purelib.resolve()), where

    summary = json.loads(
        _run(env, work, molgen, "data", "inspect", where["data"], "--smiles-col", "smiles", "--target-col", "pIC50", "--json")
    )
    assert (summary["rows"], summary["invalid"]) == (1017, 0)

    _run(env, work, molgen, "generate", "sample", "--n", "10", "--seed", "0", "--out", "samples.csv")
    assert len((work / "samples.csv").read_text().splitlines()) == 11

    from molgen.data import dataset_path

    (work / "library.smi").write_text("\n".join(dataset_path("nci_5k").read_text().splitlines()[:60]) + "\n")
    config = QUICK_RUN
    if "\n[focus]" in _run(env, work, molgen, "run", "--print-default"):  # the prior's transfer-learning stage, where present
        config += "[focus]\nenabled = false\n"
    (work / "quick.toml").write_text(config)
    report = Path(_run(env, work, molgen, "run", "quick.toml").strip().splitlines()[-1])
    assert report == (work / "runs" / "quick" / "report.html").resolve() and report.is_file()
    tables = work / "runs" / "quick" / "tables"
    assert (tables / "candidates.csv").is_file() and (tables / "screen_library_top.csv").is_file()
