"""grading: sample submissions built from a student version each come out of the report as what they are."""

import csv
import json
from pathlib import Path

import nbformat
import pytest

from course_utils import grading, notebooks, student

SOLUTION_CELLS = [
    ("markdown", "# Demo assignment"),
    ("code", "import math\nbase = 6"),
    ("markdown", "## Exercise 1: multiply (2 points)"),
    ("code", "### BEGIN SOLUTION\nproduct = base * 7\n### END SOLUTION\nprint(f'product = {product}')"),
    ("markdown", "**Answer:** the product is printed above."),
    ("markdown", "## Exercise 2: a square root (1 point)"),
    ("code", "### BEGIN SOLUTION\nroot = math.sqrt(product)\n### END SOLUTION\nprint(f'root = {root:.4f}')"),
    ("code", "print('done')"),
]


def _notebook(cells):
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb = nbformat.v4.new_notebook(cells=[make[kind](src) for kind, src in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Publish a student version, build six submissions from it, grade them all once."""
    base = tmp_path_factory.mktemp("grading")
    course = base / "course"
    (course / "notebooks").mkdir(parents=True)
    solution = course / "notebooks" / "07_demo.ipynb"
    nbformat.write(_notebook(SOLUTION_CELLS), solution)
    reference = student.student_path(solution)
    student.write_notebook_pair(student.make_student_version(notebooks.read(solution), reference, course),
                                reference)
    published = notebooks.read(reference)

    def submission(name, edit=None, execute=False, doctor=None):
        nb = nbformat.reads(json.dumps(published), as_version=4)
        # the student fills the exercises back in
        for cell, (kind, src) in zip(nb.cells, SOLUTION_CELLS):
            if kind == "code" and "raise NotImplementedError()" in cell.source:
                cell.source = src.replace(student.BEGIN + "\n", "").replace(student.END + "\n", "")
        if edit:
            edit(nb)
        if execute:
            from nbclient import NotebookClient

            NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True).execute()
        if doctor:
            doctor(nb)
        nbformat.write(nb, subs / f"{name}_07_demo.ipynb")

    subs = base / "submissions"
    subs.mkdir()
    submission("alice", execute=True)                                            # correct, with outputs

    def raises(nb):
        nb.cells[6].source = "root = math.sqrt(-product)\nprint(root)"
    submission("bob", raises)

    def doctor(nb):
        out = nb.cells[3].outputs[0]
        out["text"] = out["text"].replace("42", "43")
    submission("carol", execute=True, doctor=doctor)

    def loop(nb):
        nb.cells[6].source = "while True:\n    pass"
    submission("dave", loop)

    def edit_given(nb):
        nb.cells[1].source = "import math\nbase = 7"
    submission("erin", edit_given)

    def unanswered(nb):
        nb.cells[6].source = "# YOUR CODE HERE\nraise NotImplementedError()"
    submission("frank", unanswered)

    def vandal(nb):
        nb.cells[1].source += f"\nopen({str(course / 'notebooks' / '07_demo.ipynb')!r}, 'w').write('gone')"
    submission("gina", vandal)

    (subs / "henry_07_demo.ipynb").write_text("this is not json")

    def crash(nb):
        nb.cells[6].source = "import os\nos._exit(1)"
    submission("ivan", crash)

    before = solution.read_bytes()
    results = grading.grade_folder(subs, base / "report", reference_dir=reference.parent, cell_timeout=5,
                                   total_timeout=60, protect=[course, subs])
    assert solution.read_bytes() == before, "the course file was not restored"
    return {r.name.split("_")[0]: r for r in results}, base / "report"


def test_correct_submission_passes(graded):
    r = graded[0]["alice"]
    assert r.status == "ok" and r.first_error == "" and r.unanswered == []
    assert r.changed_given == [] and r.doctored == [] and r.outside_writes == []
    assert r.seconds > 0


def test_raising_submission_is_reported_with_cell_and_exercise(graded):
    r = graded[0]["bob"]
    assert r.status == "error"
    assert r.first_error.startswith("cell 7 (Exercise 2): ValueError: math domain error")
    rows = {row.exercise: row for row in r.rows}
    assert rows["Exercise 1"].status == "ok" and rows["Exercise 2"].status == "error"


def test_doctored_output_is_caught(graded):
    r = graded[0]["carol"]
    assert r.status == "ok"
    assert len(r.doctored) == 1 and r.doctored[0].startswith("cell 4 (Exercise 1): saved output `product = 43`")


def test_endless_loop_hits_the_cell_time_limit(graded):
    r = graded[0]["dave"]
    assert r.status == "cell time limit" and r.first_error == "cell 7 (Exercise 2): cell time limit"
    rows = {row.exercise: row.status for row in r.rows}
    assert rows["Exercise 1"] == "ok" and rows["Exercise 2"] == "cell time limit"
    assert r.seconds < 40


def test_edited_given_cell_is_reported(graded):
    r = graded[0]["erin"]
    assert r.changed_given == ["cell 2 ((given)): `import math`"]
    assert [(row.exercise, row.status) for row in r.rows if row.status == "changed given cell"] == \
        [("(given)", "changed given cell")]


def test_unanswered_exercise_is_reported(graded):
    r = graded[0]["frank"]
    assert r.status == "unanswered" and r.unanswered == ["Exercise 2"] and r.first_error == ""


def test_write_to_course_files_is_reported_and_undone(graded):
    r = graded[0]["gina"]
    assert len(r.outside_writes) == 1 and r.outside_writes[0].startswith("modified ")
    assert r.outside_writes[0].endswith("07_demo.ipynb")


def test_file_that_is_not_a_notebook_is_reported(graded):
    r = graded[0]["henry"]
    assert r.status == "not a notebook" and "not a readable notebook" in r.rows[0].detail


def test_dead_kernel_is_reported(graded):
    r = graded[0]["ivan"]
    assert r.status == "kernel died" and r.first_error == "cell 7 (Exercise 2): kernel died"


def test_report_files_list_every_submission(graded):
    report = graded[1]
    rows = list(csv.DictReader((report / "report.csv").open()))
    assert {row["notebook"] for row in rows} == {f"{n}_07_demo.ipynb" for n in graded[0]} | {"henry_07_demo.ipynb"}
    assert [(row["exercise"], row["status"]) for row in rows if row["notebook"].startswith("carol")][-1] == \
        ("Exercise 1", "output not reproduced")
    text = (report / "report.md").read_text()
    assert "| dave_07_demo.ipynb | cell time limit |" in text


@pytest.mark.parametrize("saved,fresh,same", [("acc 0.8512\n", "acc 0.8514\n", True),
                                               ("acc 0.85\n", "acc 0.99\n", False),
                                               ("epoch 1 - 3s - 12ms/step\n", "epoch 1 - 9s - 40ms/step\n", True),
                                               ("a b\n", "a c\n", False)])
def test_output_comparison_tolerates_noise_not_changes(saved, fresh, same):
    cell = lambda text: {"outputs": [{"output_type": "stream", "name": "stdout", "text": text}]}  # noqa: E731
    assert grading.outputs_match(grading.comparable_text(cell(saved)), grading.comparable_text(cell(fresh))) is same
