# Two sacred targets: `make demo` and `make test`. Each bootstraps .venv from nothing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test processes (pytest-xdist); most tests wait on the emulator, so more than the cores help.
TEST_WORKERS ?= 4

.PHONY: demo test lint typecheck pytest bench clean

# Azurite, the Azure Storage emulator, for the remote-segment tests (an npm package; Node 20).
# Installed into .azurite/ (git-ignored); without npm those tests are skipped, saying why.
AZURITE_DIR := .azurite
AZURITE_STAMP := $(AZURITE_DIR)/.installed
AZURITE_VERSION := ^3.33.0

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or newer, or run make PYTHON=python3.12 ..." >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cc-tui demo

$(AZURITE_STAMP):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --prefix $(AZURITE_DIR) --no-audit --no-fund --loglevel=error \
			'azurite@$(AZURITE_VERSION)' && touch $(AZURITE_STAMP); \
	else \
		echo "npm not found: the Azure Storage (Azurite) tests will be skipped" >&2; \
	fi

test: $(STAMP) $(AZURITE_STAMP)
	$(BIN)/ruff check cc_tui tests benchmarks
	$(BIN)/ruff format --check cc_tui tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS)

# The bench's own extra (pandas, for a baseline): never a dependency of the product.
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(AZURITE_DIR) .mypy_cache .ruff_cache .pytest_cache .hypothesis
