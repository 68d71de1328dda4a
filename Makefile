# The two commands: `make run` (try it) and `make test` (prove it). Both install first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# make run, make test and the tools are development runs: plain HTTP on 127.0.0.1 and a key of
# this machine's own (made once in var/), unless the environment gives them.
LOCAL_KEY := var/secret-key
export SECURE_COOKIES ?= 0
export SECRET_KEY ?= $(shell mkdir -p var; test -s $(LOCAL_KEY) || $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $(LOCAL_KEY); cat $(LOCAL_KEY))

.PHONY: install run test lint typecheck pytest bench messages audit clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info[:2] == (3, 12), "Python 3.12 is needed (see .python-version)"'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $(STAMP)

run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py collectstatic --no-input -v0
	@echo "Cổng theo dõi / portal: http://127.0.0.1:8000  (Ctrl-C dừng tất cả / stops all)"
	$(BIN)/python manage.py run_embedded 127.0.0.1:8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r .

# The dependency audit needs OSV (osv.dev), which CI cannot reach (SECURITY.md): --strict makes
# a package it could not look up a failure, never a silent pass.
audit:
	@test -x var/audit-venv/bin/pip-audit || ($(PYTHON) -m venv var/audit-venv && var/audit-venv/bin/pip install --quiet pip-audit==2.10.1)
	var/audit-venv/bin/pip-audit --strict --vulnerability-service osv --requirement requirements.lock --no-deps

typecheck: install
	$(BIN)/mypy .

pytest: install
	@test -f node_modules/axe-core/axe.min.js || ! command -v npm >/dev/null || npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

test: lint typecheck pytest

bench: install
	@test -x var/locust-venv/bin/locust || ($(PYTHON) -m venv var/locust-venv && var/locust-venv/bin/pip install --quiet -r bench/requirements-locust.txt)
	$(BIN)/python manage.py collectstatic --no-input -v0
	$(BIN)/python bench/import_units.py
	$(BIN)/python bench/scoping.py
	$(BIN)/python bench/national_reports.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/reminders.py
	$(BIN)/python bench/home.py
	$(BIN)/python bench/reform.py
	$(BIN)/python bench/documents.py
	$(BIN)/python bench/import_assignments.py
	$(BIN)/python bench/reminders.py
	$(BIN)/python bench/api_load.py
	$(BIN)/python bench/load_pages.py

messages: install
	$(BIN)/python manage.py makemessages -l en --ignore=.venv --ignore=var --ignore=tests --ignore=bench --no-location --no-wrap
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var
