# The two commands: `make synth` and `make test`. Each installs what is missing first.
SHELL := /bin/bash
PIPENV_VERSION := 2026.10.3

# The fleet file is $(FLEET) when set and not empty, else fleet/model/load.py's DEFAULT_FLEET: every
# command below reads FLEET from the environment, and none of them is given a default here.
export FLEET
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export TF_CLI_CONFIG_FILE := $(CURDIR)/terraform.rc
export CHECKPOINT_DISABLE := 1

BASE ?= origin/main
# The tests run on pytest-xdist workers; a module stays on one worker (`--dist loadscope`), so a
# module's emulator or synth fixture is built once. `make test-quick` runs one worker per core (it is
# CPU-bound: a worker more made it slower). `make test` runs one worker more than there are cores:
# its slow tests leave a core idle while the AWS provider waits out its fixed delays (30 s twice
# for a new ALB, a KMS key's propagation, a pause before DeleteCluster). `PYTEST_WORKERS=N` sets the
# number for both; `make test PYTEST_WORKERS=0` runs the tests in this one process. The quick loop
# draws a quarter of each property test's examples (QUICK_LOOP=1, tests/support/examples.py).
PYTEST_WORKERS ?=
CORES := $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
workers = $(if $(filter 0,$(1)),,-n $(1) --dist loadscope)
# The tests keep the bytecode of this repository's modules and pytest's rewritten test modules
# (__pycache__/, ignored by git) even where PYTHONDONTWRITEBYTECODE is set: each worker, and each of
# the hundreds of `python -m fleet` processes the tests start, would otherwise compile them again.
PYTEST := PYTHONDONTWRITEBYTECODE= pipenv run pytest
.PHONY: deps synth test test-quick validate lint plan diff bench docs shift bench-shift
.DEFAULT_GOAL := synth

.venv/.synced: Pipfile.lock
	@command -v pipenv >/dev/null 2>&1 || python3 -m pip install --quiet "pipenv==$(PIPENV_VERSION)"
	pipenv sync --dev
	@# Synth runs under python -O (no runtime type checks in the bindings): compile for it once,
	@# since PYTHONDONTWRITEBYTECODE would otherwise make every run recompile ~2,200 modules.
	pipenv run python -O -m compileall -q -j 0 $$(pipenv --venv)/lib > /dev/null
	@touch $@

node_modules/.synced: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: .venv/.synced node_modules/.synced

## Synthesize the fleet file (one directory per stack, under cdktf.out/ or $CDKTF_OUTDIR).
synth: deps
	@pipenv run python -O main.py --summary

## Validate the fleet file without synthesizing (fast; fit for a pre-commit hook).
validate: .venv/.synced
	@pipenv run python -m fleet validate

## The steps that finish every swap under way in the fleet file, each with its rollback.
plan: .venv/.synced
	@pipenv run python -m fleet plan

## Per-stack diff of the fleet file against $(BASE) (a git revision), and the live-generation guard.
diff: .venv/.synced
	@pipenv run python -m fleet diff --base $(BASE)

## Move $(SERVICE)'s traffic to the fleet file's weights under analysis (docs/shift.md); synthesizes first.
shift: deps
	@test -n "$(SERVICE)" || { echo "make shift: name the service, e.g. make shift SERVICE=web" >&2; exit 2; }
	@pipenv run python -O main.py
	@pipenv run python -m fleet shift $(SERVICE) $(SHIFT_ARGS)

## Every test: fleet model, constructs, invariants, terraform validate, checkov.
test: deps
	pipenv run ruff check .
	$(PYTEST) $(call workers,$(or $(PYTEST_WORKERS),$(shell echo $$(($(CORES) + 1)))))

## Regenerate docs/fleet-file.md (from the fleet model's schema and docs/fleet-file.intro.md) and
## docs/fleet.schema.json (the fleet file's JSON Schema, which every fleet file names for editors).
docs: .venv/.synced
	pipenv run python docs/generate.py
	pipenv run python docs/schema.py

## The quick loop: every test but the slow ones (`slow` marker: real tools, many synths, over ~30 s).
test-quick: deps
	pipenv run ruff check .
	QUICK_LOOP=1 $(PYTEST) -m "not slow" $(call workers,$(or $(PYTEST_WORKERS),auto))

## Synth wall time and peak memory against the import floor, for 1, 10 and 50 target generations.
bench: .venv/.synced
	pipenv run python bench/synth.py $(BENCH_ARGS)

## What one fleet shift step costs beyond its bake time, against moto_server (bench/shift.py).
bench-shift: .venv/.synced
	pipenv run python bench/shift.py $(BENCH_ARGS)

lint: .venv/.synced
	pipenv run ruff check .
	pipenv run ruff format --check .
	pipenv run mypy
	@# The workflows, statically and without the network: --offline turns off the online audits
	@# and every fetch (a GH_TOKEN in the environment changes nothing).
	pipenv run zizmor --offline .github/workflows
