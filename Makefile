# The verbs of the course. `make help` lists them.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))
EXECUTED := build/executed

.DEFAULT_GOAL := help
.PHONY: help install lab test test-durations test-slow test-colab data sync execute student grade nbgrader bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

$(STAMP): requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make needs Python 3.11 to 3.13 as '$(PYTHON)' (none found): install one, or run make PYTHON=python3.12"; exit 1; }
	test -x $(PY) || { $(PYTHON) course_utils/envcheck.py && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

install: $(STAMP) ## create .venv (if needed) and install the exact pins and course_utils

lab: $(STAMP) ## install if needed, then open JupyterLab on the course
	$(VENV)/bin/jupyter lab $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) notebooks

# Two workers (--dist-work, conftest.py): units of work, longest first by the durations the last
# run recorded; a notebook's cells stay together. The run ends with its ten slowest tests.
# Data: the real MNIST / Fashion-MNIST where their files are local (data/, the Keras cache,
# $$COURSE_DATA_DIR), the stand-ins otherwise; never a download. The summary says which.
# The tests marked slow (grading notebook 02, make execute's HTML, ...) are left to test-slow,
# to keep make test short (its 3-minute budget: README, What each notebook costs); CI runs both.
TEST_ENV := COURSE_FAST=1 COURSE_DATA=auto COURSE_NO_DOWNLOAD=1
test: $(STAMP) ## install if needed, then run the tests and every notebook (reduced mode; real data where present, else stand-ins)
	$(TEST_ENV) $(PY) -m pytest -q -n 2 --dist-work -m "not slow" \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=600 $(NOTEBOOKS) tests

test-durations: ## keep the durations the last make test recorded as a fresh clone's scheduling default
	cp build/test-durations.json tests/durations.json

test-slow: $(STAMP) ## the slow tests make test leaves out (about 1 min)
	$(TEST_ENV) $(PY) -m pytest -q -n 2 --dist-work -m slow tests

data: $(STAMP) ## put MNIST, Fashion-MNIST, IMDB where the loaders find them (FROM=folder imports original files)
	$(PY) -m course_utils.data fetch $(if $(FROM),--from "$(FROM)")

# Colab's library versions (constraints-colab.txt) in a second venv: Colab's runtime and the test
# runner first, then the course package as the Colab set-up cell installs it (with its declared
# dependencies); nothing is pinned beyond Colab's versions. Python 3.13 as on Colab where there is one.
COLAB_VENV ?= .venv-colab
COLAB_PY := $(COLAB_VENV)/bin/python
COLAB_STAMP := $(COLAB_VENV)/.installed
COLAB_RUNTIME := tensorflow keras numpy scipy scikit-learn pandas matplotlib plotly pillow ipykernel ipython
COLAB_PYTHON ?= $(shell for p in python3.13 $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13; do \
	"$$p" -c 'import venv' >/dev/null 2>&1 && { echo "$$p"; exit; }; done; echo python3)

$(COLAB_STAMP): constraints-colab.txt pyproject.toml
	@echo "Colab runs Python 3.13; $(COLAB_VENV) uses $(COLAB_PYTHON): $$($(COLAB_PYTHON) --version)"
	test -x $(COLAB_PY) || $(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_PY) -m pip install -q --upgrade pip
	$(COLAB_PY) -m pip install -q -c constraints-colab.txt $(COLAB_RUNTIME) pytest nbval
	touch $@

# The course package is installed again on every run, so that the notebooks use this clone's version.
# --import-mode=importlib: the root conftest.py must not put the clone on sys.path (the tests check that
# course_utils is the installed package, as on Colab).
test-colab: $(COLAB_STAMP) ## the notebooks in a venv of Colab's versions (constraints-colab.txt), reduced mode
	$(COLAB_PY) -m pip install -q -c constraints-colab.txt .
	$(COLAB_PY) -m pip check
	cd $(COLAB_VENV) && COURSE_FAST=1 COURSE_DATA=synthetic COURSE_CACHE_DIR=$$(mktemp -d) \
		COURSE_COLAB_CONSTRAINTS=$(CURDIR)/constraints-colab.txt $(abspath $(COLAB_PY)) -m pytest -q \
		-p no:cacheprovider --import-mode=importlib --nbval-lax --nbval-current-env --nbval-cell-timeout=600 \
		$(CURDIR)/tests/test_colab_env.py $(abspath $(NOTEBOOKS))

sync: $(STAMP) ## pair notebooks/*.ipynb with notebooks/*.py (newest wins, cell metadata included) and strip outputs
	$(PY) -m course_utils.notebooks sync notebooks/*.py
	$(PY) -m course_utils.notebooks strip notebooks/*.ipynb

execute: $(STAMP) ## run every notebook headless in full mode into build/executed (ipynb + HTML, plots offline)
	mkdir -p $(EXECUTED)
	for nb in $(NOTEBOOKS); do \
		COURSE_FAST=0 PLOTLY_RENDERER=plotly_mimetype+notebook $(VENV)/bin/jupyter nbconvert --to notebook --execute \
			--ExecutePreprocessor.timeout=3600 --output-dir $(EXECUTED) $$nb || exit 1; \
		$(VENV)/bin/jupyter nbconvert --to html $(EXECUTED)/$$(basename $$nb) --output-dir $(EXECUTED) || exit 1; \
	done
	$(PY) -m course_utils.prose $(EXECUTED)/[0-9]*.ipynb   # every number the prose quotes, printed by a cell?

student: $(STAMP) ## write notebooks/student/*: each notebook with exercises, solutions removed
	$(PY) -m course_utils.student $(NOTEBOOKS)

grade: $(STAMP) ## grade SUBMISSIONS=folder in sandboxes into build/grading (report, gradebook, feedback, manual.csv)
	@test -n "$(SUBMISSIONS)$(findstring --manual,$(GRADE_ARGS))" || { echo "usage: make grade SUBMISSIONS=path/to/folder [GRADE_ARGS=\"--reduced --jobs 2\"], or make grade GRADE_ARGS=\"--manual build/grading/manual.csv\""; exit 2; }
	$(PY) -m course_utils.grading $(if $(SUBMISSIONS),"$(SUBMISSIONS)") --out build/grading $(GRADE_ARGS)

nbgrader: $(STAMP) ## the course as an nbgrader course folder in build/nbgrader (source/ for nbgrader's own commands)
	$(PY) -m course_utils.grading.nbgrader_course build/nbgrader

bench: $(STAMP) ## time every notebook (reduced and full) and `make test`; BENCH_ARGS="--notebook 03 --mode full"
	$(PY) -m course_utils.bench $(BENCH_ARGS)

clean: ## remove caches and build outputs (keeps .venv; `rm -rf .venv` to reinstall)
	rm -rf build .course_cache .pytest_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
