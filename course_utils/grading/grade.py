"""Grading one file: intake, the sandboxed run, the checks outside it, the verdict.

For one file of a submissions folder, :func:`grade_file`:

1. takes it in (:mod:`.intake`): links and special files are skipped, a file
   that names no notebook of the course gets 0 points, one that is not a
   valid notebook is "not a gradable notebook"; the points and checks are
   always the course's (:mod:`.spec`), never the file's;
2. runs it in a sandboxed kernel (:mod:`.kernel`), which hands over the
   objects the checks need as data (:mod:`.exports`);
3. runs the checks in another sandbox that never ran the student's code
   (:mod:`.checker`): only they award points; the check cells in the
   notebook are the student's self-checks and award nothing;
4. judges what the run shows (:mod:`.verdict`).

A class is graded by :mod:`.classrun`. Example::

    >>> result = grade_file(entry, Settings(reduced=True), scratch_root)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import notebooks
from ..config import repo_root
from ..student import STUDENT_DIR
from . import checker, intake, judge, kernel, sandbox, spec, verdict
from .limits import Limits
from .report import PartResult, Result


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
    hidden: dict | None = None                # the hidden checks, read already ({notebook: {grade_id: [...]}})

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
    """Grade one file in a working folder of its own (removed afterwards); return its :class:`Result`.

    The executed copy is written into ``settings.executed_dir`` when that is set.
    """
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
        hidden = settings.hidden.get(entry.notebook, {}) if settings.hidden is not None else \
            checker.hidden_checks(settings.hidden_dir, entry.notebook)
        checks = [checker.Check(p.grade_id, p.uses, checker.course_checks(entry.notebook, p.grade_id, settings.checks_dir)
                                + hidden.get(p.grade_id, [])) for p in parts if p.kind == "auto"]
        verdicts, check_usage = checker.run_checks(run.handover, [c for c in checks if c.codes], workdir / "check",
                                                   settings.limits, settings.env(), settings.sandboxed, slot,
                                                   settings.data_dirs(), settings.check_timeout)
    finally:
        kernel.remove(workdir)
    result.seconds = run.seconds
    result.usage["timing"] = {**run.status.get("timing", {}), "runner": round(run.seconds, 3),
                              "checks": check_usage.get("seconds", 0.0)}
    if settings.executed_dir is not None and run.notebook.get("cells"):
        settings.executed_dir.mkdir(parents=True, exist_ok=True)
        _write_executed(run.notebook, settings.executed_dir / f"{safe_name(entry.name)}.ipynb")
    judged = time.monotonic()
    verdict.judge_run(result, submitted, reference, parts, run, verdicts, settings.mode())
    result.usage["timing"]["judging"] = round(time.monotonic() - judged, 3)
    if run.refused:
        result.notes.append("hand-over files refused: " + "; ".join(run.refused[:5]))
    if check_usage.get("limits_hit"):
        result.notes.append("the checks hit a limit: " + "; ".join(check_usage["limits_hit"]))
    return result


def default_jobs() -> int:
    """Return the default number of parallel sandboxes: the number of cores."""
    return os.cpu_count() or 1


def default_memory_mb(jobs: int) -> float:
    """Return the default memory limit per submission: half the machine's RAM shared by ``jobs``, at most 6 GB."""
    import psutil

    return float(max(1024, min(6144, psutil.virtual_memory().total / 2**20 / 2 / max(1, jobs))))


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
