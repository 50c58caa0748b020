# How neural networks learn to control bodies -- the single entry point.
#
#   make book    set up .venv, vendor the book's JavaScript, execute every chapter with papermill,
#                build the HTML book into _build/html (open _build/html/index.html)
#   make test    the same set-up (JupyterLab included), then pytest: unit tests, every chapter executed,
#                the book built, the built book checked in headless Chromium, chapter 1 run live in JupyterLab
#   make seeds   execute every chapter again with seeds 1 and 2 and check every claim on each build
#                (about an hour and a half; not part of make test: run it before changing a chapter's claims)
#   make lab     JupyterLab on _build/lab/notebooks/ (a working copy of notebooks/: the committed notebooks
#                are never written; live runs write metrics to _build/lab/metrics/), chapters live with widgets
#   make student the student edition into _build/student/: every chapter without the exercises' solutions
#                and without outputs, ready to hand out (the book links each chapter's copy)
#   make clean   remove everything the build produced (keeps .venv)
#
# Set-up is guarded by a stamp file: a second run after no change to requirements.txt or
# pyproject.toml installs nothing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.motorkit-setup.stamp
LAB_STAMP := $(VENV)/.motorkit-lab.stamp

# Two cores: thread counts are set deliberately, for everything below (chapters may lower them).
export OMP_NUM_THREADS ?= 2
export MKL_NUM_THREADS ?= 2
export OPENBLAS_NUM_THREADS ?= 2
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Extra arguments for the chapter run, e.g. make book PUBLISH_ARGS="-p seed 3"
PUBLISH_ARGS ?=
# Extra arguments for pytest, e.g. make test PYTEST_ARGS="-k publish"
PYTEST_ARGS ?=

.PHONY: book test seeds setup vendor execute html lab student clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || { echo "[make] creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "[make] installing pinned requirements (torch first, CPU build)"
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m pip check
	@touch $@

setup: $(STAMP)

vendor: $(STAMP)
	$(PY) -m motorkit.publish vendor

execute: setup vendor
	$(PY) -m motorkit.publish execute $(PUBLISH_ARGS)

html: setup vendor
	$(PY) -m motorkit.publish build

book: setup vendor
	$(PY) -m motorkit.publish check
	$(PY) -m motorkit.publish execute $(PUBLISH_ARGS)
	$(PY) -m motorkit.publish build
	@echo
	@echo "The book is built. Open: $${MOTORKIT_BUILD_DIR:-$(CURDIR)/_build}/html/index.html"

# pytest executes every chapter and builds the book once per session (tests/conftest.py), so a
# failing chapter is reported as a failing test and pytest always ends with its summary line.
# JupyterLab is installed too: tests/test_lab.py runs chapter 1 live, started as `make lab` starts it.
test: setup vendor $(LAB_STAMP)
	$(PY) -m pytest -ra $(PYTEST_ARGS)

# The seeds run (python -m motorkit.publish seeds): _build/seeds/<seed>/ per seed, the report in
# _build/seeds/robustness.json and book/robustness.json (commit it: the book's appendix shows it).
SEEDS ?= 1 2
seeds: setup
	$(PY) -m motorkit.publish seeds $(SEEDS) $(PUBLISH_ARGS)

$(LAB_STAMP): requirements-lab.txt $(STAMP)
	$(PY) -m pip install --quiet -r requirements-lab.txt -c requirements.txt
	@touch $@

# Extra arguments for JupyterLab, e.g. make lab LAB_ARGS="--no-browser --port 8890"
LAB_ARGS ?=
lab: $(LAB_STAMP)
	$(PY) -m motorkit.publish lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

student: setup
	$(PY) -m motorkit.publish student

clean:
	rm -rf _build node_modules .pytest_cache
