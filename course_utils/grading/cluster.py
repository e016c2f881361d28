"""Grading on the workers of a Dask cluster (``--scheduler tcp://host:8786``).

Each submission becomes one Dask task that grades it, sandboxed, on whichever
worker is free; the submission travels as bytes, the result and the executed
copy come back, and the grader writes the journal, the report, the gradebook
and the feedback from them, exactly as a local run would (:mod:`.classrun`).
A worker grades only when it can be trusted to grade the same course: its
course files (the student versions, the checks, ``course_utils``) must have
the grader's fingerprint and its sandbox must work; otherwise the task fails
with one line that names the worker and what differs, and nothing is graded
there. The grader's hidden checks travel with each task. A worker that dies
under a task (killed, out of memory, machine gone) has that task run again
on another worker by Dask, once; the row then says "retried". A submission that two
workers died under is not started a third time: its row says so and the class goes on. Start workers from a
clone's environment, ``.venv/bin/dask worker tcp://host:8786 --nthreads 2``
(README, "A class on a cluster")::

    >>> results = grade_folder(folder, out, settings, scheduler="tcp://10.0.0.5:8786")
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
from dataclasses import asdict, fields
from pathlib import Path

from . import checker, intake, journal, sandbox
from .grade import Settings, grade_file, published
from .limits import Limits


class WorkerRefused(RuntimeError):
    """A worker that must not grade this class: another course, or no working sandbox."""


class TwiceKilled(RuntimeError):
    """A submission whose grading two workers did not survive: retried once, never twice."""


def _portable(settings: Settings) -> dict:
    """The settings as data for a worker: its own course paths (None: the worker's defaults), the limits,
    and the hidden checks read here (they never exist on the workers' disks)."""
    default = Settings()
    data = {f.name: getattr(settings, f.name) for f in fields(Settings)}
    for name in ("reference_dir", "checks_dir"):
        value = data[name]
        data[name] = None if value is None or Path(value).resolve() == Path(getattr(default, name) or "").resolve() \
            else str(value)
    data["limits"] = asdict(settings.limits)
    data["hidden_dir"], data["executed_dir"] = None, None
    data["hidden"] = {stem: checker.hidden_checks(settings.hidden_dir, stem)
                      for stem in published(settings.reference_dir)} if settings.hidden_dir else {}
    return data


def _settings_here(data: dict) -> Settings:
    data = dict(data)
    data["limits"] = Limits(**data["limits"])
    if data.get("reference_dir") is None:
        data.pop("reference_dir")
    else:
        data["reference_dir"] = Path(data["reference_dir"])
    if data.get("checks_dir") is not None:
        data["checks_dir"] = Path(data["checks_dir"])
    return Settings(**data)


_SLOTS = {"lock": threading.Lock(), "free": None}
_TRUST: dict[str, str | None] = {}


def _slot(nthreads: int) -> int:
    with _SLOTS["lock"]:
        if _SLOTS["free"] is None:
            _SLOTS["free"] = list(range(nthreads))
        return _SLOTS["free"].pop(0) if _SLOTS["free"] else nthreads


def _release(slot: int) -> None:
    with _SLOTS["lock"]:
        _SLOTS["free"].append(slot)


def grade_on_worker(name: str, data: bytes, notebook: str, student: str, duplicate_of: tuple,
                    settings_data: dict, fingerprint: str, run: str) -> tuple[dict, str]:
    """The Dask task: check that this worker may grade, grade one submission; return (result, executed copy).

    Each start is recorded on the scheduler (``run``, ``name``: the workers that started it), so that
    the grader can tell a submission begun on a worker that then died from one only queued there.
    """
    from distributed import get_client, get_worker

    worker = get_worker()
    client = get_client()
    started = client.get_metadata(["course-grading", run, name], default=[])
    if len(started) >= 2:
        raise TwiceKilled(f"it was started on two workers that both died under it ({', '.join(started)}); "
                          "not graded a third time: grade it alone (--jobs 1), with lower limits, to see why")
    client.set_metadata(["course-grading", run, name], [*started, worker.address])
    settings = _settings_here(settings_data)
    mine = journal.course_fingerprint(settings, hidden=False)
    if mine != fingerprint:
        raise WorkerRefused(f"worker {worker.address}: its course files (student versions, checks, course_utils) "
                            f"have the fingerprint {mine[:12]}, the grader's {fingerprint[:12]}: update its clone "
                            "to the grader's commit; nothing was graded there")
    if settings.sandboxed:
        if "bwrap" not in _TRUST:
            _TRUST["bwrap"] = sandbox.bwrap_problem()
        if _TRUST["bwrap"]:
            raise WorkerRefused(f"worker {worker.address}: no sandbox there ({_TRUST['bwrap']}); nothing was graded there")
    _sweep_dead()
    work = Path(tempfile.mkdtemp(prefix=f"grading-task-{os.getpid()}-"))
    slot = _slot(getattr(worker, "nthreads", None) or worker.state.nthreads)
    try:
        (work / "in").mkdir()
        path = work / "in" / Path(name).name
        path.write_bytes(data)
        settings.executed_dir = work / "executed"
        entry = intake.Entry(path, name, notebook, student, duplicate_of=tuple(duplicate_of))
        result = grade_file(entry, settings, work, slot)
        copies = list(settings.executed_dir.glob("*.ipynb")) if settings.executed_dir.exists() else []
        return journal.to_dict(result), copies[0].read_text(encoding="utf-8") if copies else ""
    finally:
        _release(slot)
        shutil.rmtree(work, ignore_errors=True)


def _sweep_dead() -> None:
    """Remove the working folders of worker processes that died under a task (they could not clean up)."""
    for folder in Path(tempfile.gettempdir()).glob("grading-task-*-*"):
        pid = folder.name.split("-")[2]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")            # a killed worker not yet reaped is dead all the same


class DaskPool:
    """Grades files on the workers of the Dask scheduler at ``address`` (the same interface as LocalPool)."""

    def __init__(self, address: str, settings: Settings, fingerprint: str):
        from distributed import Client

        self.settings = settings
        self.client = Client(address, timeout=30)
        self.fingerprint = journal.course_fingerprint(settings, hidden=False)
        self.data = _portable(settings)
        info = self.client.scheduler_info()
        self.workers = len(info.get("workers", {}))
        self.tasks: list = []
        self.run = uuid.uuid4().hex        # names this run's records on the scheduler
        print(f"Dask scheduler {address}: {self.workers} worker(s); dashboard: {self.client.dashboard_link}",
              flush=True)

    def describe(self) -> str:
        return f"on the {self.workers} worker(s) of a Dask cluster"

    def submit(self, entry: intake.Entry):
        from concurrent.futures import Future

        done: Future = Future()
        if entry.skipped or not entry.notebook:      # nothing to run: decided here
            done.set_result((grade_file(entry, self.settings, Path(tempfile.gettempdir())), False))
            return done
        task = self.client.submit(grade_on_worker, entry.name, entry.path.read_bytes(), entry.notebook,
                                  entry.student, entry.duplicate_of, self.data, self.fingerprint, self.run, pure=False)

        def finished(future):
            try:
                result_data, executed = future.result()
                result = journal.from_dict(result_data)
                retried = len(self.client.get_metadata(["course-grading", self.run, entry.name], default=[])) > 1
                if retried:
                    result.notes.append("retried: a worker died while grading it, another one graded it")
                if executed and self.settings.executed_dir is not None:
                    from .grade import safe_name

                    self.settings.executed_dir.mkdir(parents=True, exist_ok=True)
                    (self.settings.executed_dir / f"{safe_name(entry.name)}.ipynb").write_text(executed,
                                                                                           encoding="utf-8")
                done.set_result((result, retried))
            except Exception as exc:  # noqa: BLE001 - a refusal, or a task that killed its workers
                done.set_exception(_explained(exc))

        task.add_done_callback(finished)
        self.tasks.append(task)
        return done

    def close(self, cancel: bool = False) -> None:
        if cancel:
            self.client.cancel(self.tasks, force=True)
        self.client.close()


def _explained(exc: BaseException) -> BaseException:
    if type(exc).__name__ == "KilledWorker":
        return TwiceKilled(f"every worker that graded it died ({exc}); grade it alone (--jobs 1), with lower limits, "
                           "to see why")
    return exc
