# CityOps — every target sets up what it needs. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP     := $(VENV)/.installed-dev
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cityops
PYTEST_ARGS ?=

.PHONY: help install install-dev demo serve worker test test-sqlite test-postgres test-e2e lint format messages bench clean \
	soak security

help:
	@echo "make demo    — set everything up and run CityOps with demo data on http://127.0.0.1:8000"
	@echo "make test    — set everything up and run the whole test suite on SQLite and PostgreSQL"
	@echo "make lint    — ruff, formatting, migrations drift, Django system checks, mypy"
	@echo "make messages — recompile translations after editing locale/*.po"
	@echo "make bench   — load the benchmark data sets and print the performance table (BENCH_SCALE=small: quick)"
	@echo "make soak    — mixed workload against a real server for SOAK_MINUTES (default 10): zero errors, flat memory"
	@echo "make security — the security suites with a longer schemathesis run (SCHEMATHESIS_EXAMPLES=200)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

demo: $(RUNTIME_STAMP)
	$(BIN)/cityops demo

serve: $(RUNTIME_STAMP)
	$(BIN)/cityops serve

worker: $(RUNTIME_STAMP)
	$(BIN)/cityops worker

test: $(DEV_STAMP)
	bash scripts/ensure-test-services.sh
	@sqlite=0; postgres=0; \
	$(MAKE) --no-print-directory test-sqlite || sqlite=$$?; \
	$(MAKE) --no-print-directory test-postgres || postgres=$$?; \
	echo "== SQLite: $$( [ $$sqlite = 0 ] && echo passed || echo FAILED ), PostgreSQL: $$( [ $$postgres = 0 ] && echo passed || echo FAILED ) =="; \
	[ $$sqlite = 0 ] && [ $$postgres = 0 ]

test-sqlite: $(DEV_STAMP)
	@echo "== tests on SQLite =="
	env -u DATABASE_URL CITYOPS_TESTING=1 $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(DEV_STAMP)
	@echo "== tests on PostgreSQL ($(TEST_DATABASE_URL)) =="
	DATABASE_URL=$(TEST_DATABASE_URL) CITYOPS_TESTING=1 $(BIN)/pytest $(PYTEST_ARGS)

test-e2e: $(DEV_STAMP)
	bash scripts/ensure-test-services.sh
	CITYOPS_TESTING=1 $(BIN)/pytest tests/e2e $(PYTEST_ARGS)

SOAK_MINUTES ?= 10
soak: $(DEV_STAMP)
	SOAK_MINUTES=$(SOAK_MINUTES) $(BIN)/python -m soak.soak

security: $(DEV_STAMP)
	SCHEMATHESIS_EXAMPLES=$${SCHEMATHESIS_EXAMPLES:-200} CITYOPS_TESTING=1 $(BIN)/pytest tests/security tests/faults $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	CITYOPS_TESTING=1 $(BIN)/cityops makemigrations --check --dry-run
	CITYOPS_TESTING=1 $(BIN)/cityops check
	CITYOPS_TESTING=1 $(BIN)/mypy

format: $(DEV_STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

messages: $(DEV_STAMP)
	$(BIN)/python scripts/compile_messages.py

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@ $(RUNTIME_STAMP)

bench: $(BENCH_STAMP)
	bash scripts/ensure-bench-tools.sh
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var/static
