"""Grade a class: re-execute submitted notebooks in a sandbox, award points, write a gradebook.

For each file in a submissions folder, :func:`grade_folder`:

* re-executes the notebook in a fresh kernel inside a sandbox of its own
  (:mod:`course_utils.sandbox`: bubblewrap on Linux; the system, the
  environment and the course package read-only, solutions and the other
  submissions invisible, no network, no process left behind, a memory limit),
  with a per-cell and a per-notebook time limit. The kernel is driven from
  outside the sandbox, so the verdict (what ran, what failed) is the
  grader's, never a file the submission could write;
* reports per exercise whether its cells ran, whether it was answered (a
  solution block left empty or only ``pass`` is unanswered) and whether its
  autograded checks passed: the given check cells (those with an ``assert``)
  and, optionally, hidden check files the grader keeps outside the
  repository (``--hidden-tests DIR``);
* awards points: an exercise's heading gives its points ("(10 points)",
  "(8 + 2 points)" for 8 and 2 bonus); the tasks answered in writing (those
  that ask a question, or "explain"/"report") are listed for manual grading
  with their "(k pts)", and the rest of the exercise's points are earned when
  all its checks pass;
* compares the given cells with the published student version and reports
  those the student changed; compares the saved outputs with the re-executed
  ones where that is meaningful (same mode and data, deterministic text) and
  reports the ones the code does not reproduce;
* fingerprints the course files and the submissions folder around the run
  and reports any change, never reverting it (the previous version is saved
  beside the report).

It writes ``report.md``, ``report.csv`` (one row per notebook and exercise)
and ``gradebook.csv`` (one row per student, one column per exercise)::

    make grade SUBMISSIONS=path/to/folder GRADE_ARGS="--reduced --jobs 2"
    python -m course_utils.grading path/to/folder --out build/grading --hidden-tests ~/hidden
    python -m course_utils.grading --self-check my_02_first_mlp.ipynb     # a student, before submitting
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import notebooks, sandbox
from .config import repo_root
from .student import ANSWER, ANSWER_PROMPT, STUDENT_DIR

EXERCISE = re.compile(r"^#+\s*(.*\bExercise\b.*?)\s*$", re.IGNORECASE | re.MULTILINE)
NUMBERED = re.compile(r"\bExercise\s+(\d+[a-z]?)\b", re.IGNORECASE)
HEADING_POINTS = re.compile(r"\((\d+)(?:\s*\+\s*(\d+))?\s*points?\)", re.IGNORECASE)
TASK = re.compile(r"^\s*(?:#\s*)?(\d+)\.\s+(.*)$")
TASK_POINTS = re.compile(r"\((\d+)\s*pts?\)", re.IGNORECASE)
WRITTEN = re.compile(r"\?|\b(?:explain|report|answer|say|discuss|describe)\b", re.IGNORECASE)
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
TIMING = re.compile(r"[-+]?\d+(?:\.\d+)?\s*(?:ms|us|µs|s|sec|seconds|min)(?:/step|/epoch)?\b")
# lines that differ between honest runs: the set-up cell's versions and device, fit_cached's
# "trained"/"replayed" notes, Keras's per-epoch lines
RUN_DEPENDENT = re.compile(r"^(?:Python \S+ \| TensorFlow|Device: |Mode: |fit_cached: |Epoch \d+/\d+|\d+/\d+ - )")
METRIC_WORDS = re.compile(r"loss|acc|val_|auc|f1|precision|recall|mae|mse|score", re.IGNORECASE)
TRAINS = re.compile(r"\.fit\(|fit_cached\(|\btrain\w*\(|\.evaluate\(|\.predict\(|\.search\(")
MODE_LINE = re.compile(r"^Mode: (\w+).*\| data: (\S+)", re.MULTILINE)
SKIP_DIRS = {".git", ".venv", ".course_cache", "build", "__pycache__", ".pytest_cache", ".ipynb_checkpoints"}
STUB_LINES = {"# YOUR CODE HERE", "raise NotImplementedError()"}
EMPTY_LINES = {"pass", "...", "None"}
GIVEN = "(given)"
NOTEBOOK = "(notebook)"
HIDDEN_TAG = "hidden-test"


# --------------------------------------------------------------------------
# what a grader reads
# --------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the report: a notebook and an exercise (or the whole notebook)."""

    notebook: str
    exercise: str
    status: str
    detail: str = ""
    seconds: float | None = None
    ran: str = ""
    checks: str = ""
    points: float | None = None       # autograded points available
    earned: float | None = None       # autograded points earned
    manual: float | None = None       # points left to manual grading
    sandboxed: bool = True


@dataclass
class Result:
    """Everything found about one submitted file."""

    name: str
    student: str = ""
    notebook: str = ""                # the published notebook it is a submission of
    status: str = "ran"               # how the run went: ran, error, a time or memory limit, ...
    seconds: float = 0.0
    sandboxed: bool = True
    rows: list[Row] = field(default_factory=list)
    first_error: str = ""
    unanswered: list[str] = field(default_factory=list)
    checks_failed: list[str] = field(default_factory=list)
    changed_given: list[str] = field(default_factory=list)
    doctored: list[str] = field(default_factory=list)
    outside_writes: list[str] = field(default_factory=list)
    points: dict[str, tuple[float, float]] = field(default_factory=dict)  # exercise: (earned, available)
    outputs_note: str = ""


# --------------------------------------------------------------------------
# exercises, points and given cells
# --------------------------------------------------------------------------


def exercise_label(heading: str) -> str:
    """Return the label of an exercise heading: "Exercise 3", or the heading without its points."""
    number = NUMBERED.search(heading)
    if number:
        return f"Exercise {number.group(1)}"
    return HEADING_POINTS.sub("", heading).strip()


def exercise_of_cells(nb: dict) -> list[str]:
    """Return, for each cell, the exercise it belongs to.

    That is the last heading above it that names an exercise: "Exercise 3"
    for "## Exercise 3: ... (4 points)", the heading's text otherwise
    ("8. Exercise: an MLP for MNIST"); cells before any are "(given)".
    """
    current = GIVEN
    labels = []
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown":
            match = EXERCISE.search(notebooks.source(cell))
            if match:
                current = exercise_label(match.group(1))
        labels.append(current)
    return labels


@dataclass
class Points:
    """An exercise's points, read from its heading and its tasks."""

    total: int | None     # the heading's regular points (None: the heading gives none)
    bonus: int = 0
    manual: int = 0       # regular points of the tasks answered in writing
    tasks: list[tuple[str, int, bool]] = field(default_factory=list)  # (task, points, written)

    @property
    def auto(self) -> int:
        """Points the autograded checks can award."""
        return max(0, (self.total or 0) - self.manual)


def exercise_points(nb: dict) -> dict[str, Points]:
    """Return {exercise label: :class:`Points`} from the headings and numbered tasks of ``nb``.

    "(10 points)" in the heading is the total; "(8 + 2 points)" is 8 points
    and 2 bonus. A numbered task with "(k pts)" that asks a question or says
    "explain", "report", "answer", "say", "discuss" or "describe" is graded
    by hand; a task starting with "BONUS" counts towards the bonus.
    """
    found: dict[str, Points] = {}
    labels = exercise_of_cells(nb)
    for cell, label in zip(nb["cells"], labels):
        if cell.get("cell_type") != "markdown" or label == GIVEN:
            continue
        text = notebooks.source(cell)
        heading = EXERCISE.search(text)
        if heading and exercise_label(heading.group(1)) == label and label not in found:
            match = HEADING_POINTS.search(heading.group(1))
            found[label] = Points(int(match.group(1)) if match else None, int(match.group(2) or 0) if match else 0)
        points = found.setdefault(label, Points(None))
        tasks: list[list[str]] = []
        for line in text.splitlines():
            item = TASK.match(line)
            if item:
                tasks.append([item.group(2)])
            elif tasks and line.strip():
                tasks[-1].append(line.strip())
            elif tasks:
                tasks.append([])            # a blank line ends the list item
        for words in (" ".join(t) for t in tasks if t):
            given = TASK_POINTS.findall(words)
            if not given:
                continue
            value = sum(map(int, given))
            written = bool(WRITTEN.search(TASK_POINTS.sub("", words)))
            points.tasks.append((words[:70], value, written))
            if written and not words.lstrip().upper().startswith("BONUS"):
                points.manual += value
    return found


def _normal(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def _code_lines(code: str) -> list[str]:
    return [ln.strip() for ln in code.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def find_reference(name: str, reference_dir: Path) -> Path | None:
    """Return the published student version whose name the submission's file name contains."""
    candidates = sorted(reference_dir.glob("*.ipynb"), key=lambda p: -len(p.stem))
    for path in candidates:
        if path.stem in Path(name).stem:
            return path
    return None


def student_name(name: str, reference: Path | None) -> str:
    """Return the student part of a submission's file name ("alice" for alice_05_miniproject_cnn.ipynb)."""
    stem = Path(name).stem
    if reference is not None:
        stem = stem.replace(reference.stem, "")
    return stem.strip("_- .") or Path(name).stem


def changed_given_cells(submission: dict, reference: dict) -> list[tuple[str, str]]:
    """Return (exercise, description) for each given code cell of ``reference`` missing from ``submission``."""
    have = {_normal(notebooks.source(c)) for c in notebooks.code_cells(submission)}
    labels = exercise_of_cells(reference)
    missing = []
    for i, cell in enumerate(reference["cells"]):
        if cell.get("cell_type") != "code":
            continue
        code = notebooks.source(cell)
        if "raise NotImplementedError()" in code or not code.strip():
            continue
        if _normal(code) not in have:
            first_line = code.strip().splitlines()[0][:60]
            missing.append((labels[i], f"cell {i + 1} ({labels[i]}): `{first_line}`"))
    return missing


def is_check(code: str) -> bool:
    """Return True for a given cell that checks an answer (it asserts something)."""
    return re.search(r"^\s*assert\b", code, re.MULTILINE) is not None and "raise NotImplementedError()" not in code


def unanswered_exercises(submission: dict, reference: dict | None) -> list[str]:
    """Return the exercises whose solution blocks are left as given, empty, or only ``pass``.

    The student's code of an exercise is what its code cells hold beyond the
    lines of the published version; an exercise with none of it (or only
    ``pass`` / ``...``) is unanswered.
    """
    sub_labels = exercise_of_cells(submission)
    ref_lines: dict[str, Counter] = {}
    stubbed: set[str] = set()
    if reference is not None:
        for cell, label in zip(reference["cells"], exercise_of_cells(reference)):
            if cell.get("cell_type") == "code":
                code = notebooks.source(cell)
                ref_lines.setdefault(label, Counter()).update(_code_lines(code))
                if "raise NotImplementedError()" in code:
                    stubbed.add(label)
    else:
        for cell, label in zip(submission["cells"], sub_labels):
            if cell.get("cell_type") == "code" and "raise NotImplementedError()" in notebooks.source(cell):
                stubbed.add(label)
    found = []
    for label in dict.fromkeys(sub_labels):
        if label == GIVEN or label not in stubbed:
            continue
        have = Counter()
        for cell, lab in zip(submission["cells"], sub_labels):
            if cell.get("cell_type") == "code" and lab == label:
                have.update(_code_lines(notebooks.source(cell)))
        own = have - ref_lines.get(label, Counter())
        if not [ln for ln in own.elements() if ln not in EMPTY_LINES | STUB_LINES]:
            found.append(label)
    return found


# --------------------------------------------------------------------------
# outputs: what must be reproduced
# --------------------------------------------------------------------------


def comparable_text(cell: dict) -> str:
    """Return a code cell's reproducible text output.

    stdout and plain-text results, without stderr, images, colours, object
    addresses, timings, and the lines that differ between honest runs (the
    set-up cell's versions and device, ``fit_cached``'s notes, per-epoch lines).
    """
    parts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") == "stdout":
            parts.append(notebooks.source({"source": out.get("text", "")}))
        elif kind in ("execute_result", "display_data"):
            data = out.get("data", {})
            if any(k.startswith("image/") for k in data) or "application/vnd.plotly.v1+json" in data:
                continue
            if "text/plain" in data:
                parts.append(notebooks.source({"source": data["text/plain"]}))
    text = "".join(parts)
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)        # colours
    text = re.sub(r" at 0x[0-9a-f]+", "", text)         # object addresses
    text = "\n".join(ln for ln in text.splitlines() if not RUN_DEPENDENT.match(ln.strip()))
    return TIMING.sub("<time>", text)


def numbers_match(a: str, b: str, rel: float = 1e-2, abs_tol: float = 1e-3) -> bool:
    """Return True when two numbers agree within the tolerance."""
    x, y = float(a), float(b)
    if math.isnan(x) and math.isnan(y):
        return True
    return math.isclose(x, y, rel_tol=rel, abs_tol=abs_tol)


def outputs_match(saved: str, fresh: str, trained: bool = False) -> bool:
    """Compare two output texts: the words exactly, the numbers within a tolerance.

    Numbers agree within 1%; after a training (``trained``), metrics may
    differ run to run with the thread count and the machine, so a metric
    line's numbers agree within 0.05 (or 10%).
    """
    saved_lines, fresh_lines = saved.splitlines(), fresh.splitlines()
    if [NUMBER.sub("#", ln).split() for ln in saved_lines] != [NUMBER.sub("#", ln).split() for ln in fresh_lines]:
        return False
    for old, new in zip(saved_lines, fresh_lines):
        loose = trained and METRIC_WORDS.search(old)
        rel, abs_tol = (0.1, 0.05) if loose else (1e-2, 1e-3)
        if not all(numbers_match(a, b, rel, abs_tol) for a, b in zip(NUMBER.findall(old), NUMBER.findall(new))):
            return False
    return True


def run_mode(nb: dict) -> tuple[str, str] | None:
    """Return (mode, data) as the set-up cell printed them in ``nb``'s saved outputs, or None."""
    for cell in notebooks.code_cells(nb):
        for out in cell.get("outputs", []):
            match = MODE_LINE.search(notebooks.source({"source": out.get("text", "")}))
            if match:
                return match.group(1), match.group(2)
    return None


def doctored_outputs(submitted: dict, executed: dict, ran: int) -> list[tuple[str, str]]:
    """Return (exercise, description) for each cell (among the first ``ran``) whose saved output
    the re-execution does not reproduce."""
    labels = exercise_of_cells(submitted)
    found = []
    for i, (old, new) in enumerate(zip(submitted["cells"], executed["cells"])):
        if i >= ran or old.get("cell_type") != "code":
            continue
        saved = comparable_text(old)
        if not saved.strip():
            continue
        if not outputs_match(saved, comparable_text(new), bool(TRAINS.search(notebooks.source(old)))):
            first = next((ln for ln in saved.splitlines() if ln.strip()), "")[:60]
            found.append((labels[i], f"cell {i + 1} ({labels[i]}): saved output `{first}` is not reproduced"))
    return found


# --------------------------------------------------------------------------
# fingerprints of what a submission must not touch
# --------------------------------------------------------------------------


def snapshot(folder: Path, skip: set[Path] = frozenset()) -> dict[Path, bytes]:
    """Return {path: content} for every file below ``folder``, except caches and ``skip``."""
    files = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and (here / d).resolve() not in skip]
        for name in filenames:
            path = here / name
            try:
                files[path] = path.read_bytes()
            except OSError:
                continue
    return files


def changes_since(folder: Path, before: dict[Path, bytes], keep: Path | None,
                  skip: set[Path] = frozenset()) -> list[str]:
    """Return what changed below ``folder`` since ``before``, reverting nothing.

    The previous content of a modified or deleted file is saved under
    ``keep`` (when given), so that the grader can restore it by hand once
    they know whether the change was theirs.
    """
    after = snapshot(folder, skip)
    changes = []
    for path, content in before.items():
        if path in after and hashlib.sha256(after[path]).digest() == hashlib.sha256(content).digest():
            continue
        what = "deleted" if path not in after else "modified"
        if keep is not None:
            saved = keep / path.relative_to(folder.anchor)
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.write_bytes(content)
            changes.append(f"{what} {path} (not undone; the previous version is in {saved})")
        else:
            changes.append(f"{what} {path} (not undone)")
    for path in sorted(after.keys() - before.keys()):
        changes.append(f"created {path} (not undone)")
    return changes


# --------------------------------------------------------------------------
# execution: the kernel in the sandbox, driven from outside it
# --------------------------------------------------------------------------


def _run_one(job_file: str) -> None:
    """Runner process (outside the sandbox): execute a notebook cell by cell in a sandboxed kernel.

    The job file names the notebook, the scratch folder, the limits and the
    kernel command; the executed notebook and the status go to ``result``,
    a path the sandbox cannot see.
    """
    import nbformat
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    job = json.loads(Path(job_file).read_text())
    scratch, spec_dir = Path(job["scratch"]), Path(job["spec_dir"])
    nb = nbformat.read(job["src"], as_version=4)
    for code in job["hidden"]:
        nb.cells.append(nbformat.v4.new_code_cell(code, metadata={"tags": [HIDDEN_TAG]}))
    (spec_dir / "course-graded").mkdir(parents=True, exist_ok=True)
    (spec_dir / "course-graded" / "kernel.json").write_text(json.dumps(
        {"argv": job["argv"], "display_name": "graded submission", "language": "python"}))
    km = AsyncKernelManager(kernel_name="course-graded", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_dir)]),
                       transport="ipc", ip=str(scratch / ".kernel"), connection_file=str(scratch / ".kernel.json"))
    status = {"stopped": None, "cell": None, "ran": 0, "peak_mb": 0.0, "left_behind": 0}
    cell_timeout, total_timeout = job["cell_timeout"], job["total_timeout"]
    client = NotebookClient(nb, km=km, timeout=cell_timeout, allow_errors=True,
                            resources={"metadata": {"path": str(scratch)}})
    deadline = time.monotonic() + total_timeout
    watch = sandbox.MemoryWatch(job["memory_mb"])
    try:
        with watch, client.setup_kernel(env=job["env"], cwd=str(scratch)):
            for index, cell in enumerate(nb.cells):
                left = deadline - time.monotonic()
                if left <= 0:
                    status.update(stopped="notebook time limit", cell=index)
                    break
                client.timeout = max(1, int(min(cell_timeout, left)))
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    limit = "cell" if client.timeout >= cell_timeout else "notebook"
                    status.update(stopped=f"{limit} time limit", cell=index)
                    break
                except DeadKernelError:
                    status.update(stopped="kernel died", cell=index)
                    break
                if watch.exceeded:
                    status.update(cell=index)
                    break
                status["ran"] = index + 1
    except Exception as exc:  # noqa: BLE001 - the kernel could not even start
        if status["stopped"] is None and not watch.exceeded:
            status.update(stopped=f"could not run ({type(exc).__name__}: {exc})", cell=status["ran"])
    if watch.exceeded:
        status.update(stopped=f"memory limit exceeded (peak {watch.peak_mb:.0f} MB, limit {job['memory_mb']:.0f} MB)",
                      cell=status["ran"] if status["cell"] is None else status["cell"])
    status["peak_mb"] = round(watch.peak_mb, 1)
    try:
        if km.has_kernel:
            from jupyter_core.utils import run_sync

            run_sync(km.shutdown_kernel)(now=True)   # kills bwrap, and with it everything in the sandbox
    except Exception:  # noqa: BLE001 - a kernel already gone
        pass
    import psutil

    children = psutil.Process().children(recursive=True)
    _, leftover = psutil.wait_procs(children, timeout=5)   # the sandbox's processes end with their kernel
    status["left_behind"] = len(leftover)
    for proc in leftover:
        try:
            proc.kill()
        except psutil.Error:
            pass
    Path(job["result"]).write_text(json.dumps({"status": status, "notebook": nb}))


def execute(path: Path, scratch: Path, private: Path, cell_timeout: float, total_timeout: float, reduced: bool,
            data: str | None = None, sandboxed: bool = True, memory_mb: float = 4096,
            hidden: list[str] = ()) -> tuple[dict, dict, float]:
    """Run ``path`` in ``scratch``; return (executed notebook, status, seconds).

    ``private`` is a grader-owned folder outside the sandbox for the job's
    files and the result; ``hidden`` holds check code run after the last cell.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / ".tmp").mkdir(exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    src = scratch / path.name
    shutil.copy(path, src)
    extra = {"COURSE_FAST": "1" if reduced else os.environ.get("COURSE_FAST", "0"),
             "COURSE_DATA": data or os.environ.get("COURSE_DATA", "auto")}
    keras_home = Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser()
    readonly = []
    if keras_home.is_dir():  # the grader's downloaded datasets, read-only
        extra["KERAS_HOME"] = str(keras_home)
        readonly.append(keras_home)
    package = Path(__file__).resolve().parent
    env = sandbox.clean_env(scratch, package.parent, extra)
    job = {"src": str(src), "scratch": str(scratch), "spec_dir": str(private / "kernels"),
           "result": str(private / "result.json"), "cell_timeout": cell_timeout, "total_timeout": total_timeout,
           "memory_mb": memory_mb, "env": env, "hidden": list(hidden),
           "argv": sandbox.kernel_argv(scratch, package, env, sandboxed, readonly)}
    job_file = private / "job.json"
    job_file.write_text(json.dumps(job))
    code = "import sys; from course_utils.grading import _run_one; _run_one(sys.argv[1])"
    runner_env = dict(os.environ, PYTHONPATH=str(package.parent), JUPYTER_PLATFORM_DIRS="1",
                      JUPYTER_RUNTIME_DIR=str(private / "runtime"))
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", code, str(job_file)], cwd=private, env=runner_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=total_timeout + 60)  # a backstop: the runner stops itself first
    except subprocess.TimeoutExpired:
        _kill_tree(proc.pid)
        proc.communicate()
        return {"cells": []}, {"stopped": "notebook time limit (killed)", "cell": None, "ran": 0}, \
            time.monotonic() - start
    seconds = time.monotonic() - start
    result = private / "result.json"
    if not result.exists():
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        return {"cells": []}, {"stopped": f"runner failed: {tail[0]}", "cell": None, "ran": 0}, seconds
    answer = json.loads(result.read_text())
    return answer["notebook"], answer["status"], seconds


def _kill_tree(pid: int) -> None:
    import psutil

    try:
        parent = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    for proc in parent.children(recursive=True) + [parent]:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass


# --------------------------------------------------------------------------
# grading
# --------------------------------------------------------------------------


def _errors(executed: dict, ran: int) -> list[tuple[int, str, str]]:
    found = []
    for i, cell in enumerate(executed["cells"][:ran]):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append((i, out.get("ename", "Error"), " ".join(str(out.get("evalue", "")).split())[:120]))
    return found


def hidden_tests(folder: Path | None, reference: Path | None) -> list[tuple[str, str]]:
    """Return (exercise, code) for the grader's hidden checks of a notebook.

    They live in ``folder/<notebook stem>/*.py`` (``folder/02_first_mlp/mnist.py``),
    outside the repository; the first line of each names its exercise
    (``# exercise: 8. Exercise: an MLP for MNIST``, or ``# exercise: Exercise 3``),
    and the code runs after the notebook's last cell, in its kernel.
    """
    if folder is None or reference is None:
        return []
    found = []
    for path in sorted((Path(folder) / reference.stem).glob("*.py")):
        code = path.read_text(encoding="utf-8")
        first = code.splitlines()[0] if code.strip() else ""
        match = re.match(r"#\s*exercise:\s*(.+)$", first.strip(), re.IGNORECASE)
        if not match:
            raise ValueError(f"hidden check {path} does not name its exercise: start it with a line "
                             f"'# exercise: <label>' (for example '# exercise: Exercise 2').")
        found.append((exercise_label(match.group(1)), code))
    return found


def _checks(submitted: dict, executed: dict, reference: dict | None, ran: int, hidden: list[tuple[str, str]],
            n_cells: int) -> dict[str, list[tuple[str, bool, str]]]:
    """Return {exercise: [(check, passed, why)]} for the given check cells and the hidden checks."""
    labels = exercise_of_cells(submitted)
    errors = {i: f"{e}: {v}" for i, e, v in _errors(executed, len(executed["cells"]))}
    index = {}
    for i, cell in enumerate(submitted["cells"]):
        if cell.get("cell_type") == "code":
            index.setdefault((labels[i], _normal(notebooks.source(cell))), i)
    source = reference if reference is not None else submitted
    found: dict[str, list[tuple[str, bool, str]]] = {}
    for cell, label in zip(source["cells"], exercise_of_cells(source)):
        code = notebooks.source(cell)
        if cell.get("cell_type") != "code" or label == GIVEN or not is_check(code):
            continue
        i = index.get((label, _normal(code)))
        if i is None:
            found.setdefault(label, []).append((f"`{code.strip().splitlines()[0][:50]}`", False,
                                                "the check cell was changed or removed"))
        elif i >= ran:
            found.setdefault(label, []).append((f"cell {i + 1}", False, "not run"))
        else:
            found.setdefault(label, []).append((f"cell {i + 1}", i not in errors, errors.get(i, "")))
    for k, (label, _) in enumerate(hidden):
        i = n_cells + k
        if i >= len(executed["cells"]) or i >= ran:
            found.setdefault(label, []).append((f"hidden check {k + 1}", False, "not run"))
        else:
            found.setdefault(label, []).append((f"hidden check {k + 1}", i not in errors, errors.get(i, "")))
    return found


def grade_file(path: Path, scratch_root: Path, reference_dir: Path, cell_timeout: float = 120,
               total_timeout: float = 1800, reduced: bool = False, data: str | None = None,
               sandboxed: bool = True, memory_mb: float = 4096, hidden_dir: Path | None = None) -> Result:
    """Grade one submitted file in a scratch folder of its own (removed afterwards); return a :class:`Result`."""
    reference_path = find_reference(path.name, reference_dir)
    result = Result(path.name, student_name(path.name, reference_path),
                    reference_path.stem if reference_path else "", sandboxed=sandboxed)
    try:
        submitted = notebooks.read(path)
        if submitted.get("nbformat", 4) < 4 or not isinstance(submitted["cells"], list):
            raise ValueError(f"{path.name} is not a version-4 notebook")
    except ValueError as exc:
        result.status = "not a notebook"
        result.rows.append(Row(path.name, NOTEBOOK, "not a notebook", str(exc), sandboxed=sandboxed))
        return result
    reference = notebooks.read(reference_path) if reference_path is not None else None
    hidden = hidden_tests(hidden_dir, reference_path)

    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem)[:60]
    scratch = Path(tempfile.mkdtemp(prefix=f"{safe}-", dir=scratch_root))   # unique even when names sanitise alike
    private = Path(tempfile.mkdtemp(prefix=f"{safe}-", dir=scratch_root / ".private"))
    try:
        executed, status, result.seconds = execute(path, scratch, private, cell_timeout, total_timeout, reduced,
                                                   data, sandboxed, memory_mb, [code for _, code in hidden])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)
    _judge(result, submitted, executed, status, reference, hidden, reduced, data)
    return result


def _judge(result: Result, submitted: dict, executed: dict, status: dict, reference: dict | None,
           hidden: list[tuple[str, str]], reduced: bool, data: str | None) -> None:
    """Fill ``result``'s verdict and rows from the run (the grader's view of it, never the submission's)."""
    name, sandboxed = result.name, result.sandboxed
    labels = exercise_of_cells(submitted)
    n_cells = len(labels)
    ran = status["ran"]
    exercises = list(dict.fromkeys(labels))
    per_exercise = {ex: Row(name, ex, "ran", ran="yes", sandboxed=sandboxed) for ex in exercises}

    for i, ename, evalue in _errors(executed, min(ran, n_cells)):
        row = per_exercise[labels[i]]
        if ename == "NotImplementedError":
            if row.ran == "yes":
                row.ran, row.detail = "unanswered", f"cell {i + 1} still raises NotImplementedError"
            continue
        if row.ran in ("yes", "unanswered"):
            row.ran, row.detail = "error", f"cell {i + 1}: {ename}: {evalue}"
        if not result.first_error:
            result.first_error = f"cell {i + 1} ({labels[i]}): {ename}: {evalue}"

    if status["stopped"]:
        cell = status["cell"]
        where = f"cell {cell + 1} ({labels[cell]})" if cell is not None and cell < n_cells else \
            ("the hidden checks" if cell is not None else "start")
        result.status = status["stopped"]
        result.first_error = result.first_error or f"{where}: {status['stopped']}"
        stopped_at = cell if cell is not None else 0
        for i, label in enumerate(labels):
            if i >= stopped_at and per_exercise[label].ran == "yes":
                per_exercise[label].ran = "not run" if i > stopped_at else status["stopped"]
                per_exercise[label].detail = f"stopped at {where}: {status['stopped']}"
    elif result.first_error:
        result.status = "error"

    result.unanswered = unanswered_exercises(submitted, reference)
    points = exercise_points(reference if reference is not None else submitted)
    checks = _checks(submitted, executed, reference, ran, hidden, n_cells)
    for ex in exercises:
        row = per_exercise[ex]
        if ex == GIVEN:
            row.status = row.ran if row.ran != "yes" else "ran"
            continue
        got = checks.get(ex, [])
        failed = [f"{what}: {why}" for what, ok, why in got if not ok]
        pts = points.get(ex, Points(None))
        row.points, row.manual = (pts.auto, pts.manual + pts.bonus) if pts.total is not None else (None, None)
        if ex in result.unanswered:
            row.status, row.checks = "unanswered", "not credited (unanswered)"
            row.detail = row.detail or "the solution block is empty, `pass` or as given"
        elif not got:
            row.status, row.checks = ("ran, no autograded check" if row.ran == "yes" else row.ran), "none"
        elif failed:
            row.status, row.checks = "checks failed", f"{len(failed)} of {len(got)} failed"
            row.detail = "; ".join(filter(None, [row.detail] + failed))
        elif row.ran != "yes":
            row.status, row.checks = row.ran, f"{len(got)} passed, but the exercise's own cells failed"
        else:
            row.status, row.checks = "checks passed", f"all {len(got)} passed"
        passed = row.status == "checks passed"
        if row.points is not None:
            row.earned = float(row.points if passed else 0)
            result.points[ex] = (row.earned, float(row.points))
        if ex not in result.unanswered and got and not passed:
            result.checks_failed.append(ex)

    changed = changed_given_cells(submitted, reference) if reference is not None else []
    compare = bool(executed["cells"])
    saved_mode = run_mode(submitted)
    graded_mode = ("reduced" if reduced else ("reduced" if os.environ.get("COURSE_FAST") == "1" else "full"),
                   data or os.environ.get("COURSE_DATA", "auto"))
    if compare and saved_mode is not None and (saved_mode[0] != graded_mode[0] or
                                               (saved_mode[1] == "real") != (graded_mode[1] == "real")):
        compare = False
        result.outputs_note = (f"saved outputs not compared: the submission ran in {saved_mode[0]} mode on "
                               f"{saved_mode[1]} data, the grading in {graded_mode[0]} mode on {graded_mode[1]} data")
    doctored = doctored_outputs(submitted, executed, min(ran, n_cells)) if compare else []
    result.changed_given = [text for _, text in changed]
    result.doctored = [text for _, text in doctored]

    summary = [result.status + (f" at {result.first_error}" if result.first_error else "")]
    if reference is None:
        summary.append("no published student version matches this file name (given cells not checked; "
                       "checks are the cells with an assert)")
    if result.outputs_note:
        summary.append(result.outputs_note)
    if status.get("peak_mb"):
        summary.append(f"peak memory {status['peak_mb']:.0f} MB")
    if status.get("left_behind"):
        summary.append(f"{status['left_behind']} process(es) left behind, killed")
    if not sandboxed:
        summary.append("UNSANDBOXED: ran with the grader's rights (--no-sandbox)")
    earned = sum(e for e, _ in result.points.values())
    available = sum(a for _, a in result.points.values())
    result.rows.append(Row(name, NOTEBOOK, result.status, "; ".join(summary), round(result.seconds, 1),
                           ran=result.status, checks=f"{len(result.checks_failed)} exercise(s) failed"
                           if result.checks_failed else "", points=available, earned=earned, sandboxed=sandboxed))
    for ex in exercises:
        if ex == GIVEN and per_exercise[ex].ran == "yes":
            continue
        result.rows.append(per_exercise[ex])
    if reference is not None:
        manual = {}
        for cell, label in zip(submitted["cells"], labels):
            text = notebooks.source(cell).strip()
            if cell.get("cell_type") == "markdown" and text.startswith(ANSWER) and label != GIVEN:
                manual.setdefault(label, []).append(text != ANSWER_PROMPT)
        for label, answers in manual.items():
            pts = points.get(label, Points(None))
            written = ", ".join(f"{t[:40]}... ({p} pts)" for t, p, w in pts.tasks if w) or "the written answer"
            result.rows.append(Row(name, label, "manual grading", f"{sum(answers)} of {len(answers)} answer "
                                   f"cell(s) written; to grade by hand: {written}", manual=pts.manual + pts.bonus
                                   if pts.total is not None else None, sandboxed=sandboxed))
    for label, text in changed:
        result.rows.append(Row(name, label, "changed given cell", text, sandboxed=sandboxed))
    for label, text in doctored:
        result.rows.append(Row(name, label, "output not reproduced", text, sandboxed=sandboxed))


# --------------------------------------------------------------------------
# reports
# --------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def write_report(results: list[Result], out: Path, class_rows: list[Row] = ()) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.csv`` into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out / "report.csv", out / "report.md"
    fields = ["notebook", "exercise", "status", "ran", "checks", "points", "earned", "manual points",
              "sandboxed", "detail", "seconds"]
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(fields)
        for row in [row for r in results for row in r.rows] + list(class_rows):
            writer.writerow([row.notebook, row.exercise, row.status, row.ran, row.checks, _fmt(row.points),
                             _fmt(row.earned), _fmt(row.manual), "yes" if row.sandboxed else "NO",
                             row.detail, "" if row.seconds is None else row.seconds])
    lines = ["# Grading report", "",
             "| notebook | run | sandboxed | time (s) | first failure | unanswered | checks failed | "
             "autograded points | changed given cells | outputs not reproduced |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        earned = sum(e for e, _ in r.points.values())
        available = sum(a for _, a in r.points.values())
        lines.append(f"| {r.name} | {r.status} | {'yes' if r.sandboxed else 'NO'} | {r.seconds:.1f} | "
                     f"{r.first_error or '-'} | {', '.join(r.unanswered) or '-'} | "
                     f"{', '.join(r.checks_failed) or '-'} | {_fmt(earned)} / {_fmt(available)} | "
                     f"{len(r.changed_given)} | {len(r.doctored)} |")
    lines += ["", "## Details", ""]
    for r in results:
        lines.append(f"### {r.name}")
        for row in r.rows:
            pts = f" [{_fmt(row.earned)} / {_fmt(row.points)} points]" if row.points is not None and \
                row.exercise != NOTEBOOK else ""
            lines.append(f"- **{row.exercise}**: {row.status}{pts}" + (f" - {row.detail}" if row.detail else ""))
        lines.append("")
    if class_rows:
        lines += ["## Outside the submissions' folders", ""]
        lines += [f"- {row.status}: {row.detail}" for row in class_rows]
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return md_path, csv_path


def write_gradebook(results: list[Result], out: Path) -> Path:
    """Write ``gradebook.csv``: one row per student, one column per exercise (autograded points), a total.

    Column names carry the notebook and the points available
    ("02_first_mlp: 8. Exercise: an MLP for MNIST (/4)"); "manual points" is
    what is left to grade by hand.
    """
    columns: dict[str, None] = {}
    book: dict[str, dict[str, float]] = {}
    manual: dict[str, float] = {}
    for r in results:
        student = r.student or r.name
        book.setdefault(student, {})
        for row in r.rows:
            if row.exercise == NOTEBOOK:
                continue
            if row.points is not None and row.status != "manual grading":
                column = f"{r.notebook or Path(r.name).stem}: {row.exercise} (/{_fmt(row.points)})"
                columns.setdefault(column)
                book[student][column] = row.earned or 0.0
            if row.status == "manual grading" and row.manual:
                manual[student] = manual.get(student, 0.0) + row.manual
    path = out / "gradebook.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", *columns, "autograded total", "manual points to grade"])
        for student in sorted(book):
            marks = book[student]
            writer.writerow([student, *(_fmt(marks[c]) if c in marks else "" for c in columns),
                             _fmt(sum(marks.values())), _fmt(manual.get(student, 0.0))])
    return path


def default_jobs() -> int:
    """Return the default number of parallel sandboxes: the number of cores."""
    return os.cpu_count() or 1


def default_memory_mb(jobs: int) -> float:
    """Return the default memory limit per submission: half the machine's RAM shared by ``jobs``, at most 6 GB."""
    import psutil

    return float(max(1024, min(6144, psutil.virtual_memory().total / 2**20 / 2 / max(1, jobs))))


def grade_folder(folder: Path, out: Path, reference_dir: Path | None = None, cell_timeout: float = 120,
                 total_timeout: float = 1800, reduced: bool = False, data: str | None = None,
                 protect: list[Path] | None = None, jobs: int | None = None, sandboxed: bool = True,
                 memory_mb: float | None = None, hidden_dir: Path | None = None) -> list[Result]:
    """Grade every file in ``folder`` (not recursive), ``jobs`` at a time; write the report into ``out``.

    ``protect`` lists the folders a submission must not change (default: the
    course repository and the submissions folder); they are fingerprinted
    before and after, and a change is reported, not undone. Raises
    RuntimeError when ``sandboxed`` and the sandbox cannot run here.
    """
    if sandboxed:
        problem = sandbox.bwrap_problem()
        if problem:
            raise RuntimeError(f"Cannot grade in a sandbox: {problem} {sandbox.NO_SANDBOX_HINT}")
    folder = Path(folder).resolve()
    out = Path(out).resolve()
    jobs = max(1, jobs or default_jobs())
    memory_mb = memory_mb or default_memory_mb(jobs)
    reference_dir = Path(reference_dir) if reference_dir else repo_root() / "notebooks" / STUDENT_DIR
    protect = [Path(p).resolve() for p in protect] if protect else [repo_root(), folder]
    paths = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    scratch_root = Path(tempfile.mkdtemp(prefix="grading-"))
    (scratch_root / ".private").mkdir()
    skip = {scratch_root.resolve(), out}
    before = {f: snapshot(f, skip) for f in protect}
    start, done, lock = time.monotonic(), [0], threading.Lock()

    def one(path: Path) -> Result:
        result = grade_file(path, scratch_root, reference_dir, cell_timeout, total_timeout, reduced, data,
                            sandboxed, memory_mb, hidden_dir)
        with lock:
            done[0] += 1
            print(f"[{done[0]}/{len(paths)}] {path.name}: {result.status} in {result.seconds:.1f} s "
                  f"(elapsed {time.monotonic() - start:.0f} s)", flush=True)
        return result

    print(f"grading {len(paths)} submission(s), {jobs} at a time, "
          f"{'in a sandbox' if sandboxed else 'UNSANDBOXED'}, memory limit {memory_mb:.0f} MB each", flush=True)
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(one, paths))     # in file order, whatever the number of jobs
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)
    class_rows = []
    for f, files in before.items():
        for text in changes_since(f, files, out / "changed-files", skip):
            class_rows.append(Row("(class)", NOTEBOOK, "changed during grading", text, sandboxed=sandboxed))
            for r in results:
                if not sandboxed:
                    r.outside_writes.append(text)
    md, csv_path = write_report(results, out, class_rows)
    book = write_gradebook(results, out)
    print(f"report: {md}, {csv_path} and {book} ({time.monotonic() - start:.0f} s in all)")
    return results


def self_check(path: str | Path, reference_dir: Path | None = None, cell_timeout: float = 600,
               total_timeout: float = 3600) -> Result:
    """Run the autograded checks on your own notebook before you submit it; print and return the result.

    The same checks as the grader's, without the hidden ones, in a fresh
    kernel (in a sandbox where bubblewrap is installed). Run it from a
    terminal, on the saved notebook::

        python -m course_utils.grading --self-check 02_first_mlp.ipynb
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: pass the path of your saved notebook (.ipynb).")
    reference_dir = Path(reference_dir) if reference_dir else repo_root() / "notebooks" / STUDENT_DIR
    scratch_root = Path(tempfile.mkdtemp(prefix="self-check-"))
    (scratch_root / ".private").mkdir()
    try:
        result = grade_file(path, scratch_root, reference_dir, cell_timeout, total_timeout,
                            sandboxed=sandbox.bwrap_problem() is None, memory_mb=default_memory_mb(1))
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)
    print(f"{path.name}: {result.status}" + (f" at {result.first_error}" if result.first_error else ""))
    for row in result.rows[1:]:
        pts = f" [{_fmt(row.earned)} / {_fmt(row.points)} points]" if row.points is not None else ""
        print(f"  {row.exercise}: {row.status}{pts}" + (f" - {row.detail}" if row.detail else ""))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.grading", description=__doc__.split("\n")[0])
    parser.add_argument("submissions", type=Path, nargs="?", help="folder of submitted notebooks")
    parser.add_argument("--self-check", type=Path, metavar="NOTEBOOK",
                        help="run the autograded checks on your own notebook (students, before submitting)")
    parser.add_argument("--out", type=Path, default=Path("build/grading"), help="where the report goes")
    parser.add_argument("--reference", type=Path, default=None,
                        help="folder of published student versions (default notebooks/student)")
    parser.add_argument("--hidden-tests", type=Path, default=None, metavar="DIR",
                        help="folder of hidden checks, DIR/<notebook>/*.py, kept outside the repository")
    parser.add_argument("--cell-timeout", type=float, default=600, help="seconds per cell (default 600)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per notebook (default 3600)")
    parser.add_argument("--jobs", type=int, default=None, help="sandboxes at once (default: the number of cores)")
    parser.add_argument("--memory-mb", type=float, default=None,
                        help="memory limit per submission in MB (default: half the RAM shared by the jobs, "
                             "at most 6144)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="grade without bubblewrap (macOS); every row is marked unsandboxed")
    parser.add_argument("--reduced", action="store_true", help="run in reduced mode for a quick triage")
    parser.add_argument("--data", choices=["auto", "real", "synthetic"], default=None,
                        help="COURSE_DATA for the runs (default: as in the environment)")
    args = parser.parse_args(argv)
    if args.self_check:
        result = self_check(args.self_check, args.reference, args.cell_timeout, args.timeout)
        return 0 if result.status == "ran" and not result.checks_failed and not result.unanswered else 1
    if args.submissions is None or not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder of submissions: pass the folder that holds the "
                     "submitted notebooks (or --self-check NOTEBOOK for one notebook of your own)")
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs {args.jobs}: the number of sandboxes at once must be 1 or more")
    if args.hidden_tests is not None and not args.hidden_tests.is_dir():
        parser.error(f"--hidden-tests {args.hidden_tests} is not a folder: pass the folder that holds "
                     "<notebook>/*.py hidden checks")
    try:
        grade_folder(args.submissions, args.out, args.reference, args.cell_timeout, args.timeout, args.reduced,
                     args.data, jobs=args.jobs, sandboxed=not args.no_sandbox, memory_mb=args.memory_mb,
                     hidden_dir=args.hidden_tests)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
