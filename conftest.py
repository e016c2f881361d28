"""Repository-wide pytest hooks (the notebooks under notebooks/ and the tests under tests/).

Fixtures and the test environment live in tests/conftest.py.
"""

import os
from pathlib import Path

import pytest

# Every dataset load of a notebook kernel is logged here, one file per notebook, so the
# summary can say which data each notebook ran on (real files in data/, or the stand-ins).
DATA_LOG_DIR = Path(__file__).resolve().parent / "build" / "test-data-log"


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controller, before any worker starts
        DATA_LOG_DIR.mkdir(parents=True, exist_ok=True)
        for old in DATA_LOG_DIR.glob("*.log"):
            old.unlink()


# `make test` runs with --dist loadfile --no-loadscope-reorder: each file is one unit of work for
# a worker (a notebook's cells share one kernel), handed out in the order below: the notebooks,
# then the contract runs (whole student notebooks; they replay what the notebooks trained into
# the shared cache; the longest has a file of its own), then the grading tests, then the rest as
# collected. Long units first keep both workers busy to the end (pytest-xdist would otherwise
# order files by their number of tests, and the long contract runs would come last).
FIRST_FILES = ("test_contract_run_miniproject.py", "test_contract_runs.py", "test_grading.py")


def _unit_rank(item) -> int:
    path = Path(str(item.fspath))
    if path.suffix == ".ipynb":
        return 0
    return 1 + FIRST_FILES.index(path.name) if path.name in FIRST_FILES else 1 + len(FIRST_FILES)


def pytest_collection_modifyitems(config, items):
    items.sort(key=_unit_rank)  # a stable sort: the order within a rank is the collected one


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a notebook's kernel starts (with its first cell), point its data log at that notebook."""
    path = Path(str(item.fspath))
    if path.suffix == ".ipynb":
        os.environ["COURSE_DATA_LOG"] = str(DATA_LOG_DIR / f"{path.stem}.log")
    else:  # unit tests that load data in this worker's own process are not a notebook's loads
        os.environ.pop("COURSE_DATA_LOG", None)


def pytest_terminal_summary(terminalreporter):
    logs = sorted(DATA_LOG_DIR.glob("*.log")) if DATA_LOG_DIR.is_dir() else []
    if not logs:
        return
    terminalreporter.section("data each notebook ran on")
    for log in logs:
        seen = {}
        for line in log.read_text(encoding="utf-8").splitlines():
            name, source, origin = (line.split("\t") + ["", ""])[:3]
            seen[name] = source if source == "stand-in" else f"real ({origin})"
        text = ", ".join(f"{n}: {s}" for n, s in sorted(seen.items())) or "no dataset loaded"
        terminalreporter.write_line(f"{log.stem}: {text}")
