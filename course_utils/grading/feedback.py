"""Feedback for every student: one page per submission, what earned points and what did not, and why.

``feedback/<student>/<notebook>.html`` (and a ``.md`` beside it): the points
of each part out of its maximum, each failed check with its message, the
first error with its traceback trimmed to the student's own cell, the
exercises left unanswered, the given cells the student changed (a small
diff), the saved outputs the code does not reproduce, and each written
answer with its grade and comment once graded by hand (awaiting until then).
The page is self-contained (no script, no font, no image from anywhere),
readable on a phone, and every string of the submission is escaped.
Used by :mod:`.grade` and :mod:`.manual`::

    >>> write_all(results, Path("build/grading"))
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from .report import Result, fmt, md

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#fff;color:#1b1b1b;
line-height:1.45}main{max-width:52rem;margin:0 auto;padding:1rem}h1{font-size:1.4rem}h2{font-size:1.15rem;
margin-top:1.6rem;border-bottom:1px solid #ddd}table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{border-bottom:1px solid #e3e3e3;padding:.35rem .4rem;text-align:left;vertical-align:top}
.ok{color:#1a7f37}.no{color:#b42318}.wait{color:#8a6100}pre{background:#f5f5f5;padding:.6rem;overflow-x:auto;
white-space:pre-wrap;word-break:break-word;font-size:.85rem}.summary{font-size:1.05rem}
@media (max-width:40rem){thead{display:none}td{display:block;border:0;padding:.1rem .2rem}
td::before{content:attr(data-label) ": ";font-weight:600}tr{display:block;border-bottom:1px solid #ddd;padding:.3rem 0}}
"""


def safe(name: str) -> str:
    """A file or folder name of letters, digits, ``_.-`` for a student or a notebook."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip("._")[:80] or "unnamed"


def page_path(out: Path, result: Result) -> Path:
    """Where the feedback page of ``result`` goes (a second file of the same student and notebook gets its own)."""
    folder = out / "feedback" / safe(result.student or result.name)
    stem = result.notebook or "not-a-course-notebook"
    if result.duplicate_of or not result.notebook:
        stem += "-" + safe(Path(result.name).stem)
    return folder / f"{stem}.html"


def _status_class(status: str) -> str:
    return {"passed": "ok", "graded by hand": "ok"}.get(status, "wait" if status.startswith("awaiting") else "no")


def _totals(result: Result) -> tuple[str, str]:
    auto = f"{fmt(result.earned)} / {fmt(result.available)}"
    manual = [p for p in result.parts if p.kind != "auto"]
    graded = [p for p in manual if p.earned is not None]
    hand = f"{fmt(sum(p.earned for p in graded))} / {fmt(sum(p.points for p in manual if not p.bonus))} " \
           f"({len(graded)} of {len(manual)} graded)" if manual else "none"
    return auto, hand


def render_html(result: Result) -> str:
    """The feedback page of one submission (a complete HTML document)."""
    e = html.escape
    auto, hand = _totals(result)
    rows = []
    for p in result.parts:
        earned = "awaiting grading" if p.earned is None else f"{fmt(p.earned)} / {fmt(p.points)}"
        why = p.message or ""
        if p.kind != "auto" and p.comment:
            why = f"{why}; comment: {p.comment}" if why else f"comment: {p.comment}"
        rows.append(f"<tr><td data-label=\"exercise\">{e(p.exercise)}</td><td data-label=\"part\">{e(p.grade_id)}"
                    f"{' (bonus)' if p.bonus else ''}</td><td data-label=\"kind\">{e(p.kind)}</td>"
                    f"<td data-label=\"points\">{e(earned)}</td><td data-label=\"status\" "
                    f"class=\"{_status_class(p.status)}\">{e(p.status)}</td><td data-label=\"why\">{e(why)}</td></tr>")
    body = [f"<h1>Feedback: {e(result.notebook or 'a file of no course notebook')}</h1>",
            f"<p class=\"summary\">Student <strong>{e(result.student)}</strong>, file <code>{e(result.name)}</code>. "
            f"Autograded points: <strong>{e(auto)}</strong>. Graded by hand: <strong>{e(hand)}</strong>.</p>",
            f"<p>How the notebook ran: <strong>{e(result.status)}</strong>"
            + (f", first failure: {e(result.first_error)}" if result.first_error else "") + ".</p>"]
    if result.traceback:
        body.append(f"<pre>{e(result.traceback)}</pre>")
    if rows:
        body += ["<h2>Points</h2>", "<table><thead><tr><th>exercise</th><th>part</th><th>kind</th><th>points</th>"
                 "<th>status</th><th>why</th></tr></thead><tbody>", *rows, "</tbody></table>"]
    if result.unanswered:
        body += ["<h2>Not answered</h2>", "<ul>", *(f"<li>{e(x)}</li>" for x in result.unanswered), "</ul>"]
    answers = [p for p in result.parts if p.kind == "written"]
    if answers:
        body.append("<h2>Written answers</h2>")
        for p in answers:
            grade = "awaiting grading by hand" if p.earned is None else f"{fmt(p.earned)} / {fmt(p.points)} points"
            body.append(f"<h3>{e(p.exercise)}, {e(p.grade_id)}: {e(grade)}</h3>"
                        f"<pre>{e(p.answer or '(no answer written)')}</pre>"
                        + (f"<p>Comment: {e(p.comment)}</p>" if p.comment else ""))
    if result.changed_given:
        body.append("<h2>Given cells you changed</h2>")
        for text, diff in zip(result.changed_given, result.diffs or [""] * len(result.changed_given)):
            body.append(f"<p>{e(text)}</p>" + (f"<pre>{e(diff)}</pre>" if diff else ""))
    if result.doctored:
        body += ["<h2>Saved outputs the code does not reproduce</h2>", "<ul>",
                 *(f"<li>{e(x)}</li>" for x in result.doctored), "</ul>"]
    if result.self_checks_failed:
        body += ["<h2>Check cells that failed in your notebook</h2>", "<ul>",
                 *(f"<li>{e(x)}</li>" for x in result.self_checks_failed), "</ul>"]
    notes = list(result.notes) + list(result.usage.get("limits_hit", []))
    if notes:
        body += ["<h2>Notes</h2>", "<ul>", *(f"<li>{e(x)}</li>" for x in notes), "</ul>"]
    title = f"Feedback: {result.notebook or result.name} · {result.student}"
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{e(title)}</title><style>{CSS}</style></head>\n<body><main>\n"
            + "\n".join(body) + "\n</main></body></html>\n")


def render_md(result: Result) -> str:
    """The same feedback as markdown."""
    auto, hand = _totals(result)
    lines = [f"# Feedback: {md(result.notebook or 'a file of no course notebook')}", "",
             f"Student **{md(result.student)}**, file {md(result.name)}. Autograded points: **{md(auto)}**. "
             f"Graded by hand: **{md(hand)}**.", "",
             f"How the notebook ran: **{md(result.status)}**" + (f", first failure: {md(result.first_error, 300)}"
                                                                   if result.first_error else "") + "."]
    if result.traceback:
        lines += ["", "```", result.traceback.replace("```", "'''"), "```"]
    if result.parts:
        lines += ["", "| exercise | part | points | status | why |", "| --- | --- | --- | --- | --- |"]
        for p in result.parts:
            earned = "awaiting grading" if p.earned is None else f"{fmt(p.earned)} / {fmt(p.points)}"
            lines.append(f"| {md(p.exercise)} | {md(p.grade_id)} | {md(earned)} | {md(p.status)} | "
                         f"{md(p.message or p.comment, 300)} |")
    for title, items in (("Not answered", result.unanswered), ("Given cells you changed", result.changed_given),
                         ("Saved outputs the code does not reproduce", result.doctored)):
        if items:
            lines += ["", f"## {title}", ""] + [f"- {md(x, 300)}" for x in items]
    return "\n".join(lines) + "\n"


def write_all(results: list[Result], out: Path) -> list[Path]:
    """Write every submission's feedback page (HTML and markdown); return the HTML paths."""
    written = []
    for result in results:
        if result.status == "skipped":
            continue
        path = page_path(out, result)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_html(result), encoding="utf-8")
        path.with_suffix(".md").write_text(render_md(result), encoding="utf-8")
        written.append(path)
    return written
