"""The exercise contract at run time: each student version, its placeholders filled with minimal
answers written from the task text alone (tests/contract_answers/), runs to the end in reduced mode;
and once more with every bonus left out. The static half, and the helpers, are in test_contract.py.
"""

from __future__ import annotations

import os

import pytest
from test_contract import ROOT, STEMS, WITH_BONUS, _answers, _first_line, _student, answered

from course_utils import grading, student


def run_to_the_end(nb: dict) -> None:
    """Execute ``nb`` in notebooks/student/ in reduced mode; fail at its first error.

    The data mode and the training cache are the session's (under ``make test``: the real data
    where it is local, and the cache the notebook runs fill), so that the given cells' trainings
    that match the instructor version's replay instead of training again.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    env = {**os.environ, "COURSE_FAST": "1", "COURSE_DATA": os.environ.get("COURSE_DATA", "synthetic"),
           "MPLBACKEND": "Agg"}
    env.pop("COURSE_DATA_LOG", None)
    labels = grading.exercise_of_cells(nb)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks" / student.STUDENT_DIR)}})
    try:
        client.execute(env=env)
    except CellExecutionError as error:
        failed = [i for i, c in enumerate(nb.cells) if any(o.output_type == "error" for o in c.get("outputs", []))]
        i = failed[0] if failed else None
        where = "a cell" if i is None else f"cell {i + 1} ({labels[i]}) `{_first_line(nb.cells[i].source)}`"
        raise AssertionError(f"{where} fails: {error.ename}: {error.evalue}") from None


# Each run is long enough to be a unit of work of its own under `make test` (conftest.py, LONG_TEST):
# the two workers share them out, longest first, with the notebooks.
@pytest.mark.parametrize("stem", STEMS)
def test_student_version_answered_from_the_task_text_runs_to_the_end(stem):
    run_to_the_end(answered(_student(stem), _answers(stem)))


@pytest.mark.parametrize("stem", WITH_BONUS)
def test_student_version_without_the_bonus_runs_to_the_end(stem):
    run_to_the_end(answered(_student(stem), _answers(stem), bonus=False))
