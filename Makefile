# Two entry points: `make demo` (set up, run the main job) and `make test` (set up, run all tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.molgen-installed

.PHONY: setup browser demo test bench clean

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
	$(PY) -m pytest

bench: setup
	$(PY) benchmarks/featurize.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
