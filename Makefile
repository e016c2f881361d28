# The verbs of the course. `make help` lists them.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))
EXECUTED := build/executed

.DEFAULT_GOAL := help
.PHONY: help install lab test sync execute student grade bench clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

install: $(STAMP) ## create .venv (if needed) and install the exact pins and course_utils

lab: $(STAMP) ## install if needed, then open JupyterLab on the course
	$(VENV)/bin/jupyter lab notebooks

# Two workers, one file each at a time (--dist loadfile keeps a notebook's cells together);
# the notebooks go first so that the student-version tests replay their cached trainings.
test: $(STAMP) ## install if needed, then run every test (reduced mode, stand-in data)
	COURSE_FAST=1 COURSE_DATA=synthetic $(PY) -m pytest -q -n 2 --dist loadfile \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=600 $(NOTEBOOKS) tests

sync: $(STAMP) ## pair notebooks/*.ipynb with notebooks/*.py (newest wins) and strip outputs
	$(VENV)/bin/jupytext --sync notebooks/*.py notebooks/*.ipynb
	$(PY) -m course_utils.notebooks strip notebooks/*.ipynb

execute: $(STAMP) ## run every notebook headless in full mode into build/executed (ipynb + HTML)
	mkdir -p $(EXECUTED)
	for nb in $(NOTEBOOKS); do \
		COURSE_FAST=0 $(VENV)/bin/jupyter nbconvert --to notebook --execute \
			--ExecutePreprocessor.timeout=3600 --output-dir $(EXECUTED) $$nb || exit 1; \
		$(VENV)/bin/jupyter nbconvert --to html $(EXECUTED)/$$(basename $$nb) --output-dir $(EXECUTED) || exit 1; \
	done

student: $(STAMP) ## write notebooks/student/*: each notebook with exercises, solutions removed
	$(PY) -m course_utils.student $(NOTEBOOKS)

grade: $(STAMP) ## grade SUBMISSIONS=folder in sandboxes; build/grading/report.{md,csv} and gradebook.csv
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=path/to/folder [GRADE_ARGS=\"--reduced --jobs 2\"]"; exit 2; }
	$(PY) -m course_utils.grading "$(SUBMISSIONS)" --out build/grading $(GRADE_ARGS)

bench: $(STAMP) ## time every notebook (reduced and full) and `make test`; BENCH_ARGS="--notebook 03 --mode full"
	$(PY) -m course_utils.bench $(BENCH_ARGS)

clean: ## remove caches and build outputs (keeps .venv; `rm -rf .venv` to reinstall)
	rm -rf build .course_cache .pytest_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
