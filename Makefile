# linkis-magic: every command a developer or CI needs.
# `make demo` runs the quickstart notebook against the embedded local Linkis;
# `make test` installs everything and runs every test.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: install system-deps demo lint test test-fast test-pythons dist notebooks lab local bench clean

# The Pythons linkis-magic supports (pyproject.toml's classifiers); `make test-pythons` needs each.
PYTHONS := 3.10 3.11 3.12 3.13

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests use: chromium for the browser tests (Playwright cannot download its
# own browsers here) and openssl to make a throwaway TLS certificate.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	  echo "installing Debian packages:$$missing"; \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: install
	$(PY) -m linkis_magic.demo notebooks/quickstart.ipynb

NBVAL := --nbval --nbval-current-env --nbval-cell-timeout=120 \
	--nbval-sanitize-with notebooks/nbval-sanitize.cfg

# One style: ruff, configured in pyproject.toml.
lint: install
	$(VENV)/bin/ruff check .

test: install system-deps lint
	$(PY) -m pytest -p no:cacheprovider -ra tests notebooks $(NBVAL)

# Everything but the browser tests, for a quick loop while developing.
test-fast: install
	$(PY) -m pytest -p no:cacheprovider -ra -m "not browser" tests notebooks $(NBVAL)

# Everything but the browser tests once per supported Python, each in a venv of its own
# (.venv-3.10 ...). An interpreter is looked for under pyenv, then on PATH; one that is missing
# fails the run like a failing suite, and every Python is tried before the run fails.
test-pythons:
	@failed=""; for v in $(PYTHONS); do \
	  py=$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v.*/bin/python$$v 2>/dev/null | sort -V | tail -n 1); \
	  if [ -z "$$py" ] && python$$v -c '' 2>/dev/null; then py=$$(command -v python$$v); fi; \
	  if [ -z "$$py" ]; then echo "test-pythons: no Python $$v on this machine"; failed="$$failed $$v"; continue; fi; \
	  echo "test-pythons: Python $$v ($$py)"; \
	  $(MAKE) --no-print-directory test-fast PYTHON=$$py VENV=.venv-$$v || failed="$$failed $$v"; \
	done; \
	if [ -n "$$failed" ]; then echo "test-pythons: failed on Python$$failed"; exit 1; fi; \
	echo "test-pythons: passed on Python $(PYTHONS)"

# The sdist and the wheel, in dist/ (tests/packaging installs a wheel built the same way).
dist: install
	rm -rf dist
	$(PY) -m build --outdir dist .

# Re-execute the example notebooks in place against a fresh embedded Linkis (commit the result).
notebooks: install
	$(PY) -m linkis_magic.demo --write notebooks/*.ipynb

lab: install
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

local: install
	$(VENV)/bin/linkis-magic local

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .venv-3.* .pytest_cache build dist
