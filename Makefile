# stream2neptune: the only entry point for set-up, tests, rendering and local runs.
# `make demo` and `make test` do all set-up on a fresh machine (see README.md).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV        := $(CURDIR)/.venv
VENV_BIN    := $(VENV)/bin
PYTHON      ?= python3
NODE_TOOLS  := $(CURDIR)/node_modules
# Test tools live in the project, never on the machine: tests find them through PATH.
export PATH := $(VENV_BIN):$(PATH)
export KINESIS_MOCK_DIR := $(NODE_TOOLS)/kinesis-local

# Pinned versions of the real parts the tests run against.
PY_TOOLS := oxigraph==0.5.13 cfn-lint==1.58.0 checkov==3.3.30 cargo-lambda==1.9.2 awscli==1.46.2 moto[server]==5.2.5

CONFIG  ?= stack.yaml
OUT     ?= out
REGION  ?=

.PHONY: help tools fmt fmt-check lint test test-rust render check-templates snapshots demo local-bench local-browser clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort

## ---- set-up ---------------------------------------------------------------

tools: $(VENV)/.installed $(NODE_TOOLS)/.installed local-browser ## install the test tools into .venv and node_modules (and Debian chromium)

$(VENV)/.installed: Makefile
	$(PYTHON) -m venv $(VENV)
	$(VENV_BIN)/pip install --quiet --disable-pip-version-check $(PY_TOOLS)
	touch $@

$(NODE_TOOLS)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## ---- code quality ---------------------------------------------------------

fmt: ## format the code
	cargo fmt --all

fmt-check:
	cargo fmt --all -- --check

lint: ## clippy with warnings as errors
	cargo clippy --workspace --all-targets -- -D warnings

## ---- tests -----------------------------------------------------------------

test: tools fmt-check lint test-rust ## every test (what CI runs)

test-rust: tools
	cargo test --workspace

snapshots: ## accept changed insta snapshots after review
	INSTA_UPDATE=always cargo test --workspace --no-fail-fast || true

## ---- generator -------------------------------------------------------------

render: ## render every region of $(CONFIG) to $(OUT)/<region>/ (REGION=r renders one)
	cargo run --quiet -p stream2neptune -- render --config $(CONFIG) --out $(OUT) $(if $(REGION),--region $(REGION),)

check-templates: tools render ## cfn-lint and checkov (no network) over what `make render` wrote to $(OUT)
	cfn-lint --format parseable $(OUT)/*/stack.yaml
	checkov -d $(OUT) --framework cloudformation --compact --quiet --skip-download

## ---- local mode -----------------------------------------------------------

EDGES ?= 20000

demo: tools ## run the whole pipeline locally: kinesis-mock + Oxigraph + the writer (EDGES=n, REGION=r)
	cargo run --quiet --release -p stream2neptune-local --example demo -- --edges $(EDGES) $(if $(REGION),--region $(REGION),)

local-bench: tools ## local pipeline figures for BENCHMARKS.md: store ceiling, edges/s for 1/2/4 shards, iterator age at 1,000 edges/s
	cargo run --quiet --release -p stream2neptune-local --example bench -- --edges $(EDGES) $(if $(REGION),--region $(REGION),)

local-browser: ## install Debian's chromium (headless report test) when missing; the machine runs as root
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## ---- writer ---------------------------------------------------------------

.PHONY: bench-writer
bench-writer: tools ## writer benchmarks: CPU per record (criterion), write throughput vs the store's ceiling, start-up
	cargo bench -p stream2neptune-writer --bench record_path -- --warm-up-time 1 --measurement-time 3
	cargo bench -p stream2neptune-writer --bench write_throughput

clean:
	rm -rf $(OUT) target .local
