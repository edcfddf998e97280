# Encaisse: `make run` serves the app with demo data, `make test` runs the whole suite.
# Both set everything up on a fresh Debian machine (venv, Python packages, Debian libs).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run serve test test-fast bench lock clean

$(VENV)/.installed: pyproject.toml requirements.lock scripts/system-deps.sh
	scripts/system-deps.sh runtime
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	scripts/system-deps.sh test
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock '.[test,bench]'
	touch $@

# Links in e-mails come from configuration, never from a request's Host header.
run: export ENCAISSE_PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)

## run: migrate, load the demo company on first run, serve on http://$(HOST):$(PORT)
run: $(VENV)/.installed
	$(FLASK) init
	@echo "Encaisse sur http://$(HOST):$(PORT) (démo : artisan@demo.encaisse.fr / demo-encaisse-2026)"
	$(FLASK) run --host $(HOST) --port $(PORT) --no-debugger --no-reload

## serve: production server (gunicorn), no demo data; see gunicorn.conf.py
serve: $(VENV)/.installed
	$(FLASK) init --no-demo
	$(VENV)/bin/gunicorn --config gunicorn.conf.py 'app:create_app()'

## test: the whole suite, browser tests included (Debian's chromium)
test: $(VENV)/.installed-test
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## test-fast: everything but the browser tests
test-fast: $(VENV)/.installed-test
	$(VENV)/bin/pytest -m "not browser" $(PYTEST_ARGS)

## bench: the benchmark (not part of make test); writes bench/results.json (SQLite);
## BENCH_DB=postgres make bench: the hosted shape on a throwaway PostgreSQL, bench/results-postgres.json
bench: $(VENV)/.installed-test
	$(PY) bench/run.py

## lock: record the exact versions of the current venv
lock:
	$(PY) -m pip freeze --exclude-editable | grep -v '^encaisse' > requirements.lock.new
	( echo '# Exact versions installed together and tested (pip install -c requirements.lock).'; \
	  echo '# Regenerate with: make lock'; cat requirements.lock.new ) > requirements.lock && rm requirements.lock.new

clean:
	rm -rf $(VENV) .pytest_cache
