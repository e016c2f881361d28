"""grading: submissions built from a student version, honest and hostile, come out of the report as what they are.

One grading run (two sandboxes at a time) covers a small demo assignment that
needs no TensorFlow: correct, partly correct, unanswered, doctored, looping,
crashing, and one hostile submission per attack on the grader. One run of the
real notebook 02 in reduced mode checks the points of a correct submission.
"""

import csv
import json
import socket
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from course_utils import grading, notebooks, sandbox, student

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_PROBLEM = sandbox.bwrap_problem()
needs_sandbox = pytest.mark.skipif(SANDBOX_PROBLEM is not None, reason=f"no sandbox here: {SANDBOX_PROBLEM}")

SOLUTION_CELLS = [
    ("markdown", "# Demo assignment"),
    ("code", "import math\nbase = 6"),
    ("markdown", "## Exercise 1: multiply (2 points)\n\n1. Compute `product`. (1 pt)\n2. Why is it even? (1 pt)"),
    ("code", "### BEGIN SOLUTION\nproduct = base * 7\n### END SOLUTION\nprint(f'product = {product}')"),
    ("code", "assert product == 42"),
    ("markdown", "**Answer:** 42 is 6 times 7, and 6 is even."),
    ("markdown", "## Exercise 2: a square root (1 point)"),
    ("code", "### BEGIN SOLUTION\nroot = math.sqrt(product)\n### END SOLUTION\nprint(f'root = {root:.4f}')"),
    ("code", "assert abs(root * root - 42) < 1e-9"),
    ("code", "print('done')"),
]
SLEEPER = "sleep 7777"          # the leftover process an attack starts; none may survive the run


def _notebook(cells):
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb = nbformat.v4.new_notebook(cells=[make[kind](src) for kind, src in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
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
    """A course with one solution notebook and its published student version."""
    base = tmp_path_factory.mktemp("grading")
    course = base / "course"
    (course / "notebooks").mkdir(parents=True)
    solution = course / "notebooks" / "07_demo.ipynb"
    nbformat.write(_notebook(SOLUTION_CELLS), solution)
    reference = student.student_path(solution)
    student.write_notebook_pair(student.make_student_version(notebooks.read(solution), reference, course),
                                reference)
    return base, solution, reference


def _answered(published):
    nb = nbformat.reads(json.dumps(published), as_version=4)
    for cell, (kind, src) in zip(nb.cells, SOLUTION_CELLS):
        if kind == "code" and "raise NotImplementedError()" in cell.source:
            cell.source = src.replace(student.BEGIN + "\n", "").replace(student.END + "\n", "")
        elif cell.source == student.ANSWER_PROMPT:
            cell.source = src
    return nb


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
        if hostile:  # a given-looking cell of its own, right after the set-up
            nb.cells.insert(2, nbformat.v4.new_code_cell(hostile))
        if execute:
            from nbclient import NotebookClient

            NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
        if doctor:
            doctor(nb)
        nbformat.write(nb, subs / f"{name}_07_demo.ipynb")

    submission("alice", execute=True)                                            # correct, with outputs

    def raises(nb):
        nb.cells[7].source = "root = math.sqrt(-product)\nprint(root)"
    submission("bob", raises)                                                    # partly correct

    def doctor(nb):
        out = nb.cells[3].outputs[0]
        out["text"] = out["text"].replace("42", "43")
    submission("carol", execute=True, doctor=doctor)

    def loop(nb):
        nb.cells[7].source = "while True:\n    pass"
    submission("dave", loop)

    def edit_given(nb):
        nb.cells[1].source = "import math\nbase = 7"
    submission("erin", edit_given)

    def unanswered(nb):
        nb.cells[7].source = "# YOUR CODE HERE\nraise NotImplementedError()"
    submission("frank", unanswered)

    def only_pass(nb):
        nb.cells[3].source = "pass\nprint(f'product = {product}')"
        nb.cells[7].source = "pass\nprint(f'root = {root:.4f}')"
    submission("paula", only_pass)                                               # `pass` everywhere

    def crash(nb):
        nb.cells[7].source = "import os\nos._exit(1)"
    submission("ivan", crash)
    (subs / "henry_07_demo.ipynb").write_text("this is not json")

    # the attacks, one per submission; without a sandbox only the memory hog, which the grader's own
    # memory watch stops: the others would really write into the venv, start a process that outlives
    # the run, kill the runner and overwrite the solution file (their tests are skipped there)
    submission("zz5_memory", hostile="hog = []\nfor _ in range(80):\n    hog.append(bytearray(100 * 2**20))")
    if SANDBOX_PROBLEM is not None:
        return _grade(subs, base, reference, solution, listener, site_packages)
    submission("zz1_pth", hostile=f"open({str(site_packages / 'zz_graded.pth')!r}, 'w').write('import os')")
    submission("zz2_solutions", hostile=(
        "import course_utils, pathlib\n"
        "repo = pathlib.Path(course_utils.__file__).parent.parent\n"
        f"for path in [repo / 'notebooks' / '02_first_mlp.ipynb', pathlib.Path({str(solution)!r})]:\n"
        "    print(path.read_text()[:100])"))
    submission("zz3_network", hostile=(
        f"import socket\nsocket.create_connection(('127.0.0.1', {listener.port}), timeout=5)\nprint('connected')"))
    submission("zz4_leftover", hostile=(
        "import subprocess\n"
        f"subprocess.Popen({SLEEPER.split()!r}, start_new_session=True)\n"
        "print('started a process that should outlive the run')"))
    submission("zz6_verdict", hostile=(
        "import json, os, pathlib\n"
        "for name in ['.executed.ipynb.status.json', 'result.json']:\n"
        "    pathlib.Path(name).write_text(json.dumps({'stopped': None, 'cell': None, 'ran': 99}))\n"
        "os.kill(os.getppid(), 9)\nos._exit(0)"))
    submission("zz7_vandal", hostile=f"open({str(solution)!r}, 'w').write('gone')")
    return _grade(subs, base, reference, solution, listener, site_packages)


def _grade(subs, base, reference, solution, listener, site_packages):
    """Grade the class in ``subs`` (two at a time) and return what the tests read."""
    before = solution.read_bytes()
    start = time.monotonic()
    try:
        results = grading.grade_folder(subs, base / "report", reference_dir=reference.parent, cell_timeout=5,
                                       total_timeout=60, protect=[base / "course", subs], jobs=2, memory_mb=600,
                                       sandboxed=SANDBOX_PROBLEM is None)
    finally:
        listener.close()
    return {
        "results": {r.name.split("_07")[0]: r for r in results}, "report": base / "report",
        "seconds": time.monotonic() - start, "listener": listener, "site_packages": site_packages,
        "solution": solution, "solution_before": before, "subs": subs, "reference": reference,
    }


def _rows(result):
    """The result's run and checks rows by exercise (without the manual-grading rows)."""
    return {row.exercise: row for row in result.rows if row.status == "checks passed" or row.status not in
            ("manual grading", "changed given cell", "output not reproduced")}


def test_correct_submission_gets_full_autograded_points(graded):
    r = graded["results"]["alice"]
    assert r.status == "ran" and r.first_error == "" and r.unanswered == [] and r.checks_failed == []
    assert r.changed_given == [] and r.doctored == [] and r.sandboxed is (SANDBOX_PROBLEM is None)
    rows = _rows(r)
    assert rows["Exercise 1"].status == "checks passed" and rows["Exercise 1"].checks == "all 1 passed"
    # exercise 1: 2 points, 1 of them for the written "why" task, graded by hand
    assert r.points == {"Exercise 1": (1.0, 1.0), "Exercise 2": (1.0, 1.0)}
    manual = [row for row in r.rows if row.status == "manual grading"]
    assert [(m.exercise, m.manual) for m in manual] == [("Exercise 1", 1)]
    assert manual[0].detail.startswith("1 of 1 answer cell(s) written")


def test_partly_correct_submission_gets_the_points_of_what_passes(graded):
    r = graded["results"]["bob"]
    assert r.status == "error" and r.first_error.startswith("cell 8 (Exercise 2): ValueError: math domain error")
    rows = _rows(r)
    assert rows["Exercise 1"].status == "checks passed" and rows["Exercise 2"].status == "checks failed"
    assert "cell 9: NameError" in rows["Exercise 2"].detail
    assert r.points == {"Exercise 1": (1.0, 1.0), "Exercise 2": (0.0, 1.0)} and r.checks_failed == ["Exercise 2"]


def test_unanswered_exercises_earn_nothing(graded):
    frank = graded["results"]["frank"]
    assert frank.unanswered == ["Exercise 2"] and frank.points["Exercise 2"] == (0.0, 1.0)
    assert _rows(frank)["Exercise 2"].status == "unanswered"
    paula = graded["results"]["paula"]       # `pass` everywhere: it runs, but nothing is answered
    assert paula.unanswered == ["Exercise 1", "Exercise 2"]
    assert paula.points == {"Exercise 1": (0.0, 1.0), "Exercise 2": (0.0, 1.0)}
    assert paula.status == "error"           # its checks raise NameError: `ran` is not `checks passed`


def test_doctored_output_is_caught(graded):
    r = graded["results"]["carol"]
    assert r.status == "ran"
    assert len(r.doctored) == 1 and r.doctored[0].startswith("cell 4 (Exercise 1): saved output `product = 43`")


def test_endless_loop_hits_the_cell_time_limit(graded):
    r = graded["results"]["dave"]
    assert r.status == "cell time limit" and r.first_error == "cell 8 (Exercise 2): cell time limit"
    assert _rows(r)["Exercise 2"].status == "checks failed" and r.points["Exercise 2"] == (0.0, 1.0)
    assert r.seconds < 40


def test_edited_given_cell_is_reported(graded):
    r = graded["results"]["erin"]
    assert r.changed_given == ["cell 2 ((given)): `import math`"]
    assert r.points["Exercise 1"] == (0.0, 1.0)        # base = 7 makes the product 49


def test_file_that_is_not_a_notebook_is_reported(graded):
    r = graded["results"]["henry"]
    assert r.status == "not a notebook" and "not a readable notebook" in r.rows[0].detail


def test_dead_kernel_is_reported(graded):
    r = graded["results"]["ivan"]
    assert r.status == "kernel died" and r.first_error == "cell 8 (Exercise 2): kernel died"


@needs_sandbox
def test_attack_pth_file_in_the_environment_is_refused(graded):
    r = graded["results"]["zz1_pth"]
    assert r.first_error.startswith("cell 3 ((given)): OSError: [Errno 30] Read-only file system")
    assert not (graded["site_packages"] / "zz_graded.pth").exists()


@needs_sandbox
def test_attack_reading_the_solutions_finds_nothing(graded):
    r = graded["results"]["zz2_solutions"]
    assert r.first_error.startswith("cell 3 ((given)): FileNotFoundError: [Errno 2] No such file or directory")
    assert "02_first_mlp.ipynb" in r.first_error


@needs_sandbox
def test_attack_on_a_local_network_service_is_refused(graded):
    r = graded["results"]["zz3_network"]
    assert r.first_error.startswith("cell 3 ((given)): ConnectionRefusedError")
    assert graded["listener"].accepted == 0


@needs_sandbox
def test_attack_leaving_a_process_behind_leaves_none(graded):
    r = graded["results"]["zz4_leftover"]
    assert r.status == "ran"
    alive = [p for p in psutil.process_iter(["cmdline"]) if " ".join(p.info["cmdline"] or []) == SLEEPER]
    assert alive == []


def test_attack_allocating_8_gb_is_stopped_at_the_memory_limit(graded):
    r = graded["results"]["zz5_memory"]
    assert r.status.startswith("memory limit exceeded (peak ") and r.status.endswith("limit 600 MB)")
    peak = float(r.status.split("peak ")[1].split(" MB")[0])
    assert 600 < peak < 2500
    assert r.first_error.startswith("cell 3 ((given)): memory limit exceeded")


@needs_sandbox
def test_attack_forging_its_verdict_is_graded_as_what_it_did(graded):
    r = graded["results"]["zz6_verdict"]
    assert r.status == "kernel died" and r.first_error == "cell 3 ((given)): kernel died"
    assert r.points == {"Exercise 1": (0.0, 1.0), "Exercise 2": (0.0, 1.0)}


def test_attack_on_the_course_files_changes_nothing(graded):
    assert graded["solution"].read_bytes() == graded["solution_before"]
    report = (graded["report"] / "report.csv").read_text()
    assert "changed during grading" not in report
    if SANDBOX_PROBLEM is None:  # without a sandbox the vandal is not in the class (see `graded`)
        r = graded["results"]["zz7_vandal"]
        assert r.first_error.startswith("cell 3 ((given)): FileNotFoundError")


def test_report_gradebook_and_scratch_folders(graded):
    report = graded["report"]
    rows = list(csv.DictReader((report / "report.csv").open()))
    names = {p.name for p in graded["subs"].iterdir()}
    assert {row["notebook"] for row in rows} == names
    assert {row["sandboxed"] for row in rows} == {"yes" if SANDBOX_PROBLEM is None else "NO"}
    carol = [(row["exercise"], row["status"]) for row in rows if row["notebook"].startswith("carol")]
    assert ("Exercise 1", "output not reproduced") in carol
    assert "| dave_07_demo.ipynb | cell time limit |" in (report / "report.md").read_text()
    book = {row["student"]: row for row in csv.DictReader((report / "gradebook.csv").open())}
    assert book["alice"]["07_demo: Exercise 1 (/1)"] == "1" and book["alice"]["autograded total"] == "2"
    assert book["bob"]["autograded total"] == "1" and book["frank"]["07_demo: Exercise 2 (/1)"] == "0"
    assert book["alice"]["manual points to grade"] == "1"
    assert not list(Path(grading.tempfile.gettempdir()).glob("grading-*/*")), "a scratch folder was left behind"


def test_report_is_the_same_whatever_the_number_of_jobs(graded, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("alice", "bob", "frank"):
        (subs / f"{name}_07_demo.ipynb").write_bytes((graded["subs"] / f"{name}_07_demo.ipynb").read_bytes())
    grading.grade_folder(subs, tmp_path / "one", reference_dir=graded["reference"].parent, cell_timeout=5,
                         total_timeout=60, jobs=1, memory_mb=600, sandboxed=SANDBOX_PROBLEM is None)

    def table(path):
        return [{k: v for k, v in row.items() if k != "seconds" and not (k == "detail" and "peak memory" in v)}
                for row in csv.DictReader(path.open())]

    two = [row for row in table(graded["report"] / "report.csv") if row["notebook"] in {p.name for p in subs.iterdir()}]
    assert table(tmp_path / "one" / "report.csv") == two
    assert (tmp_path / "one" / "gradebook.csv").read_text().splitlines()[0] == \
        "student,07_demo: Exercise 1 (/1),07_demo: Exercise 2 (/1),autograded total,manual points to grade"


def test_names_that_sanitise_alike_get_their_own_scratch_folders(graded, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    nb = _answered(notebooks.read(graded["reference"]))
    nb.cells.insert(2, nbformat.v4.new_code_cell(
        "import os, pathlib\nassert not pathlib.Path('mine.txt').exists(), 'another submission wrote here'\n"
        "pathlib.Path('mine.txt').write_text('x')\nimport time; time.sleep(1)"))
    for name in ("ann a_07_demo.ipynb", "ann+a_07_demo.ipynb"):
        nbformat.write(nb, subs / name)
    results = grading.grade_folder(subs, tmp_path / "out", reference_dir=graded["reference"].parent,
                                   cell_timeout=10, total_timeout=60, jobs=2, memory_mb=600,
                                   sandboxed=SANDBOX_PROBLEM is None)
    assert [(r.name, r.status, r.first_error) for r in results] == \
        [("ann a_07_demo.ipynb", "ran", ""), ("ann+a_07_demo.ipynb", "ran", "")]


def test_hidden_checks_award_or_withhold_points(graded, tmp_path):
    hidden = tmp_path / "hidden" / "07_demo"
    hidden.mkdir(parents=True)
    (hidden / "product.py").write_text("# exercise: Exercise 1\nassert product == 6 * 7 and base == 6\n")
    (hidden / "root.py").write_text("# exercise: Exercise 2\nassert isinstance(root, int), 'a hidden check'\n")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice_07_demo.ipynb").write_bytes((graded["subs"] / "alice_07_demo.ipynb").read_bytes())
    [r] = grading.grade_folder(subs, tmp_path / "out", reference_dir=graded["reference"].parent, cell_timeout=10,
                               total_timeout=60, jobs=1, memory_mb=600, sandboxed=SANDBOX_PROBLEM is None,
                               hidden_dir=tmp_path / "hidden")
    assert r.points == {"Exercise 1": (1.0, 1.0), "Exercise 2": (0.0, 1.0)}
    assert "hidden check 2: AssertionError: a hidden check" in _rows(r)["Exercise 2"].detail
    (hidden / "bad.py").write_text("assert True\n")
    with pytest.raises(ValueError, match=r"bad.py does not name its exercise: start it with a line '# exercise: "):
        grading.hidden_tests(tmp_path / "hidden", graded["reference"])


def test_self_check_runs_the_given_checks(graded, capsys):
    r = grading.self_check(graded["subs"] / "bob_07_demo.ipynb", reference_dir=graded["reference"].parent,
                           cell_timeout=10, total_timeout=60)
    assert r.points == {"Exercise 1": (1.0, 1.0), "Exercise 2": (0.0, 1.0)}
    out = capsys.readouterr().out
    assert "bob_07_demo.ipynb: error at cell 8 (Exercise 2): ValueError: math domain error" in out
    assert "  Exercise 1: checks passed [1 / 1 points]" in out
    with pytest.raises(FileNotFoundError, match="pass the path of your saved notebook"):
        grading.self_check(graded["subs"] / "nobody.ipynb")


def test_without_a_sandbox_grading_refuses_unless_told(monkeypatch, tmp_path, graded):
    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: "bubblewrap (`bwrap`) is not installed.")
    with pytest.raises(RuntimeError, match=r"Cannot grade in a sandbox: bubblewrap .* or pass --no-sandbox"):
        grading.grade_folder(graded["subs"], tmp_path / "out")
    assert grading.main([str(graded["subs"]), "--out", str(tmp_path / "out")]) == 2
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice_07_demo.ipynb").write_bytes((graded["subs"] / "alice_07_demo.ipynb").read_bytes())
    [r] = grading.grade_folder(subs, tmp_path / "out", reference_dir=graded["reference"].parent, cell_timeout=10,
                               total_timeout=60, jobs=1, sandboxed=False)
    assert r.sandboxed is False and all(row.sandboxed is False for row in r.rows)
    assert "UNSANDBOXED" in r.rows[0].detail
    assert {row["sandboxed"] for row in csv.DictReader((tmp_path / "out" / "report.csv").open())} == {"NO"}


def test_command_line_refuses_bad_arguments(tmp_path, capsys):
    for argv, message in [([str(tmp_path / "none")], "is not a folder of submissions"),
                          ([str(tmp_path), "--jobs", "0"], "--jobs 0: the number of sandboxes at once must be 1"),
                          ([str(tmp_path), "--hidden-tests", str(tmp_path / "x")], "is not a folder: pass the folder")]:
        with pytest.raises(SystemExit):
            grading.main(argv)
        assert message in capsys.readouterr().err


def test_points_come_from_headings_and_tasks():
    nb = notebooks.read(ROOT / "notebooks" / "student" / "05_miniproject_cnn.ipynb")
    points = grading.exercise_points(nb)
    assert [(ex, p.total, p.bonus) for ex, p in points.items()] == [
        ("Exercise 1", 6, 0), ("Exercise 2", 10, 0), ("Exercise 3", 10, 0), ("Exercise 4", 8, 2),
        ("Exercise 5", 10, 2), ("Exercise 6", 10, 0)]
    assert sum(p.total for p in points.values()) == 54 and sum(p.bonus for p in points.values()) == 4
    assert (points["Exercise 1"].manual, points["Exercise 1"].auto) == (2, 4)   # "What does the title show?" (2 pts)
    assert grading.exercise_points(notebooks.read(ROOT / "notebooks" / "student" / "02_first_mlp.ipynb")) == \
        {"8. Exercise: an MLP for MNIST": grading.Points(4)}


SETUP_SAVED = ("Python 3.12.1 | TensorFlow 2.19.0 | Keras 3.10.0\nDevice: GPU | seed 42\n"
               "Mode: full | data: real\n")
SETUP_FRESH = ("Python 3.11.7 | TensorFlow 2.21.0 | Keras 3.15.0\nDevice: CPU only | seed 42\n"
               "Mode: full | data: real\n")


@pytest.mark.parametrize("saved,fresh,trained,same", [
    ("acc 0.8512\n", "acc 0.8514\n", False, True),
    ("acc 0.85\n", "acc 0.99\n", False, False),
    ("epoch 1 - 3s - 12ms/step\n", "epoch 1 - 9s - 40ms/step\n", False, True),
    ("a b\n", "a c\n", False, False),
    (SETUP_SAVED, SETUP_FRESH, False, True),                                   # versions and device
    ("Epoch 1/2\n1500/1500 - 3s - loss: 0.51 - accuracy: 0.82\nEpoch 2/2\n1500/1500 - 3s - loss: 0.38\n"
     "fit_cached: trained 'mlp' in 9.1 s; cached as mlp.json.\n",
     "fit_cached: replayed 'mlp' from the cache (2 epochs, trained in 9.1 s).\n", True, True),
    ("MNIST test accuracy 0.962\n", "MNIST test accuracy 0.951\n", True, True),  # a fresh training
    ("MNIST test accuracy 0.962\n", "MNIST test accuracy 0.701\n", True, False),
    ("model has 266610 parameters\n", "model has 266611 parameters\n", True, True),
    ("(60000, 28, 28)\n", "(59000, 28, 28)\n", False, False),
])
def test_output_comparison_tolerates_honest_noise_not_changes(saved, fresh, trained, same):
    cell = lambda text: {"outputs": [{"output_type": "stream", "name": "stdout", "text": text}]}  # noqa: E731
    assert grading.outputs_match(grading.comparable_text(cell(saved)), grading.comparable_text(cell(fresh)),
                                 trained) is same


def test_changes_outside_are_reported_never_reverted(tmp_path):
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "a.txt").write_text("old")
    before = grading.snapshot(folder)
    (folder / "a.txt").write_text("the instructor's edit")
    (folder / "b.txt").write_text("new")
    changes = grading.changes_since(folder, before, tmp_path / "kept")
    assert (folder / "a.txt").read_text() == "the instructor's edit" and (folder / "b.txt").exists()
    assert changes[0].startswith(f"modified {folder / 'a.txt'} (not undone; the previous version is in ")
    assert changes[1] == f"created {folder / 'b.txt'} (not undone)"
    assert (tmp_path / "kept" / (folder / "a.txt").relative_to("/")).read_text() == "old"


@needs_sandbox
def test_folders_under_tmp_stay_visible_in_the_sandbox(tmp_path):
    """A clone, its venv or the datasets under /tmp (common on CI machines) are not hidden by the private /tmp."""
    import subprocess

    base = Path("/tmp") / f"sandbox-visible-{tmp_path.name}"
    data, scratch = base / "data", base / "scratch"
    (scratch / ".tmp").mkdir(parents=True)
    data.mkdir()
    (data / "x.txt").write_text("seen from inside\n")
    try:
        argv = sandbox.bwrap_argv(scratch, Path(grading.__file__).parent, {"PATH": "/usr/bin:/bin"}, readonly=[data])
        proc = subprocess.run(argv + ["--", "sh", "-c", f"cat {data / 'x.txt'}; touch {data / 'y'} 2>/dev/null || echo read-only; ls /tmp"],
                              capture_output=True, text=True, timeout=60)
        assert proc.stdout.splitlines()[:2] == ["seen from inside", "read-only"], proc.stderr
        assert not (data / "y").exists()
    finally:
        import shutil

        shutil.rmtree(base)


@pytest.mark.slow
def test_real_notebook_02_correct_submission_gets_its_points(tmp_path):
    """One reduced-mode run of the student version of notebook 02 with the exercise filled in (~25 s)."""
    published = notebooks.read(ROOT / "notebooks" / "student" / "02_first_mlp.ipynb")
    solution = notebooks.read(ROOT / "notebooks" / "02_first_mlp.ipynb")
    nb = nbformat.reads(json.dumps(published), as_version=4)
    for cell, solved in zip(nb.cells, solution["cells"]):
        if cell.cell_type == "code" and "raise NotImplementedError()" in cell.source:
            cell.source = notebooks.source(solved).replace(student.BEGIN + "\n", "").replace(student.END + "\n", "")
    subs = tmp_path / "subs"
    subs.mkdir()
    nbformat.write(nb, subs / "alice_02_first_mlp.ipynb")
    [r] = grading.grade_folder(subs, tmp_path / "out", cell_timeout=300, total_timeout=600, reduced=True,
                               data="synthetic", jobs=1, sandboxed=SANDBOX_PROBLEM is None)
    assert (r.status, r.first_error, r.unanswered, r.checks_failed, r.changed_given) == ("ran", "", [], [], [])
    assert r.points == {"8. Exercise: an MLP for MNIST": (4.0, 4.0)}
    book = list(csv.DictReader((tmp_path / "out" / "gradebook.csv").open()))
    assert book == [{"student": "alice", "02_first_mlp: 8. Exercise: an MLP for MNIST (/4)": "4",
                     "autograded total": "4", "manual points to grade": "0"}]


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
