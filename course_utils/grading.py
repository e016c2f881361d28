"""Re-execute submitted notebooks and report, per notebook and exercise, what happened.

For each file in a submissions folder, :func:`grade_folder`:

* re-executes the notebook in a fresh kernel, in a scratch folder of its own
  (its working directory and ``HOME``), with a per-cell and a per-notebook
  time limit, in a separate process, so that a submission that loops, exits,
  kills its kernel or raises at import cannot stop the others;
* reports the first failing cell with its exercise and error, and the
  exercises still left unanswered (``NotImplementedError``);
* compares the given cells with the published student version (by content)
  and reports those the student changed or removed;
* compares the outputs saved in the submission with the re-executed ones:
  text exactly, numbers within a tolerance, images and timings not at all;
  an output the code does not reproduce is reported as doctored or stale;
* fingerprints the course files and the submissions folder before and after
  each run; a change is reported and undone;
* reports a file that is not a notebook instead of crashing.

The report is written as Markdown (for people) and CSV (for a spreadsheet)::

    make grade SUBMISSIONS=path/to/folder           # or:
    python -m course_utils.grading path/to/folder --out build/grading --reduced
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
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import notebooks
from .config import repo_root
from .student import STUDENT_DIR

EXERCISE = re.compile(r"^#+\s*(.*\bExercise\b.*?)\s*$", re.IGNORECASE | re.MULTILINE)
NUMBERED = re.compile(r"\bExercise\s+(\d+[a-z]?)\b", re.IGNORECASE)
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
TIMING = re.compile(r"[-+]?\d+(?:\.\d+)?\s*(?:ms|us|µs|s|sec|seconds|min)(?:/step|/epoch)?\b")
SKIP_DIRS = {".git", ".venv", ".course_cache", "build", "__pycache__", ".pytest_cache", ".ipynb_checkpoints"}
GIVEN = "(given)"


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


@dataclass
class Result:
    """Everything found about one submitted file."""

    name: str
    status: str = "ok"
    seconds: float = 0.0
    rows: list[Row] = field(default_factory=list)
    first_error: str = ""
    unanswered: list[str] = field(default_factory=list)
    changed_given: list[str] = field(default_factory=list)
    doctored: list[str] = field(default_factory=list)
    outside_writes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------
# exercises and given cells
# --------------------------------------------------------------------------


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
                number = NUMBERED.search(match.group(1))
                current = f"Exercise {number.group(1)}" if number else match.group(1).strip()
        labels.append(current)
    return labels


def _normal(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def find_reference(name: str, reference_dir: Path) -> Path | None:
    """Return the published student version whose name the submission's file name contains."""
    candidates = sorted(reference_dir.glob("*.ipynb"), key=lambda p: -len(p.stem))
    for path in candidates:
        if path.stem in Path(name).stem:
            return path
    return None


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


# --------------------------------------------------------------------------
# outputs: what must be reproduced
# --------------------------------------------------------------------------


def comparable_text(cell: dict) -> str:
    """Return a code cell's deterministic text output: stdout and plain-text results, no stderr or images."""
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
    return TIMING.sub("<time>", text)


def numbers_match(a: str, b: str, rel: float = 1e-2, abs_tol: float = 1e-3) -> bool:
    """Return True when two numbers agree within the tolerance."""
    x, y = float(a), float(b)
    if math.isnan(x) and math.isnan(y):
        return True
    return math.isclose(x, y, rel_tol=rel, abs_tol=abs_tol)


def outputs_match(saved: str, fresh: str) -> bool:
    """Compare two output texts: the words exactly, the numbers within a tolerance."""
    if NUMBER.sub("#", saved).split() != NUMBER.sub("#", fresh).split():
        return False
    return all(numbers_match(a, b) for a, b in zip(NUMBER.findall(saved), NUMBER.findall(fresh)))


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
        if not outputs_match(saved, comparable_text(new)):
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


def restore(folder: Path, before: dict[Path, bytes], skip: set[Path] = frozenset()) -> list[str]:
    """Undo every change below ``folder`` since ``before``; return what was changed."""
    after = snapshot(folder, skip)
    changes = []
    for path, content in before.items():
        if path not in after:
            changes.append(f"deleted {path}")
        elif hashlib.sha256(after[path]).digest() != hashlib.sha256(content).digest():
            changes.append(f"modified {path}")
        else:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    for path in after.keys() - before.keys():
        changes.append(f"created {path}")
        path.unlink(missing_ok=True)
    return changes


# --------------------------------------------------------------------------
# execution, in a child process
# --------------------------------------------------------------------------


def _run_one(src: str, dst: str, cell_timeout: float, total_timeout: float) -> None:
    """Child process: execute ``src`` cell by cell in a fresh kernel, write ``dst`` and a status file."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    nb = nbformat.read(src, as_version=4)
    status = {"stopped": None, "cell": None, "ran": 0}
    client = NotebookClient(nb, timeout=cell_timeout, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": os.getcwd()}})
    deadline = time.monotonic() + total_timeout
    try:
        with client.setup_kernel():
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
                status["ran"] = index + 1
    except Exception as exc:  # noqa: BLE001 - the kernel could not even start
        status.update(stopped=f"could not run ({type(exc).__name__}: {exc})", cell=status["ran"])
    nbformat.write(nb, dst)
    Path(dst + ".status.json").write_text(json.dumps(status))


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


def execute(path: Path, scratch: Path, cell_timeout: float, total_timeout: float, reduced: bool,
            data: str | None = None) -> tuple[dict, dict, float]:
    """Run ``path`` in ``scratch``; return (executed notebook, status, seconds)."""
    scratch.mkdir(parents=True, exist_ok=True)
    src = scratch / path.name
    shutil.copy(path, src)
    dst = scratch / ".executed.ipynb"
    env = dict(os.environ, HOME=str(scratch), COURSE_CACHE_DIR=str(scratch / ".course_cache"),
               MPLBACKEND="Agg", JUPYTER_PLATFORM_DIRS="1", PYTHONDONTWRITEBYTECODE="1")
    env.setdefault("KERAS_HOME", str(Path("~/.keras").expanduser()))  # the grader's downloaded datasets
    env["COURSE_FAST"] = "1" if reduced else env.get("COURSE_FAST", "0")
    if data:
        env["COURSE_DATA"] = data
    code = ("import sys; from course_utils.grading import _run_one; "
            "_run_one(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))")
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", code, str(src), str(dst), str(cell_timeout),
                             str(total_timeout)], cwd=scratch, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=total_timeout + 60)  # a backstop: the child stops itself first
    except subprocess.TimeoutExpired:
        _kill_tree(proc.pid)
        proc.communicate()
        return {"cells": []}, {"stopped": "notebook time limit (killed)", "cell": None, "ran": 0}, \
            time.monotonic() - start
    seconds = time.monotonic() - start
    status_file = Path(str(dst) + ".status.json")
    if not status_file.exists():
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        return {"cells": []}, {"stopped": f"runner failed: {tail[0]}", "cell": None, "ran": 0}, seconds
    return notebooks.read(dst), json.loads(status_file.read_text()), seconds


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


def grade_file(path: Path, scratch_root: Path, reference_dir: Path, protect: list[Path],
               cell_timeout: float = 120, total_timeout: float = 1800, reduced: bool = False,
               data: str | None = None) -> Result:
    """Grade one submitted file; return a :class:`Result` with its report rows."""
    result = Result(path.name)
    try:
        submitted = notebooks.read(path)
        if submitted.get("nbformat", 4) < 4 or not isinstance(submitted["cells"], list):
            raise ValueError(f"{path.name} is not a version-4 notebook")
    except ValueError as exc:
        result.status = "not a notebook"
        result.rows.append(Row(path.name, "(notebook)", "not a notebook", str(exc)))
        return result

    scratch = scratch_root / re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem)
    skip = {scratch_root.resolve()}
    before = {folder: snapshot(folder, skip) for folder in protect}
    executed, status, result.seconds = execute(path, scratch, cell_timeout, total_timeout, reduced, data)
    for folder, files in before.items():
        result.outside_writes += restore(folder, files, skip)

    labels = exercise_of_cells(submitted)
    ran = status["ran"]
    errors = _errors(executed, ran)
    exercises = list(dict.fromkeys(labels))
    per_exercise: dict[str, Row] = {ex: Row(path.name, ex, "ok") for ex in exercises}

    for i, ename, evalue in errors:
        row = per_exercise[labels[i]]
        if ename == "NotImplementedError":
            if row.status == "ok":
                row.status, row.detail = "unanswered", f"cell {i + 1} still raises NotImplementedError"
            if labels[i] not in result.unanswered:
                result.unanswered.append(labels[i])
            continue
        if row.status in ("ok", "unanswered"):
            row.status, row.detail = "error", f"cell {i + 1}: {ename}: {evalue}"
        if not result.first_error:
            result.first_error = f"cell {i + 1} ({labels[i]}): {ename}: {evalue}"

    if status["stopped"]:
        cell = status["cell"]
        where = f"cell {cell + 1} ({labels[cell]})" if cell is not None and cell < len(labels) else "start"
        result.status = status["stopped"]
        result.first_error = result.first_error or f"{where}: {status['stopped']}"
        stopped_at = cell if cell is not None else 0
        for i, label in enumerate(labels):
            if i >= stopped_at and per_exercise[label].status == "ok":
                per_exercise[label].status = "not run" if i > stopped_at else status["stopped"]
                per_exercise[label].detail = f"stopped at {where}: {status['stopped']}"
    elif result.first_error:
        result.status = "error"
    elif result.unanswered:
        result.status = "unanswered"

    reference = find_reference(path.name, reference_dir)
    changed = changed_given_cells(submitted, notebooks.read(reference)) if reference is not None else []
    doctored = doctored_outputs(submitted, executed, ran) if executed["cells"] else []
    result.changed_given = [text for _, text in changed]
    result.doctored = [text for _, text in doctored]

    summary = [f"{result.status}" + (f" at {result.first_error}" if result.first_error else "")]
    if reference is None:
        summary.append("no published student version matches this file name (given cells not checked)")
    result.rows.append(Row(path.name, "(notebook)", result.status, "; ".join(summary), round(result.seconds, 1)))
    for ex in exercises:
        if ex == GIVEN and per_exercise[ex].status == "ok":
            continue
        result.rows.append(per_exercise[ex])
    for label, text in changed:
        result.rows.append(Row(path.name, label, "changed given cell", text))
    for label, text in doctored:
        result.rows.append(Row(path.name, label, "output not reproduced", text))
    for text in result.outside_writes:
        result.rows.append(Row(path.name, "(notebook)", "wrote outside its folder (undone)", text))
    return result


def write_report(results: list[Result], out: Path) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.csv`` into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out / "report.csv", out / "report.md"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["notebook", "exercise", "status", "detail", "seconds"])
        for result in results:
            for row in result.rows:
                writer.writerow([row.notebook, row.exercise, row.status, row.detail,
                                 "" if row.seconds is None else row.seconds])
    lines = ["# Grading report", "",
             "| notebook | status | time (s) | first failure | unanswered | changed given cells | "
             "outputs not reproduced | outside writes |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        lines.append(f"| {r.name} | {r.status} | {r.seconds:.1f} | {r.first_error or '-'} | "
                     f"{', '.join(r.unanswered) or '-'} | {len(r.changed_given)} | {len(r.doctored)} | "
                     f"{len(r.outside_writes)} |")
    lines += ["", "## Details", ""]
    for r in results:
        lines.append(f"### {r.name}")
        lines += [f"- **{row.exercise}**: {row.status}" + (f" - {row.detail}" if row.detail else "")
                  for row in r.rows]
        lines.append("")
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return md_path, csv_path


def grade_folder(folder: Path, out: Path, reference_dir: Path | None = None, cell_timeout: float = 120,
                 total_timeout: float = 1800, reduced: bool = False, data: str | None = None,
                 protect: list[Path] | None = None) -> list[Result]:
    """Grade every file in ``folder`` (not recursive); write the report into ``out``.

    ``protect`` lists the folders a submission must not change (default: the
    course repository and the submissions folder); changes are undone.
    """
    folder = Path(folder).resolve()
    reference_dir = Path(reference_dir) if reference_dir else repo_root() / "notebooks" / STUDENT_DIR
    scratch_root = Path(tempfile.mkdtemp(prefix="grading-"))
    protect = [Path(p).resolve() for p in protect] if protect else [repo_root(), folder]
    results = []
    try:
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            print(f"grading {path.name} ...", flush=True)
            result = grade_file(path, scratch_root, reference_dir, protect, cell_timeout, total_timeout,
                                reduced, data)
            print(f"  {result.status} in {result.seconds:.1f} s", flush=True)
            results.append(result)
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)
    md, csv_path = write_report(results, out)
    print(f"report: {md} and {csv_path}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.grading", description=__doc__.split("\n")[0])
    parser.add_argument("submissions", type=Path, help="folder of submitted notebooks")
    parser.add_argument("--out", type=Path, default=Path("build/grading"), help="where the report goes")
    parser.add_argument("--reference", type=Path, default=None,
                        help="folder of published student versions (default notebooks/student)")
    parser.add_argument("--cell-timeout", type=float, default=600, help="seconds per cell (default 600)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per notebook (default 3600)")
    parser.add_argument("--reduced", action="store_true", help="run in reduced mode for a quick triage")
    parser.add_argument("--data", choices=["auto", "real", "synthetic"], default=None,
                        help="COURSE_DATA for the runs (default: as in the environment)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a folder of submissions")
    grade_folder(args.submissions, args.out, args.reference, args.cell_timeout, args.timeout, args.reduced, args.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
