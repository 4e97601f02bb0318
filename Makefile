# dpo-workbench: `make run` serves the dashboard on the demo installation,
# `make test` runs the whole test suite. Both create the virtual environment first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   := demo-install
PYTEST_ARGS ?=

.PHONY: run test venv demo lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "dpo-workbench needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dashboard,notebooks,test]'
	@touch $(STAMP)

demo: $(DEMO)/workbench.yaml

$(DEMO)/workbench.yaml: | $(STAMP)
	$(BIN)/dpo-workbench demo build $(DEMO)

run: $(STAMP) demo
	$(BIN)/python -m dpo_workbench.serve --config $(DEMO)/workbench.yaml

test: $(STAMP)
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check dpo_workbench tests bench

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache
