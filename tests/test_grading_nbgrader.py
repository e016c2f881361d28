"""The course in nbgrader: `make nbgrader`, nbgrader's own generate_assignment and autograde, and the same
points from the course's grader on the same files (make test-slow: about three minutes).

nbgrader runs the check cells in the student's kernel; the course's grader runs its checks outside it. On
honest submissions the two agree; on a forged one (no model, an object that answers what the check cells ask),
only nbgrader is fooled.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_utils import notebooks, student
from course_utils.grading import classrun, grade, nbgrader_course, sandbox
from course_utils.grading.limits import Limits

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "02_first_mlp"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sandbox.bwrap_problem() is not None, reason="the course's grader needs its sandbox")]


def _nbgrader(course: Path, *args, env=None):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", **(env or {})}
    proc = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


# no model at all: an object that answers what the check cells ask, and the number they compare with
FORGER = """
class Model:
    output_shape = (None, 10)

    def evaluate(self, *args, **kwargs):
        return [0.01, 0.99]


mnist_model, digits_accuracy = Model(), 0.99
"""


def _submissions(released: Path) -> dict[str, nbformat.NotebookNode]:
    solution = notebooks.read(ROOT / "notebooks" / f"{NOTEBOOK}.ipynb")
    solved_code = {notebooks.source(c).split("\n", 1)[0]: c for c in solution["cells"]}
    answer = next(notebooks.source(c) for c in solution["cells"]
                  if ((c.get("metadata") or {}).get("nbgrader") or {}).get("solution"))
    answer = answer.replace(student.BEGIN + "\n", "").replace(student.END + "\n", "")
    assert solved_code
    made = {}
    for who, code in [("solved", answer),
                      ("partly", answer + "\ndigits_accuracy = 0.99   # a number not measured"),
                      ("unsolved", None),
                      ("forger", FORGER)]:
        nb = nbformat.read(released, as_version=4)
        for cell in nb.cells:
            if code is not None and cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
                cell.source = code
        made[who] = nb
    return made


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The same four submissions graded by nbgrader (autograde) and by the course's grader."""
    tmp_path = tmp_path_factory.mktemp("nbgrader")
    course = tmp_path / "nbgrader"
    nbgrader_course.build(course)
    _nbgrader(course, "generate_assignment", NOTEBOOK, "--force")
    released = course / "release" / NOTEBOOK / f"{NOTEBOOK}.ipynb"
    subs = tmp_path / "subs"
    subs.mkdir()
    for who, nb in _submissions(released).items():
        target = course / "submitted" / who / NOTEBOOK / f"{NOTEBOOK}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
        nbformat.write(nb, subs / f"{who}_{NOTEBOOK}.ipynb")      # the same file, for the course's grader
        _nbgrader(course, "db", "student", "add", who)
    mode = {"COURSE_FAST": "1", "COURSE_DATA": "auto", "COURSE_NO_DOWNLOAD": "1",
            "COURSE_CACHE_DIR": str(tmp_path / "cache")}
    _nbgrader(course, "autograde", NOTEBOOK, env=mode)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        theirs = {who: book.find_submission(NOTEBOOK, who).score for who in ("solved", "partly", "unsolved", "forger")}
    settings = grade.Settings(cell_timeout=300, total_timeout=900, reduced=True, data="auto",
                              limits=Limits(memory_mb=4096))
    ours = {r.student: r.earned for r in classrun.grade_folder(subs, tmp_path / "out", settings, jobs=2)}
    return theirs, ours, tmp_path / "out"


def test_nbgrader_and_the_course_grader_award_the_same_points(both):
    theirs, ours, out = both
    honest = ("solved", "partly", "unsolved")
    assert {w: theirs[w] for w in honest} == {w: ours[w] for w in honest} == {"solved": 4.0, "partly": 3.0,
                                                                               "unsolved": 0.0}
    assert theirs["forger"] == 4.0 and ours["forger"] == 0.0            # nbgrader is fooled in the kernel
    assert len((out / "journal.jsonl").read_text().splitlines()) == 4


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium here (Debian: apt-get install chromium)")
@pytest.mark.parametrize("width", [1200, 390])
def test_the_feedback_pages_render_in_a_real_browser(both, width):
    """Each page opens in headless Chromium, on a desktop and a phone's width: it shows the points, logs no
    console error and makes no request at all besides itself."""
    from browser import Browser

    out = both[2]
    pages = sorted((out / "feedback").rglob("*.html"))
    assert len(pages) == 4
    with Browser(width=width, height=844 if width < 600 else 900) as browser:
        for path in pages:
            page = browser.open(path.as_uri())
            assert page.console_errors == [], (path, page.console_errors)
            assert page.requests == [path.as_uri()], page.requests
            text = browser.evaluate("document.body.innerText")
            assert "Autograded points:" in text and "/ 4" in text
            assert browser.evaluate("document.documentElement.scrollWidth") <= width + 1, "wider than the screen"
        solved = browser.open((out / "feedback" / "partly" / f"{NOTEBOOK}.html").as_uri())
        assert solved.console_errors == []
        assert "digits_accuracy is 0.9900, but the model's test accuracy" in browser.evaluate("document.body.innerText")
        browser.screenshot(out / f"feedback-{width}.png")
