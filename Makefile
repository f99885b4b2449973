# The two commands of the README: `make demo` and `make test`. Both set everything up first.
VENV ?= .venv
BIN := $(VENV)/bin
# The real public data mirror used on the project's machines (skipped when absent).
SHARED_DATA := $(abspath ../shared/data)
export PRIORGRAPH_DATA_DIR ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),)

.PHONY: setup demo test lint format bench

setup:
	VENV=$(VENV) ./scripts/bootstrap.sh

demo: setup
	$(BIN)/priorgraph demo

# PRIORGRAPH_REQUIRE_BROWSER: the Neo4j Browser test fails here without chromium (never skips).
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PRIORGRAPH_REQUIRE_BROWSER=1 $(BIN)/pytest

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

bench: setup
	$(BIN)/python bench/write_bench.py
