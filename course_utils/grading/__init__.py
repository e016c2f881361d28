"""Grading a class: submissions re-executed in sandboxes, points only from checks outside them.

The trust model: a submission controls everything in its own process
(IPython, NumPy, Keras, ``assert``, what it prints, the files it writes), and
the grader may be root. So a point is earned only by a check that runs in a
process the student's code never ran in, on data that left the student's
sandbox, recomputing what it judges itself. One module per concern:

=============  ======================================================================
module         holds
=============  ======================================================================
``spec``       what a notebook says: its exercises, the points of each part (nbgrader
               cell metadata), the objects each check reads
``intake``     which files are gradable, and what each is a submission of
``sandbox``    the bubblewrap sandboxes (unprivileged, no capability, no way out)
``launch``     the few lines that start a sandbox: cgroup, limits, uid, then exec
``limits``     limits on memory, tasks, output, file size, CPU, and what was used
``kernel``     running a submission: its kernel driven cell by cell from outside
``exports``    what a submission hands over, written as data, read back safely
``checker``    the checks outside the student's process, which award the points
``checks/``    the course's checks, one file per autograded part
``judge``      unanswered exercises, changed given cells, outputs not reproduced,
               fingerprints of the course files
``capture``    what is kept of a kernel's output, bounded
``cgroups``    the cgroup (v1 or v2) of one sandbox
``report``     the report (markdown, CSV) and the gradebook, every string escaped
``verdict``    the points from the checks' results, and what the run shows besides
``grade``      one file, from intake to verdict
``classrun``   a class: jobs at a time, the journal, the outputs at the end
``journal``    a JSON line per finished submission: ``--resume`` and ``--manual`` read it
``feedback``   a page per submission for its student
``manual``     ``manual.csv``: the grades given by hand, checked and merged
``cluster``    grading on the workers of a Dask cluster (``--scheduler``)
``nbgrader``   the course as an nbgrader course folder (``make nbgrader``)
``cli``        the command line (``python -m course_utils.grading``, ``make grade``)
=============  ======================================================================

``import course_utils`` (in a notebook) loads none of this.
"""

from .classrun import grade_folder, rewrite  # noqa: F401
from .grade import Settings, grade_file, self_check  # noqa: F401
from .spec import exercise_of_cells  # noqa: F401
