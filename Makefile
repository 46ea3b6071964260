# Entry points: `make demo` (set up, run the main job), `make test` (set up, run all tests; what CI
# runs) and `make test-fast` (the edit-test loop: every test not marked `slow` or `ray`, so no Ray
# instance and no training beyond tiny overfit tests; under 2 minutes on 2 cores).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.molgen-installed

.PHONY: setup browser demo test test-fast lint bench dist clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# CPU torch first, so that nothing pulls CUDA wheels.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	# MOSES data sets ship in the molsets wheel; its code is old, so no dependencies.
	$(PY) -m pip install --quiet --no-deps molsets==0.3.1
	touch $(STAMP)

demo: setup
	$(VENV)/bin/molgen run

# Headless Chromium for the report test, from Debian's packages (needs root or sudo;
# without them the browser test is skipped, unless MOLGEN_REQUIRE_BROWSER=1).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	( SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null ) || \
	echo "note: could not install chromium; the browser test will be skipped"

test: setup browser
	OMP_NUM_THREADS=1 $(PY) -m pytest

# One OpenMP (torch) thread in both lanes: the tests train tiny models, where a second thread gains nothing, and on
# a busy machine OpenMP threads spinning against other processes made the training tests 5-10x slower.
test-fast: setup
	OMP_NUM_THREADS=1 $(PY) -m pytest -m "not slow and not ray"

# What CI checks besides the tests: ruff's lint and format, and the import layering (pyproject.toml).
lint: setup
	$(VENV)/bin/ruff check molgen tests benchmarks ray_jobs
	$(VENV)/bin/ruff format --check molgen tests benchmarks ray_jobs
	$(VENV)/bin/lint-imports

bench: setup
	$(PY) benchmarks/featurize.py

# The sdist and the wheel in dist/ (what ray_jobs/cluster.yaml uploads), offline: the build uses .venv's setuptools.
dist: setup
	$(PY) -m build --no-isolation

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
