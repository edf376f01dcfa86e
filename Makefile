# Two commands do all set-up: `make run` and `make test`. Both (re)create .venv idempotently.
# TORCH is overridable, e.g. `make run TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128"`.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.vaeviz-installed
BENCHES ?= startup worker em vae kl density robustness
BENCH_DIR ?= bench-results
PYTEST_ARGS ?=

.PHONY: run test lint package smoke bench setup sysdeps clean

run: setup
	$(PY) -m vaeviz

test: setup
	$(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check vaeviz tests benchmarks training packaging
	$(VENV)/bin/lint-imports

package: setup
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build/pyinstaller packaging/vaeviz.spec

# Runs the frozen app's self-test headless (what CI does after `make package`).
smoke:
	QT_QPA_PLATFORM=offscreen dist/vaeviz/vaeviz --self-test

bench: setup
	@mkdir -p $(BENCH_DIR)
	@for name in $(BENCHES); do \
		QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(PY) -m benchmarks $$name --json $(BENCH_DIR)/$$name.json || exit 1; \
	done
	@$(PY) -m benchmarks.table $(BENCH_DIR)/*.json

setup: sysdeps $(STAMP)

sysdeps:
	@bash packaging/install-system-deps.sh

# Re-install when the project metadata, this file or the torch pin changes; otherwise nothing to do.
$(STAMP): pyproject.toml Makefile $(VENV)/.torch-spec
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# Written only when TORCH changes, so a new pin triggers a re-install.
$(VENV)/.torch-spec: FORCE
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo '$(TORCH)' | cmp -s - $@ || echo '$(TORCH)' > $@

FORCE:

clean:
	rm -rf build dist $(BENCH_DIR) .pytest_cache
