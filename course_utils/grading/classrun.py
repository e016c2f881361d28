"""Grading a class: every file of a folder, a few at a time, nothing lost, the outputs written at the end.

:func:`grade_folder` takes the folder in (:mod:`.intake`), grades each file
(:func:`.grade.grade_file`), ``jobs`` at a time on this machine or on the
workers of a Dask cluster (:mod:`.cluster`), and appends each result to the
journal the moment it is done (:mod:`.journal`): with ``resume=True`` the
files already in the journal with the same content and course are not
graded again. Ctrl-C stops cleanly: the runs under way are killed, the
journal keeps what was finished. At the end it writes, from all the results
in file order (whatever the number of jobs or workers), the report and the
gradebook (:mod:`.report`), a feedback page per submission (:mod:`.feedback`)
and ``manual.csv`` for the parts graded by hand (:mod:`.manual`).
:func:`rewrite` writes them again from the journal (after ``--manual``)::

    >>> results = grade_folder(Path("submissions"), Path("build/grading"), Settings(reduced=True), jobs=2)
"""

from __future__ import annotations

import queue
import shutil
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import replace
from pathlib import Path

from ..config import repo_root
from . import feedback, intake, journal, judge, kernel, manual, sandbox
from .grade import Settings, grade_file, published
from .report import Result, write_gradebook, write_report


def _error_result(entry: intake.Entry, settings: Settings, exc: BaseException) -> Result:
    return Result(entry.name, entry.student, entry.notebook, sandboxed=settings.sandboxed,
                  status=f"grader error: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}",
                  duplicate_of=entry.duplicate_of)


def write_outputs(results: list[Result], out: Path, class_rows: list[str] = ()) -> tuple[Path, Path, Path]:
    """Write the report, the gradebook, the feedback pages and manual.csv; return (report.md, .csv, gradebook)."""
    md, csv_path = write_report(results, out, class_rows)
    book = write_gradebook(results, out)
    feedback.write_all(results, out)
    manual.write_template(results, out)
    return md, csv_path, book


def rewrite(out: Path, manual_csv: Path | None = None) -> list[str]:
    """Write the outputs again from the journal of the last run, merging ``manual_csv`` first.

    Runs nothing. Returns the problems of ``manual_csv`` (nothing is merged or
    written when there are any).
    """
    lines = journal.latest(Path(out) / journal.JOURNAL)
    if not lines:
        return [f"{out} holds no journal of an earlier run ({journal.JOURNAL}): grade the class first"]
    order = sorted(lines)
    results = [journal.from_dict(lines[name]["result"]) for name in order]
    if manual_csv is not None:
        problems = manual.merge(Path(manual_csv), results)
        if problems:
            return problems
    write_outputs(results, Path(out))
    return []


class LocalPool:
    """Grades files on this machine, ``jobs`` sandboxes at a time, each with a job slot of its own (its uid)."""

    def __init__(self, settings: Settings, jobs: int, scratch_root: Path):
        self.settings, self.jobs, self.scratch_root = settings, jobs, scratch_root
        self.slots: queue.Queue[int] = queue.Queue()
        for slot in range(jobs):
            self.slots.put(slot)
        self.pool = ThreadPoolExecutor(max_workers=jobs)

    def describe(self) -> str:
        return f"{self.jobs} at a time on this machine"

    def _one(self, entry: intake.Entry) -> tuple[Result, bool]:
        slot = self.slots.get()
        try:
            return grade_file(entry, self.settings, self.scratch_root, slot), False
        except Exception as exc:  # noqa: BLE001 - one file's trouble is that file's row
            return _error_result(entry, self.settings, exc), False
        finally:
            self.slots.put(slot)

    def submit(self, entry: intake.Entry):
        return self.pool.submit(self._one, entry)

    def close(self, cancel: bool = False) -> None:
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


def grade_folder(folder: Path, out: Path, settings: Settings | None = None, jobs: int | None = None,
                 protect: list[Path] | None = None, resume: bool = False, scheduler: str | None = None) -> list[Result]:
    """Grade every file in ``folder`` (not recursive); write the outputs into ``out``; return the results.

    ``jobs`` sandboxes at a time here (default: the number of cores), or, with
    ``scheduler`` (a Dask scheduler's address), on that cluster's workers.
    ``protect`` lists the folders a submission must not change (default: the
    course repository and the submissions folder); they are fingerprinted
    before and after, and a change is reported, not undone. Raises
    RuntimeError when the sandbox cannot run here (unless
    ``settings.sandboxed`` is False).
    """
    from .grade import default_jobs

    settings = settings or Settings()
    folder, out = Path(folder).resolve(), Path(out).resolve()
    settings = replace(settings, executed_dir=settings.executed_dir or out / "executed")   # the caller's stays as it was
    if settings.sandboxed and scheduler is None:
        problem = sandbox.bwrap_problem()
        if problem:
            raise RuntimeError(f"Cannot grade in a sandbox: {problem} {sandbox.NO_SANDBOX_HINT}")
    jobs = max(1, jobs or default_jobs())
    entries = intake.scan(folder, list(published(settings.reference_dir)))
    fingerprint = journal.course_fingerprint(settings)
    out.mkdir(parents=True, exist_ok=True)
    journal_path = out / journal.JOURNAL
    done_before = journal.latest(journal_path) if resume else {}
    if not resume:
        journal_path.unlink(missing_ok=True)
    hashes = {e.name: journal.file_sha256(e.path) for e in entries}
    results: dict[str, Result] = {}
    for e in entries:
        old = done_before.get(e.name)
        if old and old["sha256"] == hashes[e.name] and old["fingerprint"] == fingerprint:
            results[e.name] = journal.from_dict(old["result"])
    todo = [e for e in entries if e.name not in results]
    protect = [Path(p).resolve() for p in protect] if protect else [repo_root(), folder]
    scratch_root = Path(tempfile.mkdtemp(prefix="grading-"))
    skip = {scratch_root.resolve(), out}
    before = {f: judge.snapshot(f, skip) for f in protect}
    if scheduler is not None:
        from .cluster import DaskPool

        executor = DaskPool(scheduler, settings, fingerprint)
    else:
        executor = LocalPool(settings, jobs, scratch_root)
    start, lock = time.monotonic(), threading.Lock()
    print(f"grading {len(todo)} file(s) of {len(entries)}"
          + (f" ({len(entries) - len(todo)} already in the journal)" if len(todo) < len(entries) else "")
          + f", {executor.describe()}, {'in a sandbox' if settings.sandboxed else 'UNSANDBOXED'}, memory limit "
          f"{settings.limits.memory_mb:.0f} MB each", flush=True)
    interrupted = False
    try:
        with journal.Journal(journal_path) as book:
            futures = {executor.submit(e): e for e in todo}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                for future in finished:
                    entry = futures[future]
                    try:
                        result, retried = future.result()
                    except Exception as exc:  # noqa: BLE001 - a task that failed outright
                        result, retried = _error_result(entry, settings, exc), False
                    book.append(entry.name, hashes[entry.name], fingerprint, result, retried)
                    with lock:
                        results[entry.name] = result
                        print(f"[{len(results)}/{len(entries)}] {entry.name!r}: {result.status}"
                              f"{' (retried)' if retried else ''} in {result.seconds:.1f} s "
                              f"(elapsed {time.monotonic() - start:.0f} s)", flush=True)
    except KeyboardInterrupt:
        interrupted = True
        executor.close(cancel=True)
        stopped = kernel.stop_all()
        print(f"\ninterrupted: {len(results)} of {len(entries)} file(s) graded and kept in {journal_path} "
              f"({stopped} run(s) under way stopped); run again with --resume to grade the rest.", flush=True)
        raise
    finally:
        if not interrupted:
            executor.close()
        shutil.rmtree(scratch_root, ignore_errors=True)
    class_rows = [text for f, files in before.items() for text in judge.changes_since(f, files, out / "changed-files", skip)]
    ordered = [results[e.name] for e in entries]
    md, csv_path, book_path = write_outputs(ordered, out, class_rows)
    print(f"report: {md}, {csv_path}, {book_path}, feedback pages in {out / 'feedback'} and the tasks to grade "
          f"by hand in {out / manual.MANUAL} ({time.monotonic() - start:.0f} s in all)")
    return ordered
