# Encaisse: `make run` serves the app with demo data, `make test` runs the whole suite.
# Both set everything up on a fresh Debian machine (venv, Python packages, Debian libs).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
PA_PORT ?= 8765
PYTEST_ARGS ?=

.PHONY: run serve test test-fast lint bench lock clean

$(VENV)/.installed: pyproject.toml requirements.lock scripts/system-deps.sh
	scripts/system-deps.sh runtime
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock .
	touch $@

$(VENV)/.installed-lint: $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock '.[lint]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	scripts/system-deps.sh test
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock '.[test,bench]'
	touch $@

# Links in e-mails come from configuration, never from a request's Host header.
run: export ENCAISSE_PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)

## run: migrate, load the demo company on first run, start the local approved platform (statuses
## every 5 s, kept in instance/platform.json) and connect the demo to it, serve on http://$(HOST):$(PORT)
run: $(VENV)/.installed
	$(FLASK) init
	@mkdir -p instance; \
	$(PY) -m platform_local --port $(PA_PORT) --interval 5 --state instance/platform.json --encaisse-demo \
	  > instance/platform.log 2>&1 & pa=$$!; \
	trap 'kill $$pa 2>/dev/null; wait $$pa 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 50); do $(PY) -c "import socket; socket.create_connection(('127.0.0.1', $(PA_PORT)), 1)" 2>/dev/null && break; sleep 0.2; done; \
	$(FLASK) einvoicing demo-connect http://127.0.0.1:$(PA_PORT); \
	echo "Encaisse sur http://$(HOST):$(PORT) (démo : artisan@demo.encaisse.fr / demo-encaisse-2026)"; \
	echo "Plateforme agréée locale sur http://127.0.0.1:$(PA_PORT) (journal : instance/platform.log)"; \
	ENCAISSE_EINVOICING_WORKER_SECONDS=5 $(FLASK) run --host $(HOST) --port $(PORT) --no-debugger --no-reload

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

## lint: the house's rules — ruff, mypy (domain/ and output/), the import contracts
lint: $(VENV)/.installed-lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

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
