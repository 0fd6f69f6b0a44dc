# Little SIS Sync for Airflow: the two set-up commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)/plugins

.PHONY: install test test-fast lint demo demo-stop constraints bench soak clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Reinstall only when a requirements file changed.
$(STAMP): $(PY) requirements.txt requirements-dev.txt constraints.txt
	$(PIP) install --quiet -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

install: $(STAMP)

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check plugins/littlesis tests bench dags
	$(VENV)/bin/mypy plugins/littlesis

# Airflow standalone + the Classroom emulator + an SMTP catcher, all under .demo/ (ports: bin/littlesis demo up --help).
demo: install
	bin/littlesis demo up

# Stops exactly what `make demo` started (the PIDs in .demo/pids/).
demo-stop:
	bin/littlesis demo stop

constraints: $(PY)
	$(PIP) freeze | grep -v '^-e' | sed '1i # Every package pinned, as resolved together on Python 3.11 (pip freeze of a verified .venv).\n# Regenerate with: make constraints' > constraints.txt

bench: install
	$(PY) bench/load_generic.py

# Fault seeds in a row (tests/reliability/soak.py): progress per seed, figures for docs/reliability.md.
SEEDS ?= 100
SOAK_OUT ?= /tmp/littlesis-soak.json
soak: install
	$(PY) -m tests.reliability.soak --seeds $(SEEDS) --out $(SOAK_OUT)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
