"""Public surface of molgen.models, and its layering (torch + PyG only)."""

import ast
import doctest
import importlib
import pathlib
import subprocess
import sys

import pytest

import molgen.models

MODULES = ["config", "encoders", "heads", "losses", "model", "readout", "_graph"]
FORBIDDEN = ("rdkit", "ray", "pandas", "deepchem", "molgen.chem", "molgen.featurize", "molgen.data", "pathlib", "io")


def test_star_import_matches_all():
    namespace = {}
    exec("from molgen.models import *", namespace)
    assert sorted(molgen.models.__all__) == sorted(set(molgen.models.__all__))
    assert all(name in namespace for name in molgen.models.__all__)


def test_sources_import_only_torch_pyg_and_utils():
    package = pathlib.Path(molgen.models.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        bad = [n for n in names if n.split(".")[0] in FORBIDDEN or n.startswith(FORBIDDEN)]
        assert not bad, (path.name, bad)
        calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
        assert "open" not in calls and "print" not in calls, path.name


@pytest.mark.slow  # imports torch in a fresh interpreter
def test_import_loads_no_rdkit_or_ray():
    code = "import sys, molgen.models; print([m for m in ('rdkit', 'ray', 'deepchem') if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
    assert result.stderr == ""


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"molgen.models.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
