# searchbench task runner. Every target sets up what it needs (venv + locked dependencies).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK ?= requirements/dev.lock
PYTEST_ARGS ?=

.PHONY: help venv demo test test-fast test-browser test-engines test-db-matrix fuzz lint format bench image-test clean

help:
	@echo "make demo          run the demo: SQLite + built-in engine + demo case on http://127.0.0.1:8000"
	@echo "make test          the whole test suite (set-up included)"
	@echo "make test-browser  the browser tests alone; screenshots in build/screenshots/"
	@echo "make test-engines  start real Solr/OpenSearch and run the engine conformance suite"
	@echo "make fuzz          schemathesis against the API on a live server (FUZZ_EXAMPLES=20)"
	@echo "make image-test    build, lint, push, pull, start and test the container image"
	@echo "make bench         run the benchmarks"
	@echo "make lint          ruff + mypy"

# The venv is rebuilt when a lock file changes.
$(BIN)/.installed-$(notdir $(LOCK)): $(LOCK) requirements/build.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	# the venv's bundled setuptools is too old for PEP 639 licence metadata: use the locked one
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/build.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

venv: $(BIN)/.installed-$(notdir $(LOCK))

demo: venv
	$(BIN)/searchbench demo

# SQLite always; then every database in SEARCHBENCH_TEST_DATABASE_URLS (space-separated) for the
# tests that touch the database. .ci/run sets it to a PostgreSQL and a MariaDB it started.
test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@for url in $(SEARCHBENCH_TEST_DATABASE_URLS); do \
		echo "== database matrix: $${url%%://*}"; \
		DATABASE_URL="$$url" $(BIN)/python -m pytest -m django_db -p no:cacheprovider $(PYTEST_ARGS) || exit 1; \
	done

test-fast: venv
	$(BIN)/python -m pytest -m "not engines and not browser and not integration and not fuzz" $(PYTEST_ARGS)

# The browser tests alone (Playwright driving Debian's Chromium); they leave their screenshots
# in build/screenshots/ (SEARCHBENCH_SCREENSHOTS to put them elsewhere).
test-browser: venv
	$(BIN)/python -m pytest -m browser -p no:cacheprovider $(PYTEST_ARGS); status=$$?; \
		ls $${SEARCHBENCH_SCREENSHOTS:-build/screenshots} 2>/dev/null; exit $$status

# schemathesis alone, with more examples per operation than `make test` runs (2).
FUZZ_EXAMPLES ?= 20
fuzz: venv
	SEARCHBENCH_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -m fuzz -p no:cacheprovider $(PYTEST_ARGS)

test-engines: venv
	$(BIN)/python -m pytest -m engines $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench:
	$(MAKE) venv LOCK=requirements/bench.lock
	$(BIN)/python benchmarks/metrics.py

image-test: venv
	bash docker/image-test.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
