"""The contract run of the miniproject (the last exercise notebook): its student version, answered
from the task text alone, runs to the end in reduced mode. In a file of its own so that it and the
other contract runs (test_contract_runs.py) can go to the two workers of `make test`.
"""

from test_contract import _answers, _student, answered
from test_contract_runs import LONGEST, run_to_the_end


def test_miniproject_answered_from_the_task_text_runs_to_the_end():
    assert LONGEST == "05_miniproject_cnn"
    run_to_the_end(answered(_student(LONGEST), _answers(LONGEST)))
