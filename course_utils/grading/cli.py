"""The command line of the grader: ``python -m course_utils.grading`` (``make grade``).

::

    make grade SUBMISSIONS=path/to/folder GRADE_ARGS="--reduced --jobs 2"
    make grade GRADE_ARGS="--manual build/grading/manual.csv"      # merge the grades given by hand
    python -m course_utils.grading path/to/folder --out build/grading --hidden-tests ~/hidden
    python -m course_utils.grading --self-check my_02_first_mlp.ipynb     # a student, before submitting
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .classrun import grade_folder, rewrite
from .grade import Settings, default_memory_mb, self_check
from .limits import Limits


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m course_utils.grading",
                                description="Grade a folder of submitted notebooks in sandboxes; write the report "
                                            "and the gradebook.")
    p.add_argument("submissions", type=Path, nargs="?", help="folder of submitted notebooks")
    p.add_argument("--self-check", type=Path, metavar="NOTEBOOK",
                   help="run the course's checks on your own notebook (students, before submitting)")
    p.add_argument("--out", type=Path, default=Path("build/grading"), help="where the report goes")
    p.add_argument("--reference", type=Path, default=None,
                   help="folder of published student versions (default notebooks/student)")
    p.add_argument("--hidden-tests", type=Path, default=None, metavar="DIR",
                   help="folder of hidden checks, DIR/<notebook>/*.py, kept outside the repository")
    p.add_argument("--cell-timeout", type=float, default=600, help="seconds per cell (default 600)")
    p.add_argument("--timeout", type=float, default=3600, help="seconds per notebook (default 3600)")
    p.add_argument("--jobs", type=int, default=None, help="sandboxes at once (default: the number of cores)")
    p.add_argument("--memory-mb", type=float, default=None,
                   help="memory limit per submission in MB (default: half the RAM shared by the jobs, at most 6144)")
    p.add_argument("--tasks", type=int, default=512, help="processes and threads per sandbox (default 512)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade without bubblewrap (macOS); every row is marked unsandboxed")
    p.add_argument("--reduced", action="store_true", help="run in reduced mode for a quick triage")
    p.add_argument("--data", choices=["auto", "real", "synthetic"], default=None,
                   help="COURSE_DATA for the runs (default: as in the environment)")
    p.add_argument("--resume", action="store_true",
                   help="grade only the files the journal of the last run (in --out) lacks, or that changed since")
    p.add_argument("--manual", type=Path, default=None, metavar="CSV",
                   help="merge the grades given by hand (a filled manual.csv) into the last run's report, "
                        "gradebook and feedback; runs nothing")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on the workers of a Dask cluster (tcp://host:8786) instead of this machine")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    settings = Settings(cell_timeout=args.cell_timeout, total_timeout=args.timeout, reduced=args.reduced,
                        data=args.data, sandboxed=not args.no_sandbox, hidden_dir=args.hidden_tests)
    if args.reference is not None:
        settings.reference_dir = args.reference
    if args.self_check:
        settings.limits = Limits(memory_mb=args.memory_mb or default_memory_mb(1), tasks=args.tasks)
        result = self_check(args.self_check, settings)
        return 0 if result.status == "ran" and all(p.status != "failed" for p in result.parts) else 1
    if args.manual is not None:
        problems = rewrite(args.out, args.manual)
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print(f"nothing merged: mend {args.manual} and run again", file=sys.stderr)
            return 2
        print(f"merged {args.manual} into {args.out}: report, gradebook and feedback written again")
        return 0
    if args.submissions is None or not args.submissions.is_dir():
        p.error(f"{args.submissions} is not a folder of submissions: pass the folder that holds the "
                "submitted notebooks (or --self-check NOTEBOOK for one notebook of your own)")
    if args.jobs is not None and args.jobs < 1:
        p.error(f"--jobs {args.jobs}: the number of sandboxes at once must be 1 or more")
    if args.hidden_tests is not None and not args.hidden_tests.is_dir():
        p.error(f"--hidden-tests {args.hidden_tests} is not a folder: pass the folder that holds "
                "<notebook>/*.py hidden checks")
    jobs = args.jobs or None
    settings.limits = Limits(memory_mb=args.memory_mb or default_memory_mb(jobs or 2), tasks=args.tasks)
    try:
        grade_folder(args.submissions, args.out, settings, jobs=jobs, resume=args.resume, scheduler=args.scheduler)
    except (RuntimeError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0
