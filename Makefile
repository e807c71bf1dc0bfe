# Two commands for people: `make run` (server with demo data) and `make test`;
# `make check` runs the static checks CI runs before the tests.
SHELL := /bin/bash
VENV := .venv
# Django 6 needs Python 3.12+: take the newest one found (PATH, then pyenv).
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 $$HOME/.pyenv/versions/3.1[234]*/bin/python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; done)
PY := $(VENV)/bin/python

.PHONY: run test check mypy install browser oidc clean

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (Django 6). Install python3.12 and retry."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,check]'
	touch $@

install: $(VENV)/.installed

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads one).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests..."; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

# The OpenID Connect provider the gov.br login tests run against (Node's oidc-provider,
# pinned by package-lock.json).
OIDC_DIR := tests/oidc_provider
$(OIDC_DIR)/node_modules/.installed: $(OIDC_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "Node.js 20+ and npm are needed for the gov.br login tests."; exit 1; }
	cd $(OIDC_DIR) && npm ci --no-audit --no-fund --silent
	touch $@

oidc: $(OIDC_DIR)/node_modules/.installed

run: install
	$(PY) manage.py serve --demo

test: install browser oidc
	$(PY) -m pytest

# mypy's Django plugin imports the settings, which start the embedded servers when no URL is
# set; it only reads them, so it gets URLs that point nowhere.
MYPY_ENV := DATABASE_URL=postgresql://check@127.0.0.1:9/check REDIS_URL=redis://127.0.0.1:9/0

mypy: install
	$(MYPY_ENV) $(PY) -m mypy

# Lint, format, types, and no model change without its migration. The formatter only
# checks here: `$(VENV)/bin/ruff format .` rewrites.
check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MYPY_ENV) $(PY) -m mypy
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var
