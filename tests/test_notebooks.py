"""Execute every notebook under notebooks/ in quick mode; a cell that raises fails the test."""

import os
import sys
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 600


def _kernel_env() -> dict:
    """This interpreter's environment, quick mode on, with its folder first on PATH.

    The ``python3`` kernelspec runs ``python``; with ``sys.executable``'s folder first on
    PATH that is this virtualenv's interpreter (and anything a cell runs as ``python``),
    so the kernel sees the molgen under test.
    """
    env = dict(os.environ)
    env["MOLGEN_QUICK"] = "1"
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    env.pop("MPLBACKEND", None)  # let ipykernel pick its inline backend, which emits images
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_in_quick_mode(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's cwd: files a notebook writes land here
    )
    client.execute(env=_kernel_env())  # raises CellExecutionError naming the failing cell

    kinds = {key for cell in nb.cells if cell.cell_type == "code" for output in cell.get("outputs", []) for key in output.get("data", {})}
    assert kinds & {"image/png", "image/svg+xml"}, f"{path.name} produced no image output"
