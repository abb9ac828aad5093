# The README's commands. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: run test lint typecheck contracts openapi migrate seed bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): pyproject.toml constraints.txt | $(PY)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e .
	touch $@

$(DEV_STAMP): pyproject.toml constraints.txt | $(PY)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	touch $(RUNTIME_STAMP) $@

run: $(RUNTIME_STAMP)
	$(PY) -m app migrate
	$(PY) -m app seed-demo
	$(PY) -m app serve --banner

migrate: $(RUNTIME_STAMP)
	$(PY) -m app migrate

seed: $(RUNTIME_STAMP)
	$(PY) -m app seed-demo

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check app tests migrations $(wildcard bench)
	$(VENV)/bin/ruff format --check app tests

typecheck: $(DEV_STAMP)
	$(VENV)/bin/mypy

contracts: $(DEV_STAMP)
	$(VENV)/bin/lint-imports

openapi: $(RUNTIME_STAMP)
	$(PY) -m app openapi

# The suite runs on SQLite always, and again on PostgreSQL when TEST_DATABASE_URL names one;
# on each, the schemathesis cases are a step of their own after the rest. pytest-xdist spreads
# each step over TEST_WORKERS processes, a database each (tests/fixtures/database.py).
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS)

test: lint typecheck contracts
	$(PY) -m app openapi --check
	env -u TEST_DATABASE_URL $(PYTEST) -m "not schemathesis"
	env -u TEST_DATABASE_URL $(PYTEST) -m schemathesis
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$TEST_DATABASE_URL"; \
		$(PYTEST) -m "not schemathesis" && $(PYTEST) -m schemathesis; \
	else \
		echo "TEST_DATABASE_URL is not set: PostgreSQL run skipped"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
