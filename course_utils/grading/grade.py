"""Grading a file and a class: intake, the sandboxed run, the checks outside it, the verdict.

For each file of a submissions folder, :func:`grade_folder`:

1. takes it in (:mod:`.intake`): links and special files are skipped, a file
   that names no notebook of the course gets 0 points, one that is not a
   valid notebook is "not a gradable notebook"; the points and checks are
   always the course's (:mod:`.spec`), never the file's;
2. runs it in a sandboxed kernel (:mod:`.kernel`), which hands over the
   objects the checks need as data (:mod:`.exports`);
3. runs the checks in another sandbox that never ran the student's code
   (:mod:`.checker`): only they award points; the check cells in the
   notebook are the student's self-checks and award nothing;
4. judges what the run shows (:mod:`.judge`) and writes the report and the
   gradebook (:mod:`.report`).

Whatever goes wrong with one file is that file's row ("grader error: ..."),
never the end of the run::

    >>> results = grade_folder(Path("submissions"), Path("build/grading"), jobs=2)
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .. import notebooks
from ..bench import data_named_in
from ..config import repo_root
from ..student import ANSWER, ANSWER_PROMPT, STUDENT_DIR
from . import checker, intake, judge, kernel, sandbox, spec
from .limits import Limits
from .report import PartResult, Result, write_gradebook, write_report


@dataclass
class Settings:
    """How a class is graded."""

    reference_dir: Path = field(default_factory=lambda: repo_root() / "notebooks" / STUDENT_DIR)
    checks_dir: Path | None = None            # the course's checks (default: course_utils/grading/checks)
    hidden_dir: Path | None = None
    cell_timeout: float = 600
    total_timeout: float = 3600
    reduced: bool = False
    data: str | None = None
    sandboxed: bool = True
    limits: Limits = field(default_factory=Limits)
    check_timeout: float = 600
    executed_dir: Path | None = None          # where the executed copies are kept (the grader looks at plots)

    def env(self) -> dict[str, str]:
        """The course's variables for the sandboxes: the mode, the data, where the datasets are."""
        extra = {"COURSE_FAST": "1" if self.reduced else os.environ.get("COURSE_FAST", "0"),
                 "COURSE_DATA": self.data or os.environ.get("COURSE_DATA", "auto"), "COURSE_NO_DOWNLOAD": "1"}
        keras_home = Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser()
        if keras_home.is_dir():
            extra["KERAS_HOME"] = str(keras_home)
        if os.environ.get("COURSE_DATA_DIR"):
            extra["COURSE_DATA_DIR"] = os.environ["COURSE_DATA_DIR"]
        return sandbox.clean_env(extra)

    def data_dirs(self) -> list[Path]:
        """The folders the loaders read datasets from, shown read-only in every sandbox.

        With the course's ``pyproject.toml`` (nothing in it is secret): where it
        is, the loaders look for ``data/`` beside it, as in a clone.
        """
        found = [repo_root() / "data", repo_root() / "pyproject.toml",
                 Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser()]
        if os.environ.get("COURSE_DATA_DIR"):
            found.append(Path(os.environ["COURSE_DATA_DIR"]))
        return [p for p in found if p.exists()]

    def mode(self) -> tuple[str, str]:
        env = self.env()
        return ("reduced" if env["COURSE_FAST"] == "1" else "full"), env["COURSE_DATA"]


def safe_name(name: str) -> str:
    """Return a file name of letters, digits, ``_.-`` for a submission's name (its outputs are kept under it)."""
    import hashlib

    stem = "".join(c if c.isalnum() or c in "_.-" else "_" for c in Path(name).stem)[:80].strip(".") or "file"
    return f"{stem}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def _write_executed(nb: dict, path: Path) -> None:
    path.write_text(json.dumps(nb), encoding="utf-8")


def published(reference_dir: Path) -> dict[str, Path]:
    """Return {notebook stem: published student version} of the course."""
    return {p.stem: p for p in sorted(Path(reference_dir).glob("*.ipynb"))}


def _empty_parts(reference: dict, status: str) -> list[PartResult]:
    return [PartResult(p.grade_id, p.exercise, p.kind, p.points, p.bonus, 0.0 if p.kind == "auto" else None, status)
            for p in spec.parts(reference)]


def grade_file(entry: intake.Entry, settings: Settings, scratch_root: Path, slot: int = 0) -> Result:
    """Grade one file in a working folder of its own (removed afterwards); return its :class:`Result`."""
    result = Result(entry.name, entry.student, entry.notebook, sandboxed=settings.sandboxed,
                    duplicate_of=entry.duplicate_of)
    if entry.skipped or not entry.notebook:
        result.status = entry.problem.split(":")[0] if entry.skipped else "matches no notebook of the course"
        result.notes.append(entry.problem)
        return result
    reference = notebooks.read(published(settings.reference_dir)[entry.notebook])
    try:
        submitted = intake.load(entry.path)
    except intake.NotGradable as exc:
        result.status, result.first_error = "not a gradable notebook", str(exc)
        result.parts = _empty_parts(reference, "not graded: not a gradable notebook")
        return result
    parts = spec.parts(reference)
    uses = spec.exports(parts)
    workdir = Path(tempfile.mkdtemp(prefix="sub-", dir=scratch_root))
    try:
        run = kernel.execute(submitted, workdir / "run", settings.limits, settings.env(), settings.cell_timeout,
                             settings.total_timeout, settings.sandboxed, slot, settings.data_dirs(), uses)
        hidden = checker.hidden_checks(settings.hidden_dir, entry.notebook)
        checks = [checker.Check(p.grade_id, p.uses, checker.course_checks(entry.notebook, p.grade_id, settings.checks_dir)
                                + hidden.get(p.grade_id, [])) for p in parts if p.kind == "auto"]
        verdicts, check_usage = checker.run_checks(run.handover, [c for c in checks if c.codes], workdir / "check",
                                                   settings.limits, settings.env(), settings.sandboxed, slot,
                                                   settings.data_dirs(), settings.check_timeout)
    finally:
        kernel.remove(workdir)
    result.seconds = run.seconds
    if settings.executed_dir is not None and run.notebook.get("cells"):
        settings.executed_dir.mkdir(parents=True, exist_ok=True)
        _write_executed(run.notebook, settings.executed_dir / f"{safe_name(entry.name)}.ipynb")
    _judge(result, submitted, reference, parts, run, verdicts, settings)
    if run.refused:
        result.notes.append("hand-over files refused: " + "; ".join(run.refused[:5]))
    if check_usage.get("limits_hit"):
        result.notes.append("the checks hit a limit: " + "; ".join(check_usage["limits_hit"]))
    return result


def _judge(result: Result, submitted: dict, reference: dict, parts: list[spec.Part], run: kernel.Run,
           verdicts: dict[str, tuple[bool, str]], settings: Settings) -> None:
    """Fill ``result`` from the run and the checks' verdicts (the grader's view, never the submission's)."""
    status, executed = run.status, run.notebook
    labels = spec.exercise_of_cells(submitted)
    n_cells = len(labels)
    ran = min(status.get("ran", 0), n_cells)
    result.usage = status.get("usage", {})
    for i, ename, evalue in judge.errors(executed, ran):
        if ename != "NotImplementedError" and not result.first_error:
            result.first_error = f"cell {i + 1} ({labels[i]}): {ename}: {evalue}"
    if status.get("stopped"):
        cell = status.get("cell")
        where = f"cell {cell + 1} ({labels[cell]})" if cell is not None and cell < n_cells else \
            ("the hand-over cell" if cell is not None else "start")
        result.status = status["stopped"]
        result.first_error = result.first_error or f"{where}: {status['stopped']}"
    elif result.first_error:
        result.status = "error"
    result.unanswered = judge.unanswered_exercises(submitted, reference)
    used = data_named_in(json.dumps(executed))
    if used != "-":
        result.notes.append(f"data the run used: {used}")

    failing = {i for i, *_ in judge.errors(executed, ran)}
    given = {judge._normal(notebooks.source(c)): i for i, c in enumerate(submitted["cells"])}
    for part in parts:
        if part.kind != "auto":
            continue
        i = given.get(judge._normal(notebooks.source(reference["cells"][part.cell])))
        why = "changed or removed" if i is None else ("not run" if i >= ran else ("failed" if i in failing else ""))
        if why:
            result.self_checks_failed.append(f"{part.exercise}, {part.grade_id}: the check cell {why}")

    answers: dict[str, list[str]] = {}        # the submission's answer cells, by exercise, in order
    for cell, label in zip(submitted["cells"], labels):
        text = notebooks.source(cell).strip()
        if cell.get("cell_type") == "markdown" and text.startswith(ANSWER):
            answers.setdefault(label, []).append(text)
    nth: dict[str, int] = {}
    for part in parts:
        pr = PartResult(part.grade_id, part.exercise, part.kind, part.points, part.bonus)
        if part.kind != "auto":
            pr.status = "awaiting grading by hand"
            if part.kind == "written":
                k = nth[part.exercise] = nth.get(part.exercise, -1) + 1
                mine = answers.get(part.exercise, [])
                pr.answer = mine[k] if k < len(mine) else ""
                pr.message = "an answer is written" if pr.answer and pr.answer != ANSWER_PROMPT else "no answer written"
        elif part.exercise in result.unanswered:
            pr.earned, pr.status, pr.message = 0.0, "unanswered", "the solution is empty, `pass` or as given"
        elif part.grade_id not in verdicts:
            pr.earned, pr.status = 0.0, "no check"
            pr.message = f"the course has no check for {part.grade_id}: its points cannot be awarded"
        else:
            passed, why = verdicts[part.grade_id]
            pr.earned, pr.status, pr.message = (part.points if passed else 0.0), ("passed" if passed else "failed"), why
        result.parts.append(pr)

    result.changed_given = [text for _, text in judge.changed_given_cells(submitted, reference)]
    saved_mode, graded_mode = judge.run_mode(submitted), settings.mode()
    compare = bool(executed["cells"])
    if compare and saved_mode is not None and (saved_mode[0] != graded_mode[0] or
                                               (saved_mode[1] == "real") != (graded_mode[1] == "real")):
        compare = False
        result.notes.append(f"saved outputs not compared: the submission ran in {saved_mode[0]} mode on "
                            f"{saved_mode[1]} data, the grading in {graded_mode[0]} mode on {graded_mode[1]} data")
    if compare:
        result.doctored = [text for _, text in judge.doctored_outputs(submitted, executed, ran)]


def default_jobs() -> int:
    """Return the default number of parallel sandboxes: the number of cores."""
    return os.cpu_count() or 1


def default_memory_mb(jobs: int) -> float:
    """Return the default memory limit per submission: half the machine's RAM shared by ``jobs``, at most 6 GB."""
    import psutil

    return float(max(1024, min(6144, psutil.virtual_memory().total / 2**20 / 2 / max(1, jobs))))


def grade_folder(folder: Path, out: Path, settings: Settings | None = None, jobs: int | None = None,
                 protect: list[Path] | None = None) -> list[Result]:
    """Grade every file in ``folder`` (not recursive), ``jobs`` at a time; write the report into ``out``.

    ``protect`` lists the folders a submission must not change (default: the
    course repository and the submissions folder); they are fingerprinted
    before and after, and a change is reported, not undone. Raises
    RuntimeError when the sandbox cannot run here (unless ``settings.sandboxed``
    is False).
    """
    settings = settings or Settings()
    if settings.executed_dir is None:
        settings.executed_dir = Path(out).resolve() / "executed"
    if settings.sandboxed:
        problem = sandbox.bwrap_problem()
        if problem:
            raise RuntimeError(f"Cannot grade in a sandbox: {problem} {sandbox.NO_SANDBOX_HINT}")
    folder, out = Path(folder).resolve(), Path(out).resolve()
    jobs = max(1, jobs or default_jobs())
    stems = list(published(settings.reference_dir))
    entries = intake.scan(folder, stems)
    protect = [Path(p).resolve() for p in protect] if protect else [repo_root(), folder]
    scratch_root = Path(tempfile.mkdtemp(prefix="grading-"))
    skip = {scratch_root.resolve(), out}
    before = {f: judge.snapshot(f, skip) for f in protect}
    start, done, lock = time.monotonic(), [0], threading.Lock()
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(jobs):
        slots.put(slot)

    def one(entry: intake.Entry) -> Result:
        slot = slots.get()
        try:
            result = grade_file(entry, settings, scratch_root, slot)
        except Exception as exc:  # noqa: BLE001 - one file's trouble is that file's row
            result = Result(entry.name, entry.student, entry.notebook, sandboxed=settings.sandboxed,
                            status=f"grader error: {type(exc).__name__}: {str(exc)[:200]}",
                            duplicate_of=entry.duplicate_of)
        finally:
            slots.put(slot)
        with lock:
            done[0] += 1
            print(f"[{done[0]}/{len(entries)}] {entry.name!r}: {result.status} in {result.seconds:.1f} s "
                  f"(elapsed {time.monotonic() - start:.0f} s)", flush=True)
        return result

    print(f"grading {len(entries)} file(s), {jobs} at a time, "
          f"{'in a sandbox' if settings.sandboxed else 'UNSANDBOXED'}, memory limit "
          f"{settings.limits.memory_mb:.0f} MB each", flush=True)
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(one, entries))     # in file order, whatever the number of jobs
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)
    class_rows = [text for f, files in before.items() for text in judge.changes_since(f, files, out / "changed-files", skip)]
    md, csv_path = write_report(results, out, class_rows)
    book = write_gradebook(results, out)
    print(f"report: {md}, {csv_path} and {book} ({time.monotonic() - start:.0f} s in all)")
    return results


def self_check(path: str | Path, settings: Settings | None = None) -> Result:
    """Run the course's checks on your own notebook before you submit it; print and return the result.

    The same checks as the grader's, without the hidden ones, in fresh
    processes (in sandboxes where bubblewrap works). Run it from a terminal,
    on the saved notebook::

        python -m course_utils.grading --self-check 02_first_mlp.ipynb
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: pass the path of your saved notebook (.ipynb).")
    settings = settings or Settings(sandboxed=sandbox.bwrap_problem() is None)
    settings.hidden_dir = None
    stems = list(published(settings.reference_dir))
    notebook, student = intake.match(path.name, stems)
    entry = intake.Entry(path, path.name, notebook, student)
    if not notebook:
        entry.problem = f"its name contains none of the course's notebooks ({', '.join(stems)})"
    scratch_root = Path(tempfile.mkdtemp(prefix="self-check-"))
    try:
        result = grade_file(entry, settings, scratch_root)
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)
    print(f"{path.name}: {result.status}" + (f" at {result.first_error}" if result.first_error else ""))
    for p in result.parts:
        earned = "graded by hand" if p.earned is None else f"{p.earned:g} / {p.points:g} points"
        print(f"  {p.exercise}, {p.grade_id}: {p.status} [{earned}]" + (f" - {p.message}" if p.message else ""))
    return result
