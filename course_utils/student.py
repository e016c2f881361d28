"""Student versions of notebooks that hold exercises with solutions.

A solution lives in a code cell between a line ``### BEGIN SOLUTION`` and a
line ``### END SOLUTION``; a model answer is a markdown cell that starts with
``**Answer:**``. The student version (the nbgrader convention) replaces each
solution block with ``# YOUR CODE HERE`` and ``raise NotImplementedError()``,
each model answer with a prompt, clears the outputs and points the Colab badge
at itself. Student versions live in ``notebooks/student/``, paired with a
``.py`` like every notebook, and are never edited by hand. A notebook with
nbgrader metadata gets in its student version what nbgrader's
``generate_assignment`` would add: every other given cell locked, and
nbgrader's checksums::

    make student                      # or: python -m course_utils.student notebooks/*.ipynb
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

from . import notebooks
from .config import repo_root

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
ANSWER = "**Answer:**"
ANSWER_PROMPT = "**Answer:** _Write your answer here (a few sentences)._"
STUDENT_DIR = "student"


def has_solutions(nb: dict) -> bool:
    """Return True when any code cell of ``nb`` holds a solution block."""
    return any(BEGIN in notebooks.source(c) for c in notebooks.code_cells(nb))


def strip_solutions(code: str) -> str:
    """Return ``code`` with every solution block replaced by the student stub.

    The stub keeps the indentation of the ``### BEGIN SOLUTION`` line. A
    block that is never closed is an error (it would swallow given code).
    """
    out: list[str] = []
    inside = False
    for line in code.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"nested {BEGIN!r}")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
        elif marker == END:
            if not inside:
                raise ValueError(f"{END!r} without {BEGIN!r}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN!r} is never closed by {END!r}")
    return "\n".join(out)


def student_path(path: Path) -> Path:
    """Return where the student version of ``notebooks/NAME.ipynb`` lives."""
    return path.parent / STUDENT_DIR / path.name


def lock_and_checksum(nb: dict) -> None:
    """Give ``nb`` the nbgrader metadata its ``generate_assignment`` would: every cell that states no
    part of its own locked (``grade_id`` from the cell's id), and a checksum and cell type on every
    graded, solution or locked cell (nbgrader's own ``compute_checksum``), so that a given cell a
    student changed is found by cell. Only for notebooks that already carry nbgrader metadata."""
    from nbformat import from_dict
    from nbgrader.utils import compute_checksum

    if not any((c.get("metadata") or {}).get("nbgrader") for c in nb["cells"]):
        return
    for i, cell in enumerate(nb["cells"]):
        meta = cell.setdefault("metadata", {})
        if "nbgrader" not in meta:
            meta["nbgrader"] = {"grade": False, "grade_id": f"given-{cell.get('id') or i}", "locked": True,
                                "schema_version": 3, "solution": False, "task": False}
        meta["nbgrader"]["checksum"] = compute_checksum(from_dict({**cell, "source": notebooks.source(cell)}))
        meta["nbgrader"]["cell_type"] = cell["cell_type"]


def make_student_version(nb: dict, target: Path, root: Path | None = None) -> dict:
    """Return the student version of the solution notebook ``nb`` (which is left unchanged)."""
    student = copy.deepcopy(nb)
    for cell in student["cells"]:
        text = notebooks.source(cell)
        if cell["cell_type"] == "code" and BEGIN in text:
            cell["source"] = strip_solutions(text)
        elif cell["cell_type"] == "markdown" and text.lstrip().startswith(ANSWER):
            cell["source"] = ANSWER_PROMPT
    notebooks.strip_outputs(student)
    lock_and_checksum(student)
    if student["cells"]:
        first = student["cells"][0]
        badge = notebooks.badge_target(student)
        if badge:
            first["source"] = notebooks.source(first).replace(badge, notebooks.colab_url(target, root))
    student.setdefault("metadata", {})["course"] = {"student_version_of": Path(target).name}
    return student


def write_notebook_pair(nb: dict, path: Path) -> None:
    """Write ``nb`` as ``path`` (.ipynb) and its paired percent-format ``.py``."""
    import jupytext

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    notebooks.write_script(jupytext.reads(path.read_text(encoding="utf-8"), fmt="ipynb"), path.with_suffix(".py"))


def generate(paths: list[str | Path], root: Path | None = None) -> list[Path]:
    """Write the student version of every notebook in ``paths`` that has solutions; return them."""
    written = []
    for p in map(Path, paths):
        nb = notebooks.read(p)
        if not has_solutions(nb):
            continue
        target = student_path(p)
        write_notebook_pair(make_student_version(nb, target, root), target)
        written.append(target)
    return written


def out_of_date(root: Path | None = None) -> list[str]:
    """Return the student versions that are missing or differ from their source notebooks."""
    root = root or repo_root()
    found = []
    for path in sorted((root / "notebooks").glob("[0-9]*.ipynb")):
        nb = notebooks.read(path)
        if not has_solutions(nb):
            continue
        target = student_path(path)
        if not target.exists():
            found.append(f"{target.relative_to(root)} is missing (run `make student`)")
            continue
        want = [(c["cell_type"], notebooks.source(c)) for c in make_student_version(nb, target, root)["cells"]]
        have = [(c["cell_type"], notebooks.source(c)) for c in notebooks.read(target)["cells"]]
        if want != have:
            found.append(f"{target.relative_to(root)} is out of date with {path.name} (run `make student`)")
    return found


def first_exercise_cell(nb: dict) -> int | None:
    """Return the index (among all cells) of the first code cell a student must fill in, or None."""
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code" and re.search(r"raise NotImplementedError\(\)", notebooks.source(cell)):
            return i
    return None


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for path in generate(argv):
        print(f"wrote {path} and {path.with_suffix('.py').name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
