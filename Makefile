# stream2neptune: the only entry point for set-up, tests, rendering and local runs.
# `make demo` and `make test` do all set-up on a fresh machine (see README.md).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV        := $(CURDIR)/.venv
VENV_BIN    := $(VENV)/bin
# graph-notebook pins IPython 8.10: the notebooks' kernel gets an environment of its own.
NOTEBOOK_VENV := $(CURDIR)/.venv-notebooks
PYTHON      ?= python3
NODE_TOOLS  := $(CURDIR)/node_modules
# Java engines (Gremlin Server, Neo4j) resolved by Maven from tools/java/*/pom.xml; tests start them with `java -cp`.
JAVA_TOOLS  := $(CURDIR)/.java
# Test tools live in the project, never on the machine: tests find them through PATH.
export PATH := $(VENV_BIN):$(PATH)
export KINESIS_MOCK_DIR := $(NODE_TOOLS)/kinesis-local


CONFIG  ?= stack.yaml
OUT     ?= out
# One region or several, space-separated: REGION="eu-west-1 us-east-1".
REGION  ?=
# Parameter overrides for every selected region, space-separated: SET="ShardCount=8 BatchWriteSize=50".
SET     ?=
# Extra stack tags, space-separated: TAGS="team=graph env=test".
TAGS    ?=
REGION_FLAGS = $(foreach r,$(REGION),--region $(r))
SET_FLAGS    = $(foreach s,$(SET),--set $(s))
TAG_FLAGS    = $(foreach t,$(TAGS),--tag $(t))

.PHONY: help tools fmt fmt-check lint cycles test test-unit test-rust doc-tables region-data render check-templates snapshots demo local-bench local-browser clean

# What `make help` shows with its value now.
HELP_VARS := CONFIG OUT REGION SET TAGS WORKLOAD EDGES OPS LANGUAGE BENCH_ENGINES BENCH_ROUNDS BENCH_BATCH BENCH_DATA STREAM_SERVER ARCH STACK_NAME DRY_RUN PLAN DATA DELETE_BUCKET DELETE_RETAINED SINCE FOLLOW

help: ## list the targets and the variables they read, with their values now
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E -e 's/:.*## /\t/' $(foreach v,$(HELP_VARS),-e 's|\$$\($(v)\)|$($(v))|g') | sort
	@echo
	@echo 'variables (make TARGET VAR=value):'
	@$(foreach v,$(HELP_VARS),printf '  %-14s %s\n' '$(v)' '$(if $($(v)),$($(v)),(empty))';)

## ---- set-up ---------------------------------------------------------------

tools: $(VENV)/.installed $(NODE_TOOLS)/.installed notebook-tools $(JAVA_TOOLS)/gremlin-server/.installed $(JAVA_TOOLS)/neo4j/.installed local-browser ## install the test tools into .venv, .venv-notebooks, node_modules and .java (and Debian chromium)

# uv installs the Python tools: the same pinned sets as pip resolves, in a quarter of pip's time (PyPI's `uv`,
# pinned here, into .venv). --compile-bytecode stays: where PYTHONDONTWRITEBYTECODE is set (as on the machines here)
# Python keeps nothing it compiles on import, and every AWS CLI, cfn-lint and checkov run would compile its imports
# again (deploy_moto took twice as long without it).
UV_VERSION := 0.13.9
UV         := $(VENV_BIN)/uv
$(UV):
	$(PYTHON) -m venv $(VENV)
	$(VENV_BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Pinned versions of the real parts the tests run against are in requirements-tools.txt.
$(VENV)/.installed: requirements-tools.txt | $(UV)
	$(UV) pip install --quiet --python $(VENV_BIN)/python --compile-bytecode -r requirements-tools.txt
	touch $@

# What `make demo` installs: one stream server and the store of one language, each on its own. A stamp is skipped
# when `make tools` has installed everything already.
# Oxigraph alone (the sparql demo's store), at the version requirements-tools.txt pins.
$(VENV)/.oxigraph: requirements-tools.txt | $(UV)
	[ $(VENV)/.installed -nt requirements-tools.txt ] || $(UV) pip install --quiet --python $(VENV_BIN)/python --compile-bytecode "$$(grep '^oxigraph==' requirements-tools.txt)"
	touch $@

# kinesalite alone: kinesis-mock (npm kinesis-local) is the lock's one optional package.
$(NODE_TOOLS)/.kinesalite: package.json package-lock.json
	[ $(NODE_TOOLS)/.installed -nt package-lock.json ] || npm ci --no-audit --no-fund --omit=optional
	touch $@

.PHONY: notebook-tools
notebook-tools: $(NOTEBOOK_VENV)/.installed ## the notebooks' kernel environment (pinned graph-notebook, ipykernel, nbclient) in .venv-notebooks

# The versions the SageMaker lifecycle script installs (templates/partials/notebook.yaml.j2), plus nbclient.
$(NOTEBOOK_VENV)/.installed: requirements-notebooks.txt | $(UV)
	$(PYTHON) -m venv $(NOTEBOOK_VENV)
	$(UV) pip install --quiet --python $(NOTEBOOK_VENV)/bin/python --compile-bytecode -r requirements-notebooks.txt
	touch $@

$(NODE_TOOLS)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# TinkerPop Gremlin Server + TinkerGraph (3.7 line, pinned in the pom) into .java/gremlin-server/lib, and local mode's
# channelizer (requests naming no language go to the gremlin-lang grammar, as on Neptune) into .java/gremlin-server/classes.
$(JAVA_TOOLS)/gremlin-server/.installed: tools/java/gremlin-server/pom.xml tools/java/gremlin-server/GrammarHttpChannelizer.java
	rm -rf $(JAVA_TOOLS)/gremlin-server
	mvn --batch-mode --quiet -f tools/java/gremlin-server/pom.xml dependency:copy-dependencies \
	  -DincludeScope=runtime -DoutputDirectory=$(JAVA_TOOLS)/gremlin-server/lib
	javac -d $(JAVA_TOOLS)/gremlin-server/classes -cp '$(JAVA_TOOLS)/gremlin-server/lib/*' tools/java/gremlin-server/GrammarHttpChannelizer.java
	touch $@

# Embedded Neo4j 5.26 (Java 17) into .java/neo4j/lib, and the adapter that serves Neptune's openCypher HTTP form.
$(JAVA_TOOLS)/neo4j/.installed: tools/java/neo4j/pom.xml tools/java/neo4j/NeptuneOpenCypher.java
	rm -rf $(JAVA_TOOLS)/neo4j
	mvn --batch-mode --quiet -f tools/java/neo4j/pom.xml dependency:copy-dependencies \
	  -DincludeScope=runtime -DoutputDirectory=$(JAVA_TOOLS)/neo4j/lib
	javac -d $(JAVA_TOOLS)/neo4j/classes -cp '$(JAVA_TOOLS)/neo4j/lib/*' tools/java/neo4j/NeptuneOpenCypher.java
	touch $@

## ---- code quality ---------------------------------------------------------

fmt: ## format the code
	cargo fmt --all

fmt-check:
	cargo fmt --all -- --check

lint: cycles ## clippy with warnings as errors, and no circle of files
	cargo clippy --workspace --all-targets -- -D warnings

cycles: ## fail on files that import each other, directly or round a loop (tools/file_cycles.py)
	$(PYTHON) tools/file_cycles.py --self-test
	$(PYTHON) tools/file_cycles.py .

## ---- tests -----------------------------------------------------------------

test: ## every test (what CI runs): the tools install beside the format check and the linted test build, then the tests run
	$(MAKE) --no-print-directory -j2 test-build tools
	$(MAKE) --no-print-directory test-rust

# What needs no installed tool, so that `make test` runs it while `make tools` downloads. The test build is also the
# lint (`--lint`: clippy-driver compiles the workspace's crates with `make lint`'s lints and -D warnings), so the
# dependencies are compiled once, not once checked for clippy and once built for the tests.
.PHONY: test-build
test-build: fmt-check cycles
	$(PYTHON) tools/run_tests.py --lint --build-only

# Test binaries run TEST_JOBS at a time (tools/run_tests.py): most wait on a server, a JVM or the AWS CLI. The
# Lambda artifacts are packaged first, alone: the deploy tests then find them built.
TEST_JOBS ?= 2

test-rust: tools
	STREAM2NEPTUNE_CARGO_PROFILE=package-test $(PYTHON) tools/run_tests.py --lint --jobs $(TEST_JOBS) --package-first

doc-tables: ## regenerate the documentation's generated tables: the config reference (plan catalog) in docs/configuration.md, the writer's Environment (function/environment) and the existing-cluster endpoints (plan/src/endpoints.rs); review the diff
	REGENERATE_DOCS=1 cargo test --quiet -p stream2neptune-writer-environment --test environment docs_environment_is_the_generated_table
	REGENERATE_DOCS=1 cargo test --quiet -p stream2neptune --test iam docs_endpoints_are_the_generated_table
	REGENERATE_DOCS=1 cargo test --quiet -p stream2neptune --test cli docs_config_reference_is_the_generated_table

region-data: tools ## regenerate plan/src/data/region-offerings.json from the installed cfn-lint's region data (review the diff)
	REGENERATE_REGION_DATA=1 cargo test --quiet -p stream2neptune --test region_data

# What needs no installed tool (no .venv, node_modules, .java, cargo-lambda): the unit tests of every crate and
# the integration test binaries that start no server and run no external tool.
UNIT_TESTS := \
	-p stream2neptune --test cli --test config --test contract --test errors --test iam \
	--test render --test sizing --test snapshots \
	-p stream2neptune-plan --test catalog --test accessors \
	-p stream2neptune-writer-environment --test environment \
	-p stream2neptune-writer --test gremlin_http --test opencypher_http \
	-p stream2neptune-workload --test cli_args --test dataset --test writer_contract --test kinesis_tls

test-unit: ## the tests that need no installed tool (no `make tools`): unit tests, rendering, snapshots, the writer's HTTP contract
	cargo test --workspace --lib --bins
	cargo test $(UNIT_TESTS)

# cargo-insta, the version of the insta crate in Cargo.lock, installed into the project.
CARGO_TOOLS   := $(CURDIR)/.cargo-tools
CARGO_INSTA   := $(CARGO_TOOLS)/bin/cargo-insta
INSTA_VERSION := $(shell sed -n '/^name = "insta"$$/{n;s/^version = "\(.*\)"/\1/p;}' Cargo.lock)

$(CARGO_INSTA): Cargo.lock
	cargo install --locked --quiet --root $(CARGO_TOOLS) cargo-insta --version $(INSTA_VERSION)
	touch $@

snapshots: $(CARGO_INSTA) $(VENV)/.installed ## run the snapshot tests and accept what changed (review `git diff tests/snapshots`); other failures still fail
	$(CARGO_INSTA) test -p stream2neptune --accept --test snapshots --test cli --test deploy_dry_run

## ---- generator -------------------------------------------------------------

render: ## render every region of $(CONFIG) to $(OUT)/<region>/ (REGION="r ..." renders those; SET="K=V ...")
	cargo run --quiet -p stream2neptune -- render --config $(CONFIG) --out $(OUT) $(REGION_FLAGS) $(SET_FLAGS)

check-templates: tools render ## cfn-lint and checkov (no network) over what `make render` wrote to $(OUT)
	cfn-lint --format parseable $(OUT)/*/template.yaml
	checkov -d $(OUT) --framework cloudformation --compact --quiet --skip-download

## ---- local mode -----------------------------------------------------------

# What the demo sends: follows (the sample's people and follows edges, EDGES of them) or mixed (graph operations on
# customers, devices and orders, OPS of them, checked against the model of what they leave).
WORKLOAD ?= follows
EDGES ?= 20000
OPS ?= 2000
# The demo's query language and so its store (gremlin: Gremlin Server, sparql: Oxigraph, opencypher: Neo4j);
# empty follows the region's QueryLanguage. Same as SET="QueryLanguage=...".
LANGUAGE ?=
LANGUAGE_FLAGS = $(if $(LANGUAGE),--set QueryLanguage=$(LANGUAGE),)
# The local Kinesis of `make demo`: kinesalite or kinesis-mock (empty: the demo's default, kinesalite).
STREAM_SERVER ?=
# `make local-bench` sends 100,000 edges unless EDGES is given.
LOCAL_BENCH_EDGES := $(if $(filter file,$(origin EDGES)),100000,$(EDGES))

DEMO_FLAGS = --config $(CONFIG) --workload $(WORKLOAD) $(if $(filter mixed,$(WORKLOAD)),--ops $(OPS),--edges $(EDGES)) $(REGION_FLAGS) $(SET_FLAGS) $(LANGUAGE_FLAGS) $(if $(STREAM_SERVER),--stream-server $(STREAM_SERVER),)
# The demo's binary, built with a profile of its own (Cargo.toml, [profile.demo]): the one that reaches the
# summary soonest from a cold build (BENCHMARKS.md, "make demo: build to summary").
DEMO_BIN = $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/demo/stream2neptune
DEMO_STREAM_TOOLS = $(if $(filter kinesis-mock,$(STREAM_SERVER)),$(NODE_TOOLS)/.installed,$(NODE_TOOLS)/.kinesalite)

demo: ## run the whole pipeline locally: kinesalite (or STREAM_SERVER=kinesis-mock) + the store of the region's QueryLanguage + the writer (WORKLOAD=follows with EDGES=$(EDGES), or WORKLOAD=mixed with OPS=$(OPS) graph operations checked against the model; REGION=r, LANGUAGE=gremlin|sparql|opencypher, SET="K=V ..."); installs only those
	$(if $(word 2,$(REGION)),$(error the demo runs one region; REGION="$(REGION)" names several))
	$(MAKE) --no-print-directory -j2 demo-build $(DEMO_STREAM_TOOLS)
	language=$$($(DEMO_BIN) demo $(DEMO_FLAGS) --print-language); $(MAKE) --no-print-directory demo-store-$$language
	$(DEMO_BIN) demo $(DEMO_FLAGS)

# Only the binary the demo runs; cargo shows its progress.
.PHONY: demo-build demo-store-gremlin demo-store-sparql demo-store-opencypher
demo-build:
	cargo build --profile demo -p stream2neptune --bin stream2neptune

# The store of each QueryLanguage (the one `demo --print-language` names).
demo-store-gremlin: $(JAVA_TOOLS)/gremlin-server/.installed
demo-store-sparql: $(VENV)/.oxigraph
demo-store-opencypher: $(JAVA_TOOLS)/neo4j/.installed

local-bench: tools ## local pipeline figures for BENCHMARKS.md in the region's QueryLanguage (REGION, LANGUAGE, SET="K=V ..."): store ceiling, end to end per stream server with and without aggregation (EDGES, default 100000), CPU per part, iterator age at 1,000 and 10,000 edges/s
	cargo run --quiet --release -p stream2neptune-local --example bench -- --edges $(LOCAL_BENCH_EDGES) $(if $(REGION),--region $(REGION),) $(if $(LANGUAGE),--language $(LANGUAGE),) $(SET_FLAGS)

local-browser: ## install Debian's chromium (headless report test) when missing; the machine runs as root
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## ---- writer ---------------------------------------------------------------

.PHONY: bench-writer write-bench
bench-writer: tools ## writer CPU benchmarks (criterion): CPU per record and per deaggregated user record (write speed: `make write-bench`)
	cargo bench -p stream2neptune-writer --bench record_path -- --warm-up-time 1 --measurement-time 3
	cargo bench -p stream2neptune-writer --bench deaggregation -- --warm-up-time 1 --measurement-time 3

# write-bench's defaults (BENCH_EDGES is shared with bench-workload, whose default is 10000).
BENCH_ENGINES ?= oxigraph,gremlin-server,neo4j
BENCH_ROUNDS  ?= 3
BENCH_BATCH   ?= 100
BENCH_DATA    ?= spread
BENCH_WRITER_VARIANTS ?=
WRITE_BENCH_EDGES = $(if $(filter file,$(origin BENCH_EDGES)),20000,$(BENCH_EDGES))

write-bench: tools ## the writer's edges/s beside each engine's best contender (tools/bench: HTTP, gremlinpython, Neo4j driver), fresh server per round (BENCH_ENGINES, BENCH_ROUNDS, BENCH_EDGES default 20000, BENCH_BATCH, BENCH_DATA=spread,zipf,mixed adds the hot-key data set and the graph-operation workload, BENCH_WRITER_VARIANTS=VAR=value races a writer setting); then the writer's start-up
	BENCH_ENGINES=$(BENCH_ENGINES) BENCH_ROUNDS=$(BENCH_ROUNDS) BENCH_EDGES=$(WRITE_BENCH_EDGES) BENCH_BATCH=$(BENCH_BATCH) BENCH_DATA=$(BENCH_DATA) \
	  BENCH_WRITER_VARIANTS=$(BENCH_WRITER_VARIANTS) \
	  cargo bench -p stream2neptune-local --bench write_throughput
	cargo bench -p stream2neptune-writer --bench startup

## ---- workload -------------------------------------------------------------

BENCH_EDGES ?= 10000

.PHONY: bench-workload
bench-workload: tools ## workload figures for BENCHMARKS.md: data set rate (2M edges), driver ceiling, driver vs kinesis-mock (BENCH_EDGES=n)
	cargo run --quiet --release -p stream2neptune-workload --example bench_workload -- $(BENCH_EDGES)

clean:
	rm -rf $(OUT) target .local

## ---- packaging and deploy -------------------------------------------------
# DRY_RUN=1 prints every AWS command and runs none; STACK_NAME names the stack in each region; DATA=dir (a
# `stream2neptune dataset --out dir` folder) also uploads the data set to the artifact bucket's data/ keys.
STACK_NAME ?= stream2neptune
ARCH       ?= x86_64
DRY_RUN    ?=
# PLAN=1 (make stack, make stacks): a change set per region, its changes printed, then deleted; nothing executed.
PLAN       ?=
# make logs: how far back to start (30s, 10m, 2h, 1d); FOLLOW=1 keeps printing new lines until Ctrl-C.
SINCE      ?= 10m
FOLLOW     ?=
DATA       ?=
DELETE_BUCKET ?=
# make destroy: DELETE_RETAINED=1 also removes what the stack keeps by design (final snapshot, on-failure bucket;
# the KMS key scheduled for deletion in 30 days).
DELETE_RETAINED ?=
S2N        := cargo run --quiet -p stream2neptune --
DRY_RUN_FLAG = $(if $(filter 1 true yes,$(DRY_RUN)),--dry-run,)
# A real run needs cargo-lambda and the AWS CLI from .venv (the package step installs a missing Rust target
# itself); a dry run builds and calls nothing, so it needs neither.
DEPLOY_TOOLS = $(if $(DRY_RUN_FLAG),,$(VENV)/.installed)
PLAN_FLAG    = $(if $(filter 1 true yes,$(PLAN)),--plan,)
DEPLOY_FLAGS = --config $(CONFIG) --stack-name $(STACK_NAME) $(DRY_RUN_FLAG) $(SET_FLAGS) $(TAG_FLAGS)

.PHONY: function package stack stacks function-deploy destroy status logs need-region

need-region:
	@test -n "$(REGION)" || { echo "set REGION, e.g. make $(MAKECMDGOALS) REGION=eu-west-1 (several: REGION=\"eu-west-1 us-east-1\")" >&2; exit 2; }

function: $(VENV)/.installed ## build the writer with cargo-lambda into $(OUT)/artifacts (ARCH=$(ARCH); arm64 for Graviton)
	$(S2N) package --out $(OUT)/artifacts --arch $(ARCH) --only writer

package: $(VENV)/.installed ## package the writer, the driver and the notebooks into $(OUT)/artifacts
	$(S2N) package --out $(OUT)/artifacts --arch $(ARCH)

stack: need-region $(DEPLOY_TOOLS) ## render, package, upload and deploy REGION="r ..." (SET="K=V ...", TAGS="K=V ...", PLAN=1 previews the changes, DRY_RUN=1 prints the AWS commands only)
	$(S2N) deploy $(REGION_FLAGS) --out $(OUT) $(DEPLOY_FLAGS) $(PLAN_FLAG) $(if $(DATA),--data $(DATA),)

stacks: $(DEPLOY_TOOLS) ## deploy every region listed in $(CONFIG) (SET, TAGS; PLAN=1 previews the changes, DRY_RUN=1 prints the AWS commands only)
	$(S2N) deploy --out $(OUT) $(DEPLOY_FLAGS) $(PLAN_FLAG) $(if $(DATA),--data $(DATA),)

function-deploy: need-region $(DEPLOY_TOOLS) ## rebuild the writer and update only FunctionCodeKey of each REGION="r ..."
	for region in $(REGION); do $(S2N) function-deploy --region $$region --artifacts $(OUT)/artifacts $(DEPLOY_FLAGS); done

destroy: need-region $(DEPLOY_TOOLS) ## delete the stack of each REGION="r ..." and list what it leaves behind with its cost (DELETE_RETAINED=1 removes that: snapshot, on-failure bucket, key scheduled for deletion; DELETE_BUCKET=1 also deletes the artifact bucket)
	for region in $(REGION); do $(S2N) destroy --region $$region --stack-name $(STACK_NAME) $(DRY_RUN_FLAG) $(if $(filter 1 true yes,$(DELETE_BUCKET)),--delete-bucket,) $(if $(filter 1 true yes,$(DELETE_RETAINED)),--delete-retained,); done

status: need-region $(VENV)/.installed ## the stack of each REGION="r ..." on one screen: outputs, mapping, iterator age, queues, Neptune
	for region in $(REGION); do $(S2N) status --region $$region --stack-name $(STACK_NAME); done

logs: need-region $(VENV)/.installed ## the writer's log of REGION since SINCE=$(SINCE) (FOLLOW=1 follows until Ctrl-C)
	$(S2N) logs --region $(REGION) --stack-name $(STACK_NAME) --since $(SINCE) $(if $(filter 1 true yes,$(FOLLOW)),--follow,)
