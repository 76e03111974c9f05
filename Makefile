# Shopfront: `make run` serves the shop, `make test` runs the tests.
# Both create .venv on first use; re-running them only redoes what changed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export VAR_DIR ?= $(CURDIR)/var

.DEFAULT_GOAL := help
.PHONY: help run serve setup install install-dev test lint format clean bench

help:
	@echo "make run     set up and serve the shop with demo data on http://127.0.0.1:8000"
	@echo "make test    install dev requirements and run the test suite"
	@echo "make lint    ruff (lint + format check), mypy and the import layers (import-linter)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Shopfront needs Python 3.11 or newer (set PYTHON=...)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt tests/browser/package-lock.json | $(PY)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@# axe-core for the browser tests' accessibility checks (skipped with a reason without npm).
	@if command -v npm >/dev/null; then npm ci --prefix tests/browser --no-audit --no-fund --silent; \
		else echo "npm not found: the browser tests will be skipped (apt-get install npm)"; fi
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# A random SECRET_KEY and demo staff password, written once into the git-ignored .env.
.env:
	@touch .env
	@grep -q '^SECRET_KEY=' .env || [ -n "$$SECRET_KEY" ] \
		|| echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" >> .env
	@grep -q '^DEMO_STAFF_PASSWORD=' .env \
		|| echo "DEMO_STAFF_PASSWORD=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(12))')" >> .env

setup: install .env
	@mkdir -p $(VAR_DIR)/broker/queue $(VAR_DIR)/broker/processed $(VAR_DIR)/broker/control $(VAR_DIR)/mail
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py ensure_demo_staff
	$(PY) manage.py seed_catalog --products 1000 --if-empty
	$(PY) manage.py refresh_search_terms
	$(PY) manage.py seed_shipping_methods
	$(PY) manage.py seed_orders --orders 300 --if-empty

# Embedded defaults (no DATABASE_URL/REDIS_URL): SQLite, a file cache and a filesystem
# broker, with a real Celery worker and beat. With the variables set, the same processes
# run against PostgreSQL and Redis. Ctrl-C stops all of them.
run: setup
	@echo "Shopfront on http://127.0.0.1:8000 (Ctrl-C stops it)"
	@export GUNICORN_BIND=$${GUNICORN_BIND:-127.0.0.1:8000}; \
	if [ -z "$$DATABASE_URL$$REDIS_URL" ]; then \
		export WEB_CONCURRENCY=$${WEB_CONCURRENCY:-3} CELERY_CONCURRENCY=$${CELERY_CONCURRENCY:-1}; \
	fi; \
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho start web worker beat

test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy apps config
	$(BIN)/lint-imports --no-cache

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache .mypy_cache .ruff_cache

# Load test of the production configuration on PostgreSQL + Redis with wrk (installed from
# Debian when missing); seeds 100,000 products into shopfront_bench once and writes
# docs/BENCHMARKS.md. BENCH_* variables are described at the top of bench/run.py.
bench: install-dev
	$(PY) bench/run.py
