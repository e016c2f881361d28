"""Repository-wide pytest hooks (the notebooks under notebooks/ and the tests under tests/).

Fixtures and the test environment live in tests/conftest.py.
"""

import json
import os
import time
from pathlib import Path

import pytest

# Every dataset load of a notebook kernel is logged here, one file per notebook, so the
# summary can say which data each notebook ran on (real files in data/, or the stand-ins).
DATA_LOG_DIR = Path(__file__).resolve().parent / "build" / "test-data-log"


def pytest_configure(config):
    _RUN["controller"] = not hasattr(config, "workerinput")
    if not hasattr(config, "workerinput"):  # the controller, before any worker starts
        DATA_LOG_DIR.mkdir(parents=True, exist_ok=True)
        for old in DATA_LOG_DIR.glob("*.log"):
            old.unlink()


# Scheduling (`make test` runs with `-n 2 --dist work`, a scheduler of this file): the work is cut
# into units, and the longest units go first, so that both workers stay busy to the end. A unit is
# a notebook (its cells share one kernel), or a test file (its module fixtures are built once),
# except that a test recorded as long (LONG_TEST seconds or more) is a unit of its own. The
# lengths are those recorded by the last run here (build/test-durations.json, rewritten after each
# run) or, in a fresh clone, tests/durations.json (the same file from a run on a 2-core machine,
# refreshed with `make test-durations`); a test never recorded counts as UNKNOWN_TEST seconds.
ROOT = Path(__file__).resolve().parent
DURATIONS = ROOT / "build" / "test-durations.json"
DEFAULT_DURATIONS = ROOT / "tests" / "durations.json"
LONG_TEST = 15.0
UNKNOWN_TEST = 1.0


def recorded_durations() -> dict:
    """From the last run: {"seconds": per test node id (setup, call, teardown), "shared": the node ids
    that use a fixture built once per module or class, and so stay in their file's unit}."""
    for path in (DURATIONS, DEFAULT_DURATIONS):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return {"seconds": {str(k): float(v) for k, v in data["seconds"].items()},
                    "shared": set(map(str, data["shared"]))}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return {"seconds": {}, "shared": set()}


def work_unit(nodeid: str, durations: dict) -> str:
    """The unit of work a test belongs to: its notebook or file, or itself when it is long and shares
    no module fixture with the tests beside it."""
    file = nodeid.split("::", 1)[0]
    if file.endswith(".ipynb") or nodeid in durations["shared"] \
            or durations["seconds"].get(nodeid, 0.0) < LONG_TEST:
        return file
    return nodeid


def ordered_units(nodeids: list[str], durations: dict) -> dict[str, list[str]]:
    """The units of ``nodeids``, longest first (a stable sort: ties keep the collected order)."""
    units: dict[str, list[str]] = {}
    for nodeid in nodeids:
        units.setdefault(work_unit(nodeid, durations), []).append(nodeid)
    cost = {unit: sum(durations["seconds"].get(n, UNKNOWN_TEST) for n in ids) for unit, ids in units.items()}
    return {unit: units[unit] for unit in sorted(units, key=lambda u: -cost[u])}


def _shares_fixtures(item) -> bool:
    """Whether the test uses a fixture that pytest builds once for its module or class."""
    defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {}) or {}
    return any(str(getattr(d[-1], "scope", "function")) in ("module", "class", "package")
               for d in defs.values() if d)


def pytest_collection_modifyitems(config, items):
    for item in items:                   # reaches the controller with each report (the run's record)
        item.user_properties.append(("shares_fixtures", _shares_fixtures(item)))
    units = ordered_units([item.nodeid for item in items], recorded_durations())
    rank = {nodeid: i for i, nodeid in enumerate(n for ids in units.values() for n in ids)}
    items.sort(key=lambda item: rank[item.nodeid])


def pytest_addoption(parser):
    group = parser.getgroup("xdist")
    group.addoption("--dist-work", action="store_true",
                    help="with -n: hand out the course's units of work, longest first (conftest.py)")


def _make_scheduler(config, log):
    if not config.getoption("dist_work", False):
        return None
    from xdist.scheduler import LoadScopeScheduling

    durations = recorded_durations()

    class WorkUnits(LoadScopeScheduling):
        """xdist's scope scheduler, with this course's units (the items arrive longest unit first)."""

        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid, durations)

    config.option.loadscopereorder = False       # keep the longest-first order of the collection
    return WorkUnits(config, log)


try:                                             # a hook of pytest-xdist's: only where it is installed
    import xdist  # noqa: F401
except ImportError:
    pass
else:
    pytest_xdist_make_scheduler = pytest.hookimpl(tryfirst=True, optionalhook=True)(_make_scheduler)


# What the run cost: seconds per test, and per worker, gathered on the controller.
_RUN = {"start": None, "tests": {}, "workers": {}, "shared": set(), "controller": True}


def pytest_sessionstart(session):
    _RUN["start"] = time.monotonic()


def pytest_runtest_logreport(report):
    if not _RUN["controller"]:          # a worker: its reports reach the controller, which counts them
        return
    gateway = getattr(getattr(report, "node", None), "gateway", None)
    worker = gateway.id if gateway is not None else "main"
    _RUN["tests"][report.nodeid] = _RUN["tests"].get(report.nodeid, 0.0) + report.duration
    if dict(report.user_properties).get("shares_fixtures"):
        _RUN["shared"].add(report.nodeid)
    _RUN["workers"][worker] = _RUN["workers"].get(worker, 0.0) + report.duration


def _save_durations(tests: dict[str, float], shared: set[str]) -> None:
    known = recorded_durations() if DURATIONS.exists() else {"seconds": {}, "shared": set()}
    known["seconds"].update({k: round(v, 3) for k, v in tests.items()})
    known["shared"] = (known["shared"] - set(tests)) | shared
    DURATIONS.parent.mkdir(parents=True, exist_ok=True)
    DURATIONS.write_text(json.dumps({"seconds": dict(sorted(known["seconds"].items())),
                                     "shared": sorted(known["shared"])}, indent=0) + "\n", encoding="utf-8")


def _time_summary(terminalreporter) -> None:
    tests, workers = _RUN["tests"], _RUN["workers"]
    if not tests or _RUN["start"] is None or not _RUN["controller"]:
        return
    wall = time.monotonic() - _RUN["start"]
    _save_durations(tests, _RUN["shared"])
    terminalreporter.section("where the time went")
    for nodeid, seconds in sorted(tests.items(), key=lambda kv: -kv[1])[:10]:
        terminalreporter.write_line(f"{seconds:7.1f} s  {nodeid}")
    busy = sum(workers.values())
    n = max(len(workers), 1)
    idle = max(0.0, n * wall - busy)
    terminalreporter.write_line(
        f"tests: {busy:.0f} s of worker time on {n} worker(s) in {wall:.0f} s of wall time; "
        f"the workers idle or starting for {idle:.0f} s ({100 * idle / (n * wall):.0f}% of their time)")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a notebook's kernel starts (with its first cell), point its data log at that notebook."""
    path = Path(str(item.fspath))
    if path.suffix == ".ipynb":
        os.environ["COURSE_DATA_LOG"] = str(DATA_LOG_DIR / f"{path.stem}.log")
    else:  # unit tests that load data in this worker's own process are not a notebook's loads
        os.environ.pop("COURSE_DATA_LOG", None)


def pytest_terminal_summary(terminalreporter):
    _time_summary(terminalreporter)
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
