# Cerchia: one target per job. `make help` lists them; `make check` runs every gate CI cares about.
#
# Two Python environments, on purpose:
#   .venv       the project (pip install -e '.[dev]'): tests, linters, the `cerchia` CLI;
#   .tools/sam  the AWS SAM CLI, which pins its own boto3/pydantic and must not share them.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

# Any Python >= 3.11 runs the project locally; override with `make PYTHON=python3.12 venv`.
PYTHON ?= python3
VENV := .venv
VENV_STAMP := $(VENV)/.cerchia-installed
# Pinned so CI and every developer validate and build with the same SAM; bump on purpose.
SAM_CLI_VERSION ?= 1.170.0
SAM_VENV := .tools/sam
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_CLI_VERSION)
SAM := $(SAM_VENV)/bin/sam
REGION ?= eu-west-1
SAMCONFIG := infra/samconfig.toml

# SAM CLI must not phone home: this network reaches package registries only.
export SAM_CLI_TELEMETRY := 0

# A real python3.13 (the functions' runtime; a pyenv shim that only errors is not enough) goes first on
# PATH for `sam build`: the layer's bytecode is then compiled for 3.13, and SAM's pip builder, which
# needs the runtime's own python once a function has a requirements.txt, finds it.
PY313_CANDIDATES := $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) /usr/local/bin/python3.13 \
	/usr/bin/python3.13 $(shell command -v python3.13 2>/dev/null)
PY313 := $(firstword $(foreach p,$(PY313_CANDIDATES),$(shell PYENV_VERSION= "$(p)" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 && echo $(p))))
BUILD_PATH := $(if $(PY313),$(dir $(PY313)):)$(PATH)

TEST_DIRS := $(wildcard tests/unit tests/integration tests/template tests/e2e tests/bench)
# pytest-cov combines the xdist workers' data, so two workers keep the coverage total exact
# (checked: same total as a serial run). PYTEST_WORKERS=0 runs serially; PYTEST_ARGS adds options.
PYTEST_WORKERS ?= 2
# What vulture reads for dead code; vulture_whitelist.py lists, with reasons, what only templates, tests or frameworks use.
VULTURE_PATHS := shared/cerchia functions infra/cerchia_infra vulture_whitelist.py
PYTEST_ARGS ?=

.PHONY: help venv demo test browser tools lint format typecheck template check build deploy bench clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: $(VENV_STAMP) ## Create .venv and install the project with its dev extras (again when pyproject.toml changes)

$(VENV_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Cerchia needs Python >= 3.11; run make PYTHON=/path/to/python3.11-or-newer")'
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: venv ## Play the scripted demo week on the local stack and leave its emails in the outbox
	$(VENV)/bin/cerchia demo

test: venv browser tools ## Run unit, integration, template, e2e and bench-smoke tests with branch coverage (floor 85%)
	$(VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --cov --cov-branch --cov-report=term --cov-fail-under=85 $(PYTEST_ARGS) $(TEST_DIRS)

browser: ## Install Debian's chromium for the browser tests (once; needs root)
	@if [ -x /usr/bin/chromium ]; then \
		echo "chromium already installed: $$(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "error: /usr/bin/chromium is missing and installing it needs root." >&2; \
		echo "       Run: sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium" >&2; \
		exit 1; \
	else \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -q && apt-get install -y -q --no-install-recommends chromium; \
	fi

tools: $(SAM_STAMP) ## Install the AWS SAM CLI in its own venv (.tools/sam)

$(SAM_STAMP):
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet 'aws-sam-cli==$(SAM_CLI_VERSION)'
	touch $@

lint: venv ## Lint and check formatting with ruff, the architecture contracts (import-linter) and dead code (vulture)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/vulture $(VULTURE_PATHS) --min-confidence 60 --ignore-names "model_config,lambda_handler" \
		--ignore-decorators "@app.*,@router.*,@elsewhere.*,@*.exception_handler"

format: venv ## Fix lint where ruff can, and format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: venv ## Type-check shared/ and infra/ with mypy
	$(VENV)/bin/mypy

template: venv tools ## Lint and validate template.yaml (cfn-lint, sam validate --lint)
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml --region $(REGION)

check: lint typecheck template test ## Everything CI could gate on: lint, typecheck, template, test

build: tools ## Build the layer and functions with sam build (no Docker) into .aws-sam/build
	@if [ -n "$(PY313)" ]; then \
		echo "python3.13 for the build: $(PY313)"; \
	else \
		echo "note: no python3.13 found: the layer ships without bytecode (slower cold starts)," \
			"and a function that gains a requirements.txt will fail to build. Install one (pyenv install 3.13)."; \
	fi
	PATH="$(BUILD_PATH)" $(SAM) build --template template.yaml

# make deploy STAGE=prod [SENDER=news@club.example] [PARAMS='MaxSendRate=2 AlarmTopicArn=arn:...']
# The first deploy of a stage needs SENDER (an address or domain verified in SES): at a terminal
# without it, sam asks for every parameter (--guided); in CI (no terminal, or CI set) it stops with
# a sentence instead of waiting on a prompt. Later deploys keep the stack's SenderAddress unless
# SENDER is given. At a terminal the change set is shown for confirmation; in CI it is not.
STAGE ?= dev
STACK_NAME ?= cerchia-$(STAGE)
SENDER ?=
PARAMS ?=
INTERACTIVE = $(shell [ -t 0 ] && [ -z "$${CI:-}" ] && echo yes)

OVERRIDES = Stage=$(STAGE)$(if $(SENDER), SenderAddress=$(SENDER))$(if $(PARAMS), $(PARAMS))
DEPLOY_ARGS = --config-file $(SAMCONFIG) --region $(REGION) --stack-name $(STACK_NAME) --s3-prefix $(STACK_NAME) \
	--tags "project=cerchia stage=$(STAGE)" --parameter-overrides "$(OVERRIDES)"

deploy: build ## Deploy a stage: make deploy STAGE=prod (SENDER=<verified address> the first time)
	@if ! $(SAM) list stack-outputs --stack-name $(STACK_NAME) --region $(REGION) >/dev/null 2>&1 \
			&& [ -z "$(SENDER)" ]; then \
		if [ "$(INTERACTIVE)" = yes ]; then \
			echo "First deploy of stage $(STAGE) (stack $(STACK_NAME)): sam asks for each parameter;"; \
			echo "SenderAddress must be an address or domain verified in SES."; \
			echo '$(SAM) deploy --guided $(DEPLOY_ARGS)'; \
			exec $(SAM) deploy --guided $(DEPLOY_ARGS); \
		fi; \
		echo "error: stack $(STACK_NAME) does not exist yet (or there are no AWS credentials for $(REGION))," >&2; \
		echo "       and its first deploy needs the sender: make deploy STAGE=$(STAGE) SENDER=<an address verified in SES>" >&2; \
		exit 2; \
	fi
	@echo '$(SAM) deploy $(DEPLOY_ARGS) $(if $(INTERACTIVE),--confirm-changeset,--no-confirm-changeset)'
	@$(SAM) deploy $(DEPLOY_ARGS) $(if $(INTERACTIVE),--confirm-changeset,--no-confirm-changeset)

bench: venv ## Measure import times, DynamoDB requests per event, nudge sweep reads, digest cost
	$(VENV)/bin/python -m cerchia_infra.bench

clean: ## Remove build output, caches and test artifacts (keeps .venv and .tools)
	rm -rf .aws-sam build dist htmlcov test-artifacts .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
	find . -path ./.venv -prune -o -path ./.tools -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -path ./.venv -prune -o -path ./.tools -prune -o -name '*.egg-info' -type d -prune -exec rm -rf {} +
