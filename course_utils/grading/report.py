"""Writing what grading found: the report (markdown and CSV) and the gradebook, none of it forgeable.

Every string that comes from a submission (file and student names, headings,
exception names and messages, outputs) passes :func:`md` before it reaches
markdown (``|``, newlines, backticks, ``<`` and ``>`` neutralised, length
capped) and :func:`csv_cell` before it reaches a CSV (a cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with
``'``, so a spreadsheet never runs it as a formula). Used by :mod:`.grade`::

    >>> write_report(results, Path("build/grading"))
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

NOTEBOOK = "(notebook)"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def md(text, limit: int = 200) -> str:
    """Return ``text`` safe for one markdown table cell or list item: one line, no markup of its own."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    for raw, safe in (("\\", "\\\\"), ("|", "\\|"), ("`", "'"), ("<", "&lt;"), (">", "&gt;"),
                      ("*", "\\*"), ("_", "\\_"), ("[", "\\["), ("]", "\\]"), ("#", "\\#")):
        text = text.replace(raw, safe)
    return text


def csv_cell(value, limit: int = 500) -> str:
    """Return ``value`` as a CSV cell that no spreadsheet reads as a formula, on one line, length capped."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_START):
        text = "'" + text
    return " ".join(text.splitlines())[:limit]


def fmt(value: float | None) -> str:
    """Return points as "4", "2.5", or "" for none."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass
class PartResult:
    """The verdict on one part worth points (an nbgrader grade_id)."""

    grade_id: str
    exercise: str
    kind: str                  # "auto", "written", "task"
    points: float
    bonus: bool = False
    earned: float | None = None        # None: not graded yet (by hand)
    status: str = ""
    message: str = ""
    comment: str = ""                  # the grader's, for a part graded by hand
    answer: str = ""                   # the student's written answer (written parts)


@dataclass
class Result:
    """Everything found about one submitted file."""

    name: str
    student: str = ""
    notebook: str = ""                 # the course notebook it is a submission of ("" if none)
    status: str = "ran"                # ran, error, a time or memory limit, not a gradable notebook, ...
    seconds: float = 0.0
    sandboxed: bool = True
    first_error: str = ""
    traceback: str = ""                # the first error's traceback, trimmed to the student's cells
    parts: list[PartResult] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    changed_given: list[str] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)          # one per changed given cell (for the feedback)
    doctored: list[str] = field(default_factory=list)
    self_checks_failed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    usage: dict = field(default_factory=dict)
    duplicate_of: tuple[str, ...] = ()

    @property
    def earned(self) -> float:
        return sum(p.earned or 0.0 for p in self.parts if p.kind == "auto")

    @property
    def available(self) -> float:
        return sum(p.points for p in self.parts if p.kind == "auto" and not p.bonus)

    def exercise_points(self) -> dict[str, tuple[float, float]]:
        """Return {exercise: (autograded points earned, available)} (bonus earned counts, not available)."""
        found: dict[str, list[float]] = {}
        for p in self.parts:
            if p.kind == "auto":
                pair = found.setdefault(p.exercise, [0.0, 0.0])
                pair[0] += p.earned or 0.0
                pair[1] += 0.0 if p.bonus else p.points
        return {ex: (e, a) for ex, (e, a) in found.items()}


def _summary(r: Result) -> str:
    parts = [r.status + (f" at {r.first_error}" if r.first_error else "")]
    parts += r.notes
    if r.duplicate_of:
        parts.append(f"ALSO SUBMITTED for the same student and notebook: {', '.join(r.duplicate_of)} "
                     "(both graded; neither goes into the gradebook until you decide)")
    if not r.sandboxed:
        parts.append("UNSANDBOXED: ran with the grader's rights (--no-sandbox)")
    return "; ".join(parts)


FIELDS = ["file", "student", "notebook", "exercise", "part", "kind", "status", "points", "earned", "sandboxed",
          "detail", "seconds"]


def rows(r: Result) -> list[list[str]]:
    """The CSV rows of one result: the whole file, then one per part, then what was changed or not reproduced."""
    sandboxed = "yes" if r.sandboxed else "NO"
    out = [[r.name, r.student, r.notebook, NOTEBOOK, "", "", r.status, fmt(r.available), fmt(r.earned), sandboxed,
            _summary(r), f"{r.seconds:.1f}"]]
    for p in r.parts:
        points = fmt(p.points) + (" bonus" if p.bonus else "")
        out.append([r.name, r.student, r.notebook, p.exercise, p.grade_id, p.kind, p.status, points, fmt(p.earned),
                    sandboxed, p.message or p.comment, ""])
    for what, items in (("changed given cell", r.changed_given), ("output not reproduced", r.doctored),
                        ("unanswered", r.unanswered), ("self-check failed", r.self_checks_failed)):
        for item in items:
            out.append([r.name, r.student, r.notebook, "", "", "", what, "", "", sandboxed, item, ""])
    return out


def write_report(results: list[Result], out: Path, class_rows: list[str] = ()) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.csv`` into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out / "report.csv", out / "report.md"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(FIELDS)
        for r in results:
            for row in rows(r):
                writer.writerow([csv_cell(v) for v in row])
        for text in class_rows:
            writer.writerow([csv_cell(v) for v in ["(class)", "", "", NOTEBOOK, "", "", "changed during grading",
                                                   "", "", "", text, ""]])
    lines = ["# Grading report", "",
             "| file | student | notebook | run | sandboxed | time (s) | autograded points | first failure | "
             "unanswered | changed given cells | outputs not reproduced |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        lines.append(f"| {md(r.name, 80)} | {md(r.student, 40)} | {md(r.notebook or '-')} | {md(r.status, 80)} | "
                     f"{'yes' if r.sandboxed else 'NO'} | {r.seconds:.1f} | {fmt(r.earned)} / {fmt(r.available)} | "
                     f"{md(r.first_error or '-', 120)} | {md(', '.join(r.unanswered) or '-')} | "
                     f"{len(r.changed_given)} | {len(r.doctored)} |")
    lines += ["", "## Details", ""]
    for r in results:
        lines.append(f"### {md(r.name, 80)}")
        lines.append(f"- {md(_summary(r), 600)}")
        if r.usage:
            lines.append(f"- resources: {md(usage_line(r.usage), 400)}")
        for p in r.parts:
            earned = "awaiting grading by hand" if p.earned is None else f"{fmt(p.earned)} / {fmt(p.points)}"
            lines.append(f"- **{md(p.exercise, 80)}**, {md(p.grade_id)} ({p.kind}{', bonus' if p.bonus else ''}): "
                         f"{md(p.status)} [{earned}]" + (f" - {md(p.message, 300)}" if p.message else ""))
        for what, items in (("changed given cell", r.changed_given), ("output not reproduced", r.doctored),
                            ("self-check failed (awards nothing)", r.self_checks_failed)):
            lines += [f"- {what}: {md(item, 300)}" for item in items]
        lines.append("")
    if class_rows:
        lines += ["## Outside the submissions' files", ""]
        lines += [f"- changed during grading: {md(text, 400)}" for text in class_rows]
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return md_path, csv_path


def usage_line(usage: dict) -> str:
    """Return what a sandbox took, in words (peak memory, tasks, output, CPU, how it was limited)."""
    words = []
    if "memory_mb" in usage:
        words.append(f"peak memory {usage['memory_mb']:.0f} MB")
    if usage.get("tasks"):
        words.append(f"{usage['tasks']} tasks at most")
    if usage.get("cpu_seconds") is not None:
        words.append(f"CPU {usage['cpu_seconds']:.1f} s")
    if usage.get("stream_bytes"):
        words.append(f"{usage['stream_bytes']} bytes written to the kernel's stdout/stderr (first 1 MB kept)")
    if usage.get("truncated_cells"):
        words.append(f"output truncated in cell(s) {', '.join(str(i + 1) for i in usage['truncated_cells'])}")
    if usage.get("left_behind"):
        words.append(f"{usage['left_behind']} process(es) left behind, killed")
    words += usage.get("limits_hit", [])
    if usage.get("enforced_by"):
        words.append(f"limits by {usage['enforced_by']}")
    return "; ".join(words)


def write_gradebook(results: list[Result], out: Path) -> Path:
    """Write ``gradebook.csv``: one row per student, one column per exercise, and totals, for an LMS.

    An exercise's column is its points, autograded and graded by hand, out of
    the maximum its name gives ("02_first_mlp: 8. Exercise: an MLP for MNIST
    (/4)"); while a part of it graded by hand has no grade yet the cell is
    empty, never 0. "total" and "maximum" follow (total empty while anything
    is pending), then "autograded total" and "points to grade by hand". A
    student with two files for the same notebook gets no points for it (the
    report lists both; "notes" says so); a file that matches no notebook adds
    no column.
    """
    columns: dict[str, float] = {}
    book: dict[str, dict[str, float | None]] = {}
    auto: dict[str, float] = {}
    pending: dict[str, float] = {}
    notes: dict[str, list[str]] = {}
    for r in results:
        if not r.notebook:
            continue
        student = r.student or r.name
        marks = book.setdefault(student, {})
        exercises: dict[str, list] = {}
        for p in r.parts:
            exercises.setdefault(p.exercise, []).append(p)
        for exercise, parts in exercises.items():
            column = f"{r.notebook}: {exercise} (/{fmt(sum(p.points for p in parts if not p.bonus))})"
            columns[column] = sum(p.points for p in parts if not p.bonus)
            if r.duplicate_of:
                marks[column] = None
                continue
            waiting = [p for p in parts if p.earned is None]
            marks[column] = None if waiting else sum(p.earned or 0.0 for p in parts)
        if r.duplicate_of:
            notes.setdefault(student, []).append(f"{len(r.duplicate_of) + 1} files for {r.notebook}, not counted: "
                                                 f"{', '.join(sorted((r.name, *r.duplicate_of)))}")
            continue
        auto[student] = auto.get(student, 0.0) + r.earned
        pending[student] = pending.get(student, 0.0) + sum(p.points for p in r.parts
                                                           if p.kind != "auto" and p.earned is None)
    path = out / "gradebook.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([csv_cell(c) for c in ["student", *columns, "total", "maximum", "autograded total",
                                               "points to grade by hand", "notes"]])
        for student in sorted(book):
            marks = book[student]
            known = [marks.get(c) for c in columns if c in marks]
            complete = all(v is not None for v in known) and not notes.get(student)
            total = fmt(sum(v for v in known if v is not None)) if complete else ""
            maximum = fmt(sum(columns[c] for c in columns if c in marks))
            writer.writerow([csv_cell(v) for v in [
                student, *("" if marks.get(c) is None else fmt(marks[c]) for c in columns), total, maximum,
                fmt(auto.get(student, 0.0)), fmt(pending.get(student, 0.0)), "; ".join(dict.fromkeys(notes.get(student, [])))]])
    return path
