"""The verdict on one run: points from the checks' results, and what the run shows besides.

Only the checks of :mod:`.checker` award points; an unanswered exercise
earns nothing whatever its checks say; the parts graded by hand wait for
``--manual``. Besides the points: how the notebook ran, its first error and
the traceback trimmed to the student's cells, the check cells that failed
inside the notebook (they award nothing), the written answers, the given
cells changed and the outputs not reproduced. Used by :mod:`.grade`.
"""

from __future__ import annotations

import json
import re

from .. import notebooks
from ..bench import data_named_in
from ..student import ANSWER, ANSWER_PROMPT
from . import judge, spec
from .report import PartResult, Result

ANSI = re.compile(r"\x1b\[[0-9;]*m")
NBGRADER_PROMPT = "YOUR ANSWER HERE"


def trimmed_traceback(executed: dict, index: int, limit: int = 40) -> str:
    """The traceback of cell ``index``'s error, colours removed, only the frames in the notebook's cells."""
    for out in executed["cells"][index].get("outputs", []):
        if out.get("output_type") != "error":
            continue
        frames = [ANSI.sub("", str(f)) for f in out.get("traceback", [])]
        keep = [f for f in frames if f.lstrip().startswith("Cell In") or f is frames[-1]]
        lines = "\n".join(keep).splitlines()
        return "\n".join(lines[-limit:])
    return ""


def _answer_cells(submitted: dict, labels: list[str]) -> dict[str, list[str]]:
    """The submission's written answers by exercise, in order: cells starting with **Answer:**, or the
    answer cells of an nbgrader release (its markdown solution cells)."""
    answers: dict[str, list[str]] = {}
    for cell, label in zip(submitted["cells"], labels):
        text = notebooks.source(cell).strip()
        meta = spec.nbgrader_meta(cell)
        released = cell.get("cell_type") == "markdown" and meta.get("solution") and meta.get("grade")
        if cell.get("cell_type") == "markdown" and (text.startswith(ANSWER) or released):
            answers.setdefault(label, []).append("" if text in (ANSWER_PROMPT, NBGRADER_PROMPT) else text)
    return answers


def judge_run(result: Result, submitted: dict, reference: dict, parts: list[spec.Part], run,
              verdicts: dict[str, tuple[bool, str]], graded_mode: tuple[str, str]) -> None:
    """Fill ``result`` from the run and the checks' verdicts (the grader's view, never the submission's)."""
    status, executed = run.status, run.notebook
    labels = spec.exercise_of_cells(submitted)
    n_cells = len(labels)
    ran = min(status.get("ran", 0), n_cells)
    result.usage = {**status.get("usage", {}), **result.usage}
    for i, ename, evalue in judge.errors(executed, ran):
        if ename != "NotImplementedError" and not result.first_error:
            result.first_error = f"cell {i + 1} ({labels[i]}): {ename}: {evalue}"
            result.traceback = trimmed_traceback(executed, i)
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

    answers = _answer_cells(submitted, labels)
    nth: dict[str, int] = {}
    for part in parts:
        pr = PartResult(part.grade_id, part.exercise, part.kind, part.points, part.bonus)
        if part.kind != "auto":
            pr.status = "awaiting grading by hand"
            if part.kind == "written":
                k = nth[part.exercise] = nth.get(part.exercise, -1) + 1
                mine = answers.get(part.exercise, [])
                pr.answer = mine[k] if k < len(mine) else ""
                pr.message = "an answer is written" if pr.answer else "no answer written"
        elif part.exercise in result.unanswered:
            pr.earned, pr.status, pr.message = 0.0, "unanswered", "the solution is empty, `pass` or as given"
        elif part.grade_id not in verdicts:
            pr.earned, pr.status = 0.0, "no check"
            pr.message = f"the course has no check for {part.grade_id}: its points cannot be awarded"
        else:
            passed, why = verdicts[part.grade_id]
            pr.earned, pr.status, pr.message = (part.points if passed else 0.0), ("passed" if passed else "failed"), why
        result.parts.append(pr)

    changed = judge.changed_given_cells(submitted, reference)
    result.changed_given = [text for _, text, _ in changed]
    result.diffs = [diff for _, _, diff in changed]
    saved_mode = judge.run_mode(submitted)
    compare = bool(executed["cells"])
    if compare and saved_mode is not None and (saved_mode[0] != graded_mode[0] or
                                               (saved_mode[1] == "real") != (graded_mode[1] == "real")):
        compare = False
        result.notes.append(f"saved outputs not compared: the submission ran in {saved_mode[0]} mode on "
                            f"{saved_mode[1]} data, the grading in {graded_mode[0]} mode on {graded_mode[1]} data")
    if compare:
        result.doctored = [text for _, text in judge.doctored_outputs(submitted, executed, ran)]
