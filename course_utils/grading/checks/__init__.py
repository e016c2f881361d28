"""The course's checks: one file per autograded part, ``<notebook>/<grade_id>.py``.

Each runs in the checker's sandbox (:mod:`course_utils.grading.checker`) with
the part's handed-over objects as global names (the part's ``course.uses``),
recomputes what it judges from the grader's own data, and fails by raising
(an ``assert`` whose message the student sees in the feedback). The helpers
they share are in :mod:`.helpers`. A test checks that every autograded part
of the course has its check, and that the solutions pass them.
"""
