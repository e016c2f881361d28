"""Grades given by hand: ``manual.csv`` written by a run, filled by the grader, merged back with ``--manual``.

Each grading run writes ``manual.csv`` with one row per part graded by hand
(written answers, plots and other tasks) of every submission: file, student,
notebook, exercise, task (the part's ``grade_id``), max points, and empty
``points`` and ``comment`` for the grader (rows already filled in an earlier
``manual.csv`` of that folder are kept). The student's answer is beside it in
their feedback page. ``--manual FILE`` checks every row first (a number of
points from 0 to the maximum, a known file, student, notebook and task) and
merges nothing when any row is wrong, printing one line per problem; then
the report, the gradebook and the feedback are written again from the
journal of the last run, without running anything. Used by :mod:`.cli`::

    >>> problems = merge(Path("manual.csv"), results)
"""

from __future__ import annotations

import csv
from pathlib import Path

from .report import Result, csv_cell, fmt

FIELDS = ["file", "student", "notebook", "exercise", "task", "max points", "points", "comment"]
MANUAL = "manual.csv"


def _key(file: str, task: str) -> tuple[str, str]:
    return file, task


def write_template(results: list[Result], out: Path) -> Path:
    """Write ``out/manual.csv`` with a row per part graded by hand, keeping the grades of an existing one."""
    path = out / MANUAL
    kept: dict[tuple[str, str], dict] = {}
    if path.exists():
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row.get("points", "").strip() or row.get("comment", "").strip():
                    kept[_key(row.get("file", ""), row.get("task", ""))] = row
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(FIELDS)
        for r in results:
            for p in r.parts:
                if p.kind == "auto":
                    continue
                old = kept.get(_key(csv_cell(r.name), p.grade_id), {})
                writer.writerow([csv_cell(v) for v in (r.name, r.student, r.notebook, p.exercise, p.grade_id)]
                                + [fmt(p.points), old.get("points", ""), old.get("comment", "")])
    return path


def read(path: Path, results: list[Result]) -> tuple[dict[tuple[str, str], tuple[float, str]], list[str]]:
    """Return ({(file, task): (points, comment)}, problems): the graded rows of ``path``, checked."""
    by_file = {csv_cell(r.name): r for r in results}
    grades: dict[tuple[str, str], tuple[float, str]] = {}
    problems: list[str] = []
    try:
        fh = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        return {}, [f"{path}: cannot be read ({exc.strerror})"]
    with fh:
        reader = csv.DictReader(fh)
        missing = [f for f in ("file", "task", "points") if f not in (reader.fieldnames or [])]
        if missing:
            return {}, [f"{path}: no column {', '.join(missing)} (the columns are {', '.join(FIELDS)})"]
        for n, row in enumerate(reader, start=2):
            where = f"{path.name}, row {n}"
            if None in row or any(v is None for v in row.values()):
                problems.append(f"{where}: the row has {'more' if None in row else 'fewer'} cells than the header")
                continue
            points, comment = row["points"].strip(), (row.get("comment") or "").strip()
            if not points:
                continue                         # not graded yet: stays waiting
            result = by_file.get(row["file"])
            if result is None:
                problems.append(f"{where}: no file {row['file']!r} in the last run")
                continue
            if row.get("student") not in (None, csv_cell(result.student)) or \
                    row.get("notebook") not in (None, csv_cell(result.notebook)):
                problems.append(f"{where}: {row['file']!r} is student {result.student!r}, notebook "
                                f"{result.notebook!r}, not {row.get('student')!r}, {row.get('notebook')!r}")
                continue
            part = next((p for p in result.parts if p.grade_id == row["task"] and p.kind != "auto"), None)
            if part is None:
                problems.append(f"{where}: {result.notebook} has no task {row['task']!r} graded by hand")
                continue
            try:
                value = float(points)
            except ValueError:
                problems.append(f"{where}: points {points!r} is not a number")
                continue
            if not 0 <= value <= part.points:
                problems.append(f"{where}: {fmt(value)} points for {part.grade_id} is outside 0 to its maximum "
                                f"{fmt(part.points)}")
                continue
            if _key(row["file"], row["task"]) in grades:
                problems.append(f"{where}: a second grade for {row['file']!r}, {row['task']!r}")
                continue
            grades[_key(row["file"], row["task"])] = (value, comment)
    return grades, problems


def merge(path: Path, results: list[Result]) -> list[str]:
    """Apply the grades of ``path`` to ``results`` if every row is right; return the problems (none: merged)."""
    grades, problems = read(path, results)
    if problems:
        return problems
    for r in results:
        for p in r.parts:
            graded = grades.get(_key(csv_cell(r.name), p.grade_id))
            if graded is not None and p.kind != "auto":
                p.earned, p.comment = graded
                p.status = "graded by hand"
    return []
