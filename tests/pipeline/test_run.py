"""The whole pipeline, end to end on a small config, and its report in a real browser."""

import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from molgen.data.datasets import dataset_path
from molgen.pipeline import load_run_config, run_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.ray]

QUICK = """
[run]
out_dir = "{out}"
[model]
ensemble_size = 2
epochs = 3
patience = 2
[generate]
method = "{method}"
budget = {budget}
batch_size = 32
keep = 30
[screen]
library = "{library}"
smiles_col = "smiles"
top_k = 10
num_workers = 1
[focus]
epochs = 1
samples = 50
{focus}
[control]
n_estimators = 50
{control}
[report]
top_n = 6
attributions = 2
"""


def write_config(tmp_path, control: str = "", focus: str = "", **values) -> Path:
    path = tmp_path / f"run-{len(list(tmp_path.glob('run-*.toml')))}.toml"
    path.write_text(QUICK.format(control=control, focus=focus, **values))
    return path


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    path = tmp_path_factory.mktemp("lib") / "nci_slice.smi"
    lines = dataset_path("nci_5k").read_text().splitlines()[:200]
    path.write_text("\n".join(lines + ["not_a_smiles\t99999"]) + "\n")
    return path


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, library):
    tmp = tmp_path_factory.mktemp("run")
    out = tmp / "out"
    config = load_run_config(write_config(tmp, out=out, method="rl", budget=64, library=library))
    lines = []
    result = run_pipeline(config, announce=lines.append)
    return tmp, out, library, result, lines


def test_run_writes_a_report_and_tables(first_run):
    _, out, library, result, lines = first_run
    assert result.report == out / "report.html" and result.report.is_file()
    assert (result.model / "molgen_model.json").is_file()
    assert [s for s in result.stages] == ["data", "model", "focus", "generate", "control", "screen", "report"]
    focus = result.stages["focus"].info
    assert 0 < focus["after"]["valid"] <= 1 and 0 <= focus["after"]["novel"] <= 1
    assert (result.stages["focus"].path / "prior" / "prior.json").is_file()
    assert not any(s.reused for s in result.stages.values())
    assert any("model" in line for line in lines)
    for name in ("candidates", "test_predictions", "screen_library_top", "screen_candidates_top"):
        assert (out / "tables" / f"{name}.csv").is_file() and (out / "tables" / f"{name}.parquet").is_file()
    candidates = pd.read_parquet(out / "tables" / "candidates.parquet")
    # keep = 30 of the 64 molecules the budget scores
    assert len(candidates) == 30 == result.stages["generate"].info["candidates"] and candidates["score"].between(0, 1).all()
    assert candidates["rank"].tolist() == list(range(1, len(candidates) + 1))
    # the control model's prediction beside the optimized model's, for every candidate
    assert list(candidates.columns).index("control_prediction") == list(candidates.columns).index("prediction") + 1
    assert candidates["control_prediction"].notna().all()
    control = result.stages["control"].info
    gap = candidates["prediction"].mean() - candidates["control_prediction"].mean()
    assert control["compared"] == 30 and control["gap"] == pytest.approx(gap)
    summary = result.stages["screen"].info["library"]
    assert summary["rows"] == 201  # every library row, the bad one included
    html = result.report.read_text()
    for heading in ("Efficacy model", "Generation", "Prior focused on the series", "Top candidates", "Atom attributions", "Screening",
                    "Control model", "gap (molgen"):  # fmt: skip
        assert heading in html
    # self-contained: nothing fetched from the network (SVG namespace URIs are only names)
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//|url\(\s*[\"']?(https?:)?//|@import", html)


def test_second_run_reuses_and_a_change_invalidates_only_what_follows(first_run):
    tmp, out, library, first, _ = first_run
    again = run_pipeline(load_run_config(write_config(tmp, out=out, method="rl", budget=64, library=library)))
    assert all(s.reused for s in again.stages.values())
    changed = run_pipeline(load_run_config(write_config(tmp, out=out, method="rl", budget=96, library=library)))
    reused = {name: s.reused for name, s in changed.stages.items()}
    assert reused == {"data": True, "model": True, "focus": True, "generate": False, "control": False, "screen": False, "report": False}
    assert changed.stages["model"].path == first.stages["model"].path
    off = run_pipeline(load_run_config(write_config(tmp, out=out, method="rl", budget=96, library=library, control="enabled = false")))
    reused = {name: s.reused for name, s in off.stages.items()}
    assert reused == {"data": True, "model": True, "focus": True, "generate": True, "screen": True, "report": False}
    assert "control_prediction" not in pd.read_parquet(out / "tables" / "candidates.parquet").columns
    assert "Not run (control.enabled = false)" in off.report.read_text()


def _browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        if os.environ.get("MOLGEN_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium/chromedriver not installed (run `make browser`)")
        pytest.skip("chromium/chromedriver not installed (run `make browser`)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,2000"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(driver), options=options)


def test_report_renders_in_a_headless_browser(first_run):
    _, out, _, result, _ = first_run
    browser = _browser()
    try:
        browser.get(result.report.resolve().as_uri())
        assert browser.title == "molgen run report"
        images = browser.execute_script("return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])")
        assert images and all(complete and width > 0 for _, complete, width in images), images
        alts = {alt for alt, _, _ in images}
        assert {"parity plot", "calibration plot", "property distributions"} <= alts
        svgs = browser.execute_script("return document.querySelectorAll('.card svg').length")
        assert svgs >= 2  # molecule drawings in the candidate grid and attributions
        rows = browser.execute_script("return document.querySelectorAll('table tr').length")
        assert rows > 10
        shot = out / "report_screenshot.png"
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    finally:
        browser.quit()
