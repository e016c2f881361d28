"""Checking outside the student's process: the checks that award points.

After a submission's kernel has finished, what it handed over (:mod:`.exports`)
is judged by a fresh Python process in a fresh sandbox that never ran any of
the student's code: it reads the files back as data, runs the checks of each
autograded part and reports, per ``grade_id``, passed or the reason.

A part's checks are the course's, ``course_utils/grading/checks/<notebook>/<grade_id>.py``,
plus the grader's hidden ones, ``--hidden-tests DIR`` as ``DIR/<notebook>/*.py``
whose first line names the part (``# grade_id: mnist_mlp``); hidden checks
are read by the grader and reach only this process, never the student's
kernel. A check is Python code that runs with the part's objects (its
``course.uses``) as global names and fails by raising (an ``assert`` with a
message); it recomputes what it judges from the grader's own data.
Used by :mod:`.grade`; the process itself is ``python -m course_utils.grading.checker JOB``::

    >>> results = run_checks(handover, checks, workdir, limits, env)
    >>> results["mnist_mlp"]
    (True, '')
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import sandbox
from .limits import Enforcement, Limits, own_tasks

CHECKS_DIR = Path(__file__).resolve().parent / "checks"
HIDDEN_HEADER = re.compile(r"#\s*grade_id:\s*(\S+)\s*$")
MAX_RESULT = 1 << 20


@dataclass
class Check:
    """The checks of one autograded part: the objects they read and their code."""

    grade_id: str
    uses: dict[str, tuple[str, str]]
    codes: list[tuple[str, str]]        # (where it comes from, code)


def course_checks(stem: str, grade_id: str, checks_dir: Path | None = None) -> list[tuple[str, str]]:
    """Return [(label, code)] of the course's check for one part (none: the part cannot be autograded)."""
    path = (checks_dir or CHECKS_DIR) / stem / f"{grade_id}.py"
    return [(f"check {grade_id}", path.read_text(encoding="utf-8"))] if path.is_file() else []


def hidden_checks(folder: Path | None, stem: str) -> dict[str, list[tuple[str, str]]]:
    """Return {grade_id: [(label, code)]} of the grader's hidden checks for notebook ``stem``.

    They live in ``folder/<stem>/*.py``, outside the repository; the first
    line of each names its part (``# grade_id: mnist_mlp``).
    """
    found: dict[str, list[tuple[str, str]]] = {}
    if folder is None:
        return found
    for path in sorted((Path(folder) / stem).glob("*.py")):
        code = path.read_text(encoding="utf-8")
        first = code.splitlines()[0] if code.strip() else ""
        match = HIDDEN_HEADER.match(first.strip())
        if not match:
            raise ValueError(f"hidden check {path} does not name its part: start it with a line "
                             f"'# grade_id: <grade_id>' (for example '# grade_id: mnist_mlp').")
        found.setdefault(match.group(1), []).append((f"hidden check {path.name}", code))
    return found


def _message(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:300]


def check_all(checks: list[Check], handover: Path) -> dict[str, dict]:
    """Run every check on the files in ``handover``; return {grade_id: {"passed": ..., "message": ...}}.

    This is the checker process's work (also what ``--no-sandbox`` runs, in a
    process of its own).
    """
    from .exports import load_all

    results = {}
    for check in checks:
        objects, problems = load_all(handover, check.uses)
        if problems:
            results[check.grade_id] = {"passed": False, "message": "; ".join(problems.values())}
            continue
        failed = ""
        for label, code in check.codes:
            namespace = {"__name__": "__check__", **objects}
            try:
                exec(compile(code, label, "exec"), namespace)   # noqa: S102 - the course's own check code
            except BaseException as exc:  # noqa: BLE001 - a failed check is a result, not a crash
                failed = f"{label}: {_message(exc)}"
                break
        results[check.grade_id] = {"passed": not failed, "message": failed}
    return results


def main(argv: list[str]) -> int:
    """The checker process: read the job, run the checks, print the results as one JSON line."""
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    out = os.dup(1)
    os.dup2(2, 1)            # whatever the loaders and the checks print goes to stderr, not into the results
    checks = [Check(c["grade_id"], {k: tuple(v) for k, v in c["uses"].items()}, [tuple(x) for x in c["codes"]])
              for c in job["checks"]]
    results = check_all(checks, Path(job["handover"]))
    os.write(out, (json.dumps({"results": results}) + "\n").encode())
    return 0


def run_checks(handover: Path | None, checks: list[Check], workdir: Path, limits: Limits, env: dict[str, str],
               sandboxed: bool = True, slot: int = 0, readonly: list[Path] = (),
               timeout: float = 600) -> tuple[dict[str, tuple[bool, str]], dict]:
    """Run ``checks`` on ``handover`` in a sandbox of their own; return ({grade_id: (passed, why)}, usage).

    Nothing handed over (the kernel died first) fails every check with that reason.
    """
    if not checks:
        return {}, {}
    if handover is None or not handover.is_dir():
        return {c.grade_id: (False, "nothing was handed over: the notebook did not run to its end")
                for c in checks}, {}
    workdir.mkdir(parents=True, mode=0o700)
    shared = workdir / "shared"
    shared.mkdir(mode=0o700)
    uid = sandbox.sandbox_uid(slot) if sandboxed else None
    if uid is not None:                  # the checker's uid reads its job and the hand-over, writes only `shared`
        os.chown(shared, uid, uid)
        os.chmod(workdir, 0o755)
        _readable(handover)
    job = workdir / "job.json"
    job.write_text(json.dumps({"handover": str(handover), "checks": [asdict(c) for c in checks]}))
    os.chmod(job, 0o644)
    program = [sys.executable, "-m", "course_utils.grading.checker", str(job)]
    start = time.monotonic()
    with Enforcement(limits, workdir, shared, uid, own_tasks() if uid is None else 0) as box:
        if sandboxed:
            mounts = sandbox.Mounts(shared, [handover, workdir, *readonly], limits.home_mb, limits.tmp_mb,
                                    limits.shm_mb, hide_grader=False)
            argv = box.launcher(sandbox.bwrap_argv(mounts, env) + ["--"] + program)
        else:
            argv = box.launcher(program)
        log = open(workdir / "checker.log", "wb")   # what the loaders and checks print (the grader's code only)
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, cwd=workdir,
                                env=env if not sandboxed else {"PATH": env["PATH"]}, start_new_session=True)
        box.root_pid = proc.pid
        try:
            raw, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            box.cgroup.kill_all() if box.cgroup else proc.kill()
            proc.kill()
            proc.wait()
            raw = b""
        log.close()
    box.finish()
    usage = box.usage()
    usage["seconds"] = round(time.monotonic() - start, 1)
    try:
        results = json.loads(raw[:MAX_RESULT].decode())["results"]
        return {gid: (bool(r["passed"]), str(r["message"])[:400]) for gid, r in results.items()}, usage
    except (ValueError, KeyError, TypeError, AttributeError):
        why = "; ".join(usage["limits_hit"]) or (f"exit {proc.returncode}: {_last_line(workdir / 'checker.log')}"
                                                 if proc.returncode else "no result")
        return {c.grade_id: (False, f"the checks could not run ({why})") for c in checks}, usage


def _last_line(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - 4000))
            lines = fh.read().decode(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return (lines or [""])[-1][:200]


def _readable(folder: Path) -> None:
    """Let the checker's unprivileged uid read the copied hand-over files (owned by the grader)."""
    os.chmod(folder, 0o755)
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
