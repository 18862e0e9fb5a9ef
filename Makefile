# Two commands on a fresh machine (python3 and make only):
#   make check   check the whole proofs/ catalog and print the report
#   make test    run the test suite
# Each creates .venv and installs derivcheck into it on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 2

.PHONY: check test audit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

check: $(STAMP)
	$(BIN)/derivcheck check proofs/

test: $(STAMP)
	$(BIN)/ruff check derivcheck tests proofs bench
	$(BIN)/python -m pytest -n $(JOBS) tests derivcheck --doctest-modules

audit: $(STAMP)
	$(BIN)/derivcheck audit proofs/

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info
