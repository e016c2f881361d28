"""student: solution blocks and model answers removed, badges pointing at the student file, in sync."""

from pathlib import Path

import nbformat
import pytest

from course_utils import notebooks, student

ROOT = Path(__file__).resolve().parent.parent
STUDENT_NOTEBOOKS = sorted((ROOT / "notebooks" / "student").glob("*.ipynb"))


def test_strip_solutions_keeps_given_code_and_indentation():
    code = "x = 1\nif x:\n    ### BEGIN SOLUTION\n    y = 2\n    z = 3\n    ### END SOLUTION\nprint(x)"
    assert student.strip_solutions(code) == \
        "x = 1\nif x:\n    # YOUR CODE HERE\n    raise NotImplementedError()\nprint(x)"


@pytest.mark.parametrize("code,problem", [("### BEGIN SOLUTION\nx = 1", "never closed"),
                                          ("x = 1\n### END SOLUTION", "without"),
                                          ("### BEGIN SOLUTION\n### BEGIN SOLUTION", "nested")])
def test_broken_markers_are_refused(code, problem):
    with pytest.raises(ValueError, match=problem):
        student.strip_solutions(code)


def test_student_version_of_a_small_notebook(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project.urls]\nRepository = "https://github.com/o/r"\n')
    source = tmp_path / "notebooks" / "09_demo.ipynb"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                                      "(https://colab.research.google.com/github/o/r/blob/main/notebooks/09_demo.ipynb)"),
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION\nprint(answer)",
                                  outputs=[nbformat.v4.new_output("stream", text="42\n")], execution_count=1),
        nbformat.v4.new_markdown_cell("**Answer:** it is 42, as the cell prints."),
    ])
    source.parent.mkdir()
    nbformat.write(nb, source)
    [written] = student.generate([source], root=tmp_path)
    assert written == tmp_path / "notebooks" / "student" / "09_demo.ipynb"
    out = notebooks.read(written)
    cells = [notebooks.source(c) for c in out["cells"]]
    assert cells[0].endswith("(https://colab.research.google.com/github/o/r/blob/main/notebooks/student/09_demo.ipynb)")
    assert cells[1] == "# YOUR CODE HERE\nraise NotImplementedError()\nprint(answer)"
    assert cells[2] == student.ANSWER_PROMPT
    assert out["cells"][1]["outputs"] == [] and out["cells"][1]["execution_count"] is None
    assert "answer = 42" not in written.with_suffix(".py").read_text()
    assert "raise NotImplementedError()" in written.with_suffix(".py").read_text()
    assert student.first_exercise_cell(out) == 1
    assert notebooks.source(notebooks.read(source)["cells"][1]).startswith("### BEGIN")   # source untouched


def test_committed_student_versions_are_up_to_date():
    assert student.out_of_date(ROOT) == []


@pytest.mark.parametrize("path", STUDENT_NOTEBOOKS, ids=lambda p: p.name)
def test_student_versions_are_tidy(path):
    nb = notebooks.read(path)
    assert notebooks.badge_target(nb) == notebooks.colab_url(path, ROOT)
    assert notebooks.source(notebooks.code_cells(nb)[0]).strip() == notebooks.first_cell(ROOT)
    assert notebooks.pair_problems(path) == []
    assert not any(c.get("outputs") for c in notebooks.code_cells(nb))
    lines = {line.strip() for line in path.with_suffix(".py").read_text().splitlines()}
    assert student.BEGIN not in lines and student.END not in lines
