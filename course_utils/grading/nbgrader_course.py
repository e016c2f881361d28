"""The course as an nbgrader course folder: ``make nbgrader`` (``python -m course_utils.grading.nbgrader_course``).

Writes ``build/nbgrader/`` with an ``nbgrader_config.py`` and, for each course
notebook that states points in nbgrader's cell metadata, ``source/<notebook>/<notebook>.ipynb``:
the solution notebook with every given cell marked read-only, as an
instructor would mark it in nbgrader's "Create Assignment" toolbar. From
there nbgrader's own commands take over (run them in ``build/nbgrader``)::

    nbgrader generate_assignment 02_first_mlp     # release/02_first_mlp/: what students get
    nbgrader autograde 02_first_mlp               # submitted/<student>/02_first_mlp/ -> autograded/, gradebook.db

nbgrader runs the check cells in the student's kernel, where a submission
controls everything; the course's own grader (``make grade``) awards the same
points from checks outside the kernel, and also grades nbgrader's released
notebooks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .. import notebooks
from ..config import repo_root
from . import spec

CONFIG = """# nbgrader's configuration for the course (written by `make nbgrader`).
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "dl-course"
# the course's notebooks set themselves up (cu.setup()); each cell may train for a while
c.ExecutePreprocessor.timeout = 900
c.Execute.timeout = 900
"""


def locked(nb: dict) -> dict:
    """``nb`` with nbgrader's read-only metadata on every cell that states no part of its own."""
    nb = json.loads(json.dumps(nb))
    for i, cell in enumerate(nb["cells"]):
        meta = cell.setdefault("metadata", {})
        if "nbgrader" not in meta:
            meta["nbgrader"] = {"grade": False, "grade_id": f"given-{cell.get('id') or i}", "locked": True,
                                "schema_version": 3, "solution": False, "task": False}
    return nb


def build(dest: Path, root: Path | None = None) -> list[Path]:
    """Write the nbgrader course folder ``dest``; return the source notebooks written."""
    root = root or repo_root()
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "nbgrader_config.py").write_text(CONFIG.format(root=str(dest)), encoding="utf-8")
    written = []
    for path in sorted((root / "notebooks").glob("[0-9]*.ipynb")):
        nb = notebooks.read(path)
        if not spec.parts(nb):
            continue
        target = dest / "source" / path.stem / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(locked(nb), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    dest = Path(argv[0]) if argv else repo_root() / "build" / "nbgrader"
    for path in build(dest):
        print(f"wrote {path}")
    print(f"next, in {dest}: nbgrader generate_assignment <notebook>, then nbgrader autograde <notebook>")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
