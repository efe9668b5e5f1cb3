# Two commands for contributors:
#   make lab    set everything up, build, and start JupyterLab with the extension
#   make test   set everything up, build, and run every test suite
# Every step below is a file target, so a second run only redoes what changed.

SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)

TS_SOURCES := $(shell find src protocol -name '*.ts' -o -name '*.tsx' 2>/dev/null)
COMPANION_SOURCES := $(shell find lib-server/src -name '*.ts' 2>/dev/null)
LABEXT := jupyterlab_dask_clusters/labextension/package.json
COMPANION := jupyterlab_dask_clusters/companion/main.mjs

.PHONY: lab test lint setup build test-js test-companion test-python test-ui system-deps slurm-up gateway-up bench clean

# As root (a container), JupyterLab wants --allow-root.
lab: setup
	jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

setup: $(VENV)/.installed

test: setup system-deps
	$(MAKE) lint test-js test-companion test-python test-ui

# --- environment -----------------------------------------------------------

$(VENV)/.deps: requirements-dev.txt
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# npm install (not ci): it keeps the locked versions, and tolerates optional
# platform packages (Rspack bindings for other systems) the registry may lack.
NPM_INSTALL := npm install --no-audit --no-fund

node_modules/.stamp: package.json package-lock.json
	$(NPM_INSTALL)
	touch $@

lib-server/node_modules/.stamp: lib-server/package.json lib-server/package-lock.json
	$(NPM_INSTALL) --prefix lib-server
	touch $@

ui-tests/node_modules/.stamp: ui-tests/package.json ui-tests/package-lock.json
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(NPM_INSTALL) --prefix ui-tests
	touch $@

system-deps:
	bash scripts/system-deps.sh

# A real single-node SLURM for the SLURM tests (root; installs slurm-wlm and munge when
# missing). Fails loudly when it cannot start: the SLURM tests are never skipped.
slurm-up:
	bash scripts/slurm/slurm.sh up

# A real single-node Grid Engine for the SGE tests (root; installs Debian's gridengine packages
# when missing; scripts/sge/sge.sh). Fails loudly when it cannot start: those tests never skip.
.PHONY: sge-up sge-down
sge-up:
	bash scripts/sge/sge.sh up

sge-down:
	bash scripts/sge/sge.sh down

# A real dask-gateway-server for the Gateway tests (scripts/gateway/gateway.sh). Fails loudly
# when it cannot start: the Gateway tests are never skipped.
gateway-up: $(VENV)/.deps
	bash scripts/gateway/gateway.sh up

# A second Unix account and an interpreter it can run, for the shared-host tests (root;
# scripts/other-user.sh). Fails loudly when it cannot: those tests are never skipped.
other-user: $(VENV)/.deps
	bash scripts/other-user.sh $(BIN)/python

# --- build -----------------------------------------------------------------

build: $(LABEXT) $(COMPANION)

$(COMPANION): lib-server/node_modules/.stamp $(COMPANION_SOURCES) lib-server/build.mjs protocol/index.d.ts
	npm --prefix lib-server run build

$(LABEXT): $(VENV)/.deps node_modules/.stamp $(TS_SOURCES) $(wildcard style/*) schema/plugin.json
	npx tsc --sourceMap
	jupyter-builder build --development True .

# The editable install links the Python package; develop links the labextension.
$(VENV)/.installed: $(VENV)/.deps pyproject.toml $(LABEXT) $(COMPANION)
	$(BIN)/pip install --quiet --no-build-isolation -e .
	jupyter-builder develop --overwrite .
	touch $@

# --- lint ------------------------------------------------------------------

# Formatting, lint rules and import cycles; configs: .prettierrc, eslint.config.mjs,
# [tool.ruff] in pyproject.toml, .madgerc. madge reads each tree with its own tsconfig.
# The companion's tsconfig points at its own node_modules, hence its stamp.
ESLINT_PATHS := src protocol lib-server/src lib-server/test ui-tests/tests

lint: node_modules/.stamp lib-server/node_modules/.stamp $(VENV)/.deps
	npx prettier --check .
	npx eslint --max-warnings 0 $(ESLINT_PATHS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	npx madge --circular --extensions ts,tsx --ts-config tsconfig.json src
	npx madge --circular --extensions ts --ts-config lib-server/tsconfig.json lib-server/src

# --- tests -----------------------------------------------------------------

test-js: node_modules/.stamp
	npx jest

test-companion: lib-server/node_modules/.stamp $(COMPANION) slurm-up sge-up gateway-up
	npm --prefix lib-server test

test-python: setup other-user sge-up
	$(BIN)/python -m pytest -q jupyterlab_dask_clusters/tests

test-ui: setup ui-tests/node_modules/.stamp system-deps slurm-up sge-up gateway-up
	cd ui-tests && npx playwright test

bench: setup ui-tests/node_modules/.stamp system-deps
	$(BIN)/python bench/local_start.py && node bench/idle_requests.mjs && node bench/page_js.mjs && $(BIN)/python bench/memory.py

# The batch types against plain dask-jobqueue on the test batch systems (bench/README.md).
.PHONY: bench-slurm bench-sge
bench-slurm: setup slurm-up
	$(BIN)/python bench/slurm_start.py

bench-sge: setup sge-up
	$(BIN)/python bench/sge_start.py

clean:
	rm -rf lib tsconfig.tsbuildinfo jupyterlab_dask_clusters/labextension jupyterlab_dask_clusters/companion
