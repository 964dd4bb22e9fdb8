# laborwatch: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_WORKERS ?= 2

.PHONY: run test lint docs bench eval-extract install install-dev install-bench lock clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Every install is from a lock file of requirements/ (exact versions and their hashes, one resolution for
# all of them: run.txt is a subset of dev.txt, itself a subset of all.txt), then laborwatch itself without
# its dependencies. A stamp older than its lock file reinstalls. `make lock` rewrites the lock files.
$(VENV)/.installed: requirements/run.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/run.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: requirements/all.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/all.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

## Install, migrate, seed when empty, and serve on 127.0.0.1:8000 (another port: make run PORT=8080).
run: install
	$(BIN)/laborwatch serve --host $(HOST) --port $(PORT)

## Install with dev extras and run the whole test suite (lint, types and the docs site first), in
## TEST_WORKERS processes (pytest-xdist; default 2, one per core; TEST_WORKERS=0 runs in this process).
test: install-dev lint docs
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## Benchmark: bundles -> `laborwatch ingest` (SQLite, PostgreSQL) -> wrk on laborwatch, Datasette, bare
## Starlette; prints the table and rewrites docs/performance.md. Options: make bench BENCH_ARGS="--help".
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.compare $(BENCH_ARGS)

install-bench: $(VENV)/.installed-bench

## Evaluation of `laborwatch extract` on bench/extract/texts: per-text table, precision and recall, times.
## EVAL_ARGS="--check" exits 1 when precision or recall is below 0.8.
eval-extract: install
	$(BIN)/python -m bench.extract $(EVAL_ARGS)

## Screenshots of each page on the seeded data into docs/screenshots/ (needs Debian's chromium on PATH).
screenshots: install-dev
	$(BIN)/python -m tests.screenshots

## Build the documentation site into site/ (mkdocs.yml); a broken link or anchor fails the build
## (not --quiet: it hides the warnings that --strict turns into failures).
docs: install-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

lint: install-dev
	$(BIN)/ruff check api models tests bench
	$(BIN)/ruff format --check api models tests bench
	$(BIN)/mypy

## Rewrite the lock files of requirements/ from pyproject.toml with uv (installed into .venv for this only):
## all.txt resolves every extra, dev.txt and run.txt take their versions from it. Pins that still satisfy
## pyproject.toml are kept; UPGRADE=1 moves every package to the newest version pyproject.toml allows.
LOCK_FLAGS = --universal --generate-hashes --custom-compile-command 'make lock' --quiet $(if $(UPGRADE),--upgrade)
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet 'uv>=0.13'
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench $(LOCK_FLAGS) -o requirements/all.txt
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements/all.txt $(LOCK_FLAGS) -o requirements/dev.txt
	$(BIN)/uv pip compile pyproject.toml -c requirements/all.txt $(LOCK_FLAGS) -o requirements/run.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site laborwatch.db laborwatch.db-wal laborwatch.db-shm
