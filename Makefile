# FitCore developer commands. `make run` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers; "auto" = one per core.
PYTEST_WORKERS ?= auto

.PHONY: help install run test lint fmt typecheck schema fuzz fuzz-long bench clean

help:
	@echo "make run    - install, migrate, load demo data, serve on http://$(HOST):$(PORT) (+ Celery with REDIS_URL)"
	@echo "make test   - lint, type-check, migration and schema checks, then the test suite"
	@echo "make fuzz   - schemathesis over every operation as every kind of caller (part of make test)"
	@echo "make bench  - load-test the API under gunicorn + PostgreSQL; writes bench/results/latest.json"
	@echo "make fmt    - apply ruff fixes and formatting"
	@echo "make schema - regenerate the committed OpenAPI schema (openapi.yaml)"

# Re-installs only when a requirements file changed. uv when it can be had (seconds), pip otherwise.
$(VENV)/.installed: requirements/base.txt requirements/dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "FitCore needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# A venv made by uv has no pip: bootstrap one so the fallback always exists.
	@$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --upgrade >/dev/null
	@if [ -x $(VENV)/bin/uv ] || $(PY) -m pip install --quiet --disable-pip-version-check uv==0.13.9 2>/dev/null; then \
		$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements/dev.txt; \
	else \
		$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt; \
	fi
	@touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "  API docs:  http://$(HOST):$(PORT)/api/docs/   (ReDoc: /api/redoc/)"
	@echo "  Admin:     http://$(HOST):$(PORT)/admin/"
	@echo "  Health:    http://$(HOST):$(PORT)/healthz"
	@echo "  WebSocket: ws://$(HOST):$$(($(PORT) + 1))/ws/notifications/"
	@echo ""
	@# gunicorn, plus a Celery worker and beat when a broker is configured (REDIS_URL).
	@# Ctrl-C stops them all; if one of them exits, so does everything else, with an error.
	$(PY) manage.py serve --bind $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: install
	$(VENV)/bin/mypy .

schema: install
	DJANGO_SETTINGS_MODULE=fitcore.settings.testing $(PY) manage.py spectacular --validate --fail-on-warn --file openapi.yaml

test: lint typecheck
	DJANGO_SETTINGS_MODULE=fitcore.settings.testing $(PY) manage.py makemigrations --check --dry-run
	@# The committed schema is the API contract: it must validate and match the code.
	DJANGO_SETTINGS_MODULE=fitcore.settings.testing $(PY) manage.py spectacular --validate --fail-on-warn --file $(VENV)/openapi.check.yaml
	@diff -u openapi.yaml $(VENV)/openapi.check.yaml || { echo "openapi.yaml is stale: run 'make schema' and commit it"; exit 1; }
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --cov --cov-report=term:skip-covered
	$(MAKE) fuzz

# Contract fuzzing (fuzz/run.py): every operation, as anonymous, API key, member and tenant admin,
# all checks, positive and negative data, fixed seed. FUZZ_SECONDS is the time budget the runs share
# (at least FUZZ_EXAMPLES cases per operation and principal, more as the budget allows).
FUZZ_SECONDS ?= 600
FUZZ_EXAMPLES ?= 25
fuzz: install
	$(PY) fuzz/run.py --examples $(FUZZ_EXAMPLES) --seconds $(FUZZ_SECONDS)

# 100 examples per operation and principal, with the time that takes.
fuzz-long: install
	$(PY) fuzz/run.py --examples 100 --seconds 0

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache htmlcov .coverage staticfiles celerybeat-schedule*
