"""Package-level behaviour: quiet, lazy import and a complete public surface."""

import importlib
import subprocess
import sys

import pytest

import molgen

SUBPACKAGES = [
    "molgen.chem",
    "molgen.featurize",
    "molgen.data",
    "molgen.models",
    "molgen.train",
    "molgen.efficacy",
    "molgen.metrics",
    "molgen.scoring",
    "molgen.pipeline",
    "molgen.utils",
    "molgen.distributed",
    "molgen.generate",
    "molgen.generate.moses",
    "molgen.generate.optimize",
    "molgen.sar",
]


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)


def test_import_is_silent_and_lazy():
    result = _run(
        "import sys, molgen; "
        "heavy = [m for m in ('torch', 'rdkit', 'deepchem', 'ray', 'pandas') if m in sys.modules]; "
        "sys.stderr.write(','.join(heavy))"
    )
    assert result.stdout == ""
    assert result.stderr == ""


@pytest.mark.parametrize(
    "name",
    ["molgen.chem", "molgen.data", pytest.param("molgen.featurize", marks=pytest.mark.slow)],  # featurize imports torch
)
def test_subpackages_do_not_import_deepchem_or_ray(name):
    result = _run(f"import sys, {name}; print([m for m in ('deepchem', 'ray') if m in sys.modules])")
    assert result.stdout.strip() == "[]"
    assert result.stderr == ""


@pytest.mark.slow  # imports DeepChem (and torch) in a fresh interpreter
def test_deepchem_import_noise_is_hidden():
    result = _run("from molgen.utils import quiet_import; quiet_import('deepchem')")
    assert result.stdout == ""
    assert result.stderr == ""


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_star_import_matches_all(name):
    module = importlib.import_module(name)
    assert module.__all__, name
    namespace = {}
    exec(f"from {name} import *", namespace)
    missing = [n for n in module.__all__ if n not in namespace]
    assert not missing


def test_lazy_attribute_access():
    assert molgen.chem.parse_smiles("CCO").GetNumAtoms() == 3
    with pytest.raises(AttributeError):
        _ = molgen.not_a_module
    assert molgen.__version__.count(".") == 2


@pytest.mark.slow  # each imports torch in a fresh interpreter
@pytest.mark.parametrize(
    ("old", "new", "sub", "new_sub"),
    [
        ("molgen.predict", "molgen.efficacy", "efficacy", "model"),
        ("molgen.predict", "molgen.efficacy", "checkpoint", "checkpoint"),
        ("molgen.generate.metrics", "molgen.generate.moses", "evaluate", "evaluate"),
    ],
)
def test_renamed_subpackages_keep_their_old_names_with_a_warning(old, new, sub, new_sub):
    code = (
        "import importlib, warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        f"    old = importlib.import_module('{old}.{sub}')\n"
        f"assert old is importlib.import_module('{new}.{new_sub}'), old\n"
        f"assert importlib.import_module('{old}') is importlib.import_module('{new}')\n"
        "messages = [str(w.message) for w in caught if w.category is DeprecationWarning]\n"
        f"assert any('{old} was renamed to {new}' in m for m in messages), messages\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
