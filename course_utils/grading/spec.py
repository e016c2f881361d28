"""What a course notebook says about grading: its exercises, and the points of each part.

Points are stated per cell, in nbgrader's cell metadata (``metadata.nbgrader``,
schema 3), never guessed from the prose:

* an autograded part: a check cell with ``grade: true, points: k, locked: true``;
  ``metadata.course.uses`` names the objects its checks read, which leave the
  student's kernel as data (:mod:`.exports`): ``{"mnist_model": "keras"}`` or,
  for a value computed from the student's names, ``{"probe": ["keras",
  "build_mlp(n_hidden=0)"]}``;
* a written answer: a markdown cell with ``solution: true, grade: true,
  points: k``, graded by hand;
* a task graded by hand that is not one cell's answer (a plot): a markdown
  cell with ``task: true, points: k``;
* ``metadata.course.bonus: true`` makes a part's points bonus points; as
  nbgrader knows no bonus, such a part has ``points: 0`` for nbgrader and its
  points in ``metadata.course.points``.

The exercise a cell belongs to is the last heading above it that names an
exercise. Used by every other module of the grader::

    >>> [(p.grade_id, p.kind, p.points) for p in parts(notebooks.read("notebooks/02_first_mlp.ipynb"))]
    [('mnist_mlp', 'auto', 4.0)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import notebooks

EXERCISE = re.compile(r"^#+\s*(.*\bExercise\b.*?)\s*$", re.IGNORECASE | re.MULTILINE)
NUMBERED = re.compile(r"\bExercise\s+(\d+[a-z]?)\b", re.IGNORECASE)
HEADING_POINTS = re.compile(r"\((\d+)(?:\s*\+\s*(\d+))?\s*points?\)", re.IGNORECASE)
GRADE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
EXPORT_KINDS = ("keras", "array", "json", "history", "histories", "namespace")
GIVEN = "(given)"


def exercise_label(heading: str) -> str:
    """Return the label of an exercise heading: "Exercise 3", or the heading without its points."""
    number = NUMBERED.search(heading)
    if number:
        return f"Exercise {number.group(1)}"
    return HEADING_POINTS.sub("", heading).strip()


def exercise_of_cells(nb: dict) -> list[str]:
    """Return, for each cell, the exercise it belongs to.

    That is the last heading above it that names an exercise: "Exercise 3"
    for "## Exercise 3: ... (4 points)", the heading's text otherwise
    ("8. Exercise: an MLP for MNIST"); cells before any are "(given)".
    """
    current = GIVEN
    labels = []
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown":
            match = EXERCISE.search(notebooks.source(cell))
            if match:
                current = exercise_label(match.group(1))
        labels.append(current)
    return labels


def heading_points(nb: dict) -> dict[str, tuple[int, int]]:
    """Return {exercise: (points, bonus)} as the headings show them to students ("(8 + 2 points)")."""
    found: dict[str, tuple[int, int]] = {}
    for cell in nb["cells"]:
        if cell.get("cell_type") != "markdown":
            continue
        for heading in EXERCISE.findall(notebooks.source(cell)):
            match = HEADING_POINTS.search(heading)
            if match:
                found.setdefault(exercise_label(heading), (int(match.group(1)), int(match.group(2) or 0)))
    return found


def nbgrader_meta(cell: dict) -> dict:
    """Return a cell's nbgrader metadata (empty when it has none)."""
    meta = (cell.get("metadata") or {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


@dataclass
class Part:
    """A part of an exercise that is worth points."""

    grade_id: str
    exercise: str
    kind: str                        # "auto" (a check cell), "written" (an answer), "task" (graded by hand)
    points: float
    bonus: bool = False
    cell: int = 0                    # index of its cell in the notebook
    uses: dict[str, tuple[str, str]] = field(default_factory=dict)   # key: (export kind, expression)

    @property
    def manual(self) -> bool:
        return self.kind != "auto"


def _uses(raw, where: str) -> dict[str, tuple[str, str]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: metadata course.uses must be a dict of name: kind")
    uses = {}
    for key, value in raw.items():
        kind, expr = (value, key) if isinstance(value, str) else (tuple(value) + ("", ""))[:2]
        if not GRADE_ID.match(str(key)) or kind not in EXPORT_KINDS or not isinstance(expr, str) or not expr:
            raise ValueError(f"{where}: course.uses[{key!r}] = {value!r} is not a name with one of the kinds "
                             f"{', '.join(EXPORT_KINDS)} (and an expression, when given as a pair)")
        uses[str(key)] = (kind, expr)
    return uses


def parts(nb: dict) -> list[Part]:
    """Return the parts worth points of ``nb``, in cell order, from its nbgrader metadata.

    Raises ValueError for metadata that cannot be trusted to mean one thing:
    a grade_id used twice or not a plain name, points that are not a number
    of 0 or more, a graded code cell that is also a solution.
    """
    labels = exercise_of_cells(nb)
    found: list[Part] = []
    seen: set[str] = set()
    for i, (cell, label) in enumerate(zip(nb["cells"], labels)):
        meta = nbgrader_meta(cell)
        grade_id = meta.get("grade_id")
        where = f"cell {i + 1} ({label})"
        if grade_id is not None:
            if not isinstance(grade_id, str) or not GRADE_ID.match(grade_id):
                raise ValueError(f"{where}: nbgrader grade_id {grade_id!r} must be a plain name")
            if grade_id in seen:
                raise ValueError(f"{where}: nbgrader grade_id {grade_id!r} is used twice")
            seen.add(grade_id)
        graded, task = bool(meta.get("grade")), bool(meta.get("task"))
        if not graded and not task:
            continue
        course = (cell.get("metadata") or {}).get("course") or {}
        # nbgrader has no bonus points: a bonus part has points 0 there and its points in course.points
        points = course.get("points", meta.get("points", 0)) if course.get("bonus") else meta.get("points", 0)
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
            raise ValueError(f"{where}: nbgrader points {points!r} must be a number of 0 or more")
        if task:
            kind = "task"
        elif cell.get("cell_type") == "code":
            if meta.get("solution"):
                raise ValueError(f"{where}: a graded code cell cannot also be a solution cell "
                                 "(nbgrader autograder tests are locked given cells)")
            kind = "auto"
        else:
            kind = "written"
        found.append(Part(grade_id, label, kind, float(points), bool(course.get("bonus")), i,
                          _uses(course.get("uses"), where) if kind == "auto" else {}))
    return found


def exports(found: list[Part]) -> dict[str, tuple[str, str]]:
    """Return {key: (kind, expression)}: everything the parts' checks read, for the hand-over cell.

    A key that two parts name must mean the same object (raises ValueError otherwise).
    """
    merged: dict[str, tuple[str, str]] = {}
    for part in found:
        for key, value in part.uses.items():
            if merged.setdefault(key, value) != value:
                raise ValueError(f"{part.grade_id}: course.uses[{key!r}] = {list(value)} differs from another "
                                 f"part's {list(merged[key])}; give one of them another name")
    return merged


def totals(found: list[Part]) -> dict[str, tuple[float, float]]:
    """Return {exercise: (points, bonus)} summed over the parts."""
    sums: dict[str, list[float]] = {}
    for part in found:
        pair = sums.setdefault(part.exercise, [0.0, 0.0])
        pair[1 if part.bonus else 0] += part.points
    return {ex: (regular, bonus) for ex, (regular, bonus) in sums.items()}


def heading_mismatches(nb: dict) -> list[str]:
    """Return one line per exercise whose heading's points differ from its metadata's, or that lacks either."""
    shown, stated = heading_points(nb), totals(parts(nb))
    problems = []
    for exercise in dict.fromkeys([*shown, *stated]):
        if exercise not in stated:
            problems.append(f"{exercise}: the heading says {shown[exercise]} points, no cell's metadata gives any")
        elif exercise not in shown:
            problems.append(f"{exercise}: the metadata gives {stated[exercise]} points, the heading shows none")
        elif tuple(map(float, shown[exercise])) != stated[exercise]:
            problems.append(f"{exercise}: the heading says {shown[exercise][0]} + {shown[exercise][1]} bonus "
                            f"points, the metadata {stated[exercise][0]:g} + {stated[exercise][1]:g}")
    return problems


def solution_cells(nb: dict) -> list[int]:
    """Return the indices of the code cells a student writes (nbgrader ``solution: true``)."""
    return [i for i, cell in enumerate(nb["cells"])
            if cell.get("cell_type") == "code" and nbgrader_meta(cell).get("solution")]
