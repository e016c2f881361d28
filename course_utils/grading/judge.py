"""Judging a run: what is unanswered, which given cells changed, which saved outputs the code does not
reproduce, and whether the course files changed while a class was graded.

None of this awards points (only the checks of :mod:`.checker` do); it tells
the grader and the student what the run shows. Used by :mod:`.grade`::

    >>> unanswered_exercises(submitted, published)
    ['Exercise 2']
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections import Counter
from pathlib import Path

from .. import notebooks
from .spec import GIVEN, exercise_of_cells

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
TIMING = re.compile(r"[-+]?\d+(?:\.\d+)?\s*(?:ms|us|µs|s|sec|seconds|min)(?:/step|/epoch)?\b")
# lines that differ between honest runs: the set-up cell's versions and device, fit_cached's
# "trained"/"replayed" notes, Keras's per-epoch lines
RUN_DEPENDENT = re.compile(r"^(?:Python \S+ \| TensorFlow|Device: |Mode: |fit_cached: |Epoch \d+/\d+|\d+/\d+ - )")
METRIC_WORDS = re.compile(r"loss|acc|val_|auc|f1|precision|recall|mae|mse|score", re.IGNORECASE)
TRAINS = re.compile(r"\.fit\(|fit_cached\(|\btrain\w*\(|\.evaluate\(|\.predict\(|\.search\(")
MODE_LINE = re.compile(r"^Mode: (\w+).*\| data: (\S+)", re.MULTILINE)
SKIP_DIRS = {".git", ".venv", ".venv-colab", ".course_cache", "build", "__pycache__", ".pytest_cache",
             ".ipynb_checkpoints"}
STUB_LINES = {"# YOUR CODE HERE", "raise NotImplementedError()"}
EMPTY_LINES = {"pass", "...", "None"}


def _normal(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def _code_lines(code: str) -> list[str]:
    return [ln.strip() for ln in code.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def changed_given_cells(submission: dict, reference: dict) -> list[tuple[str, str, str]]:
    """Return (exercise, description, diff) for each given code cell of ``reference`` the student changed.

    A given cell is found in the submission by its nbgrader ``grade_id`` (what
    nbgrader's checksums are kept under), so a change is reported for that
    cell with a small diff; a cell whose ``grade_id`` is gone is looked for by
    its text, and reported as removed when it is nowhere.
    """
    import difflib

    by_id = {}
    for cell in submission["cells"]:
        gid = ((cell.get("metadata") or {}).get("nbgrader") or {}).get("grade_id")
        if isinstance(gid, str):
            by_id.setdefault(gid, cell)
    have = {_normal(notebooks.source(c)) for c in notebooks.code_cells(submission)}
    labels = exercise_of_cells(reference)
    found = []
    for i, cell in enumerate(reference["cells"]):
        code = notebooks.source(cell)
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if cell.get("cell_type") != "code" or meta.get("solution") or "raise NotImplementedError()" in code \
                or not code.strip():
            continue
        first_line = code.strip().splitlines()[0][:60]
        other = by_id.get(meta.get("grade_id")) if meta.get("grade_id") else None
        if other is not None:
            if _normal(notebooks.source(other)) != _normal(code):
                diff = "\n".join(list(difflib.unified_diff(code.splitlines(), notebooks.source(other).splitlines(),
                                                           "given", "submitted", lineterm="", n=1))[2:14])
                found.append((labels[i], f"cell {i + 1} ({labels[i]}): `{first_line}`", diff))
        elif _normal(code) not in have:
            found.append((labels[i], f"cell {i + 1} ({labels[i]}): `{first_line}`", "(removed, or changed beyond "
                                                                                      "recognition)"))
    return found


def unanswered_exercises(submission: dict, reference: dict) -> list[str]:
    """Return the exercises whose solution blocks are left as given, empty, or only ``pass``.

    The student's code of an exercise is what its code cells hold beyond the
    lines of the published version; an exercise with none of it (or only
    ``pass`` / ``...``) is unanswered.
    """
    sub_labels = exercise_of_cells(submission)
    ref_lines: dict[str, Counter] = {}
    stubbed: set[str] = set()
    for cell, label in zip(reference["cells"], exercise_of_cells(reference)):
        if cell.get("cell_type") == "code":
            code = notebooks.source(cell)
            ref_lines.setdefault(label, Counter()).update(_code_lines(code))
            if "raise NotImplementedError()" in code:
                stubbed.add(label)
    found = []
    for label in dict.fromkeys(exercise_of_cells(reference)):
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


def errors(executed: dict, ran: int) -> list[tuple[int, str, str]]:
    """Return (cell index, exception name, message) for each error output among the first ``ran`` cells."""
    found = []
    for i, cell in enumerate(executed["cells"][:ran]):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append((i, str(out.get("ename", "Error"))[:80], " ".join(str(out.get("evalue", "")).split())[:200]))
    return found


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


KEEP_BYTES = 2 << 20       # files up to this size are kept whole, so that a changed one can be restored


def snapshot(folder: Path, skip: set[Path] = frozenset()) -> dict[Path, tuple[bytes, bytes | None]]:
    """Return {path: (SHA-256, content or None)} for every file below ``folder``, except caches and ``skip``.

    The content of files up to :data:`KEEP_BYTES` is kept (the course's
    notebooks and code), larger ones (datasets) only by checksum.
    """
    files = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and (here / d).resolve() not in skip]
        for name in filenames:
            path = here / name
            try:
                if path.is_symlink() or not path.is_file():
                    continue
                h = hashlib.sha256()
                kept = path.read_bytes() if path.stat().st_size <= KEEP_BYTES else None
                if kept is not None:
                    h.update(kept)
                else:
                    with open(path, "rb") as fh:
                        for block in iter(lambda: fh.read(1 << 20), b""):
                            h.update(block)
                files[path] = (h.digest(), kept)
            except OSError:
                continue
    return files


def changes_since(folder: Path, before: dict, keep: Path | None, skip: set[Path] = frozenset()) -> list[str]:
    """Return what changed below ``folder`` since ``before``, reverting nothing.

    The previous content of a modified or deleted file is saved under
    ``keep`` (when given and the content was kept), so that the grader can
    restore it by hand once they know whether the change was theirs.
    """
    after = snapshot(folder, skip)
    changes = []
    for path, (digest, content) in before.items():
        if path in after and after[path][0] == digest:
            continue
        what = "deleted" if path not in after else "modified"
        if keep is not None and content is not None:
            saved = keep / path.relative_to(folder.anchor)
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.write_bytes(content)
            changes.append(f"{what} {path} (not undone; the previous version is in {saved})")
        else:
            changes.append(f"{what} {path} (not undone)")
    for path in sorted(after.keys() - before.keys()):
        changes.append(f"created {path} (not undone)")
    return changes
