"""``environment.yml`` (conda) and ``pyproject.toml`` (the wheel) list the same packages, with the same lower bounds.

The conda file covers the wheel's dependencies and its ``dev`` and ``cluster`` extras. conda-forge
spells some names differently, and splits Ray's extras into packages of their own.
"""

import re
from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
#: conda-forge name -> the PyPI name (``name[extra]`` for Ray's split packages)
CONDA_TO_PYPI = {
    "pytorch": "torch",
    "pytorch_geometric": "torch-geometric",
    "matplotlib-base": "matplotlib",
    "python-build": "build",
    "ray-data": "ray[data]",
    "ray-train": "ray[train]",
    "ray-tune": "ray[tune]",
    "ray-default": "ray[default]",
}
#: conda entries that are not packages of the wheel: the interpreter and the installer
NOT_PACKAGES = {"python", "pip"}


def _floor(specifier) -> Version | None:
    floors = [Version(s.version) for s in specifier if s.operator == ">="]
    return max(floors) if floors else None


def _wheel() -> dict[str, Version | None]:
    """``name`` (or ``name[extra]``, one per extra) -> lower bound, for dependencies and the dev and cluster extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    out = {}
    for line in [*project["dependencies"], *extras["dev"], *extras["cluster"]]:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        for key in [f"{name}[{e}]" for e in sorted(req.extras)] or [name]:
            out[key] = _floor(req.specifier)
    return out


def _conda() -> dict[str, Version | None]:
    entries = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    out = {}
    for entry in entries:
        if isinstance(entry, dict):  # the pip: section
            for line in entry["pip"]:
                if not line.startswith("-e"):
                    req = Requirement(line)
                    out[canonicalize_name(req.name)] = _floor(req.specifier)
            continue
        name, spec = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", entry).groups()
        if name in NOT_PACKAGES:
            continue
        pypi = CONDA_TO_PYPI.get(name, name)
        base, _, extra = pypi.partition("[")
        key = canonicalize_name(base) + (f"[{extra}" if extra else "")
        floor = re.fullmatch(r">=\s*([\w.]+)", spec)
        out[key] = Version(floor.group(1)) if floor else None
    return out


def test_environment_yml_lists_the_wheels_packages():
    wheel, conda = _wheel(), _conda()
    assert sorted(set(wheel) - set(conda)) == [], "in pyproject.toml but not in environment.yml"
    assert sorted(set(conda) - set(wheel)) == [], "in environment.yml but not in pyproject.toml"
    assert {k: str(v) for k, v in conda.items() if v != wheel[k]} == {}, "lower bounds differ from pyproject.toml"


def test_every_dependency_of_the_wheel_is_in_environment_yml():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {canonicalize_name(Requirement(line).name) for line in project["dependencies"]}
    conda = {k.split("[")[0] for k in _conda()}
    assert names <= conda, names - conda
