"""What a grading run keeps: a journal of results, one JSON line per finished submission.

Each line holds the submission's file name and SHA-256, the fingerprint of
the course it was graded against (:func:`course_fingerprint`) and its
result. It is appended (and flushed to disk) the moment a submission is
done, so an interrupted run loses nothing: ``--resume`` grades only the
files without a line of the same content and course; ``--manual`` merges
the grades given by hand into the last results without running anything
again. Used by :mod:`.grade` and :mod:`.cli`::

    >>> with Journal(out / "journal.jsonl") as journal:
    ...     journal.append(entry, result, fingerprint)
    >>> latest(out / "journal.jsonl")["alice_02_first_mlp.ipynb"]
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import asdict
from pathlib import Path

from .report import PartResult, Result

JOURNAL = "journal.jsonl"


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file (a link is not followed: its own text is hashed)."""
    h = hashlib.sha256()
    if path.is_symlink():
        h.update(os.readlink(path).encode())
        return h.hexdigest()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _folder_digest(h, folder: Path | None, pattern: str) -> None:
    if folder is None or not Path(folder).is_dir():
        return
    for path in sorted(Path(folder).rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(folder)).encode())
            h.update(path.read_bytes())


def course_fingerprint(settings, hidden: bool = True) -> str:
    """A checksum of what a grade depends on besides the submission: the published student versions,
    the course's checks, the course package (the grader included), the run's settings and, with
    ``hidden``, the grader's hidden checks (a Dask worker, which gets those from the grader, compares
    the rest with its own course files)."""
    from .checker import CHECKS_DIR
    from .sandbox import PACKAGE

    h = hashlib.sha256()
    _folder_digest(h, settings.reference_dir, "*.ipynb")
    if settings.checks_dir is not None and Path(settings.checks_dir).resolve() != CHECKS_DIR:
        _folder_digest(h, settings.checks_dir, "*.py")       # a course's own checks outside the package
    if hidden:
        _folder_digest(h, settings.hidden_dir, "*.py")
    _folder_digest(h, PACKAGE, "*.py")
    h.update(json.dumps({"mode": settings.mode(), "cell": settings.cell_timeout, "total": settings.total_timeout,
                         "limits": asdict(settings.limits)}, sort_keys=True).encode())
    return h.hexdigest()


def to_dict(result: Result) -> dict:
    return asdict(result)


def from_dict(data: dict) -> Result:
    """A :class:`Result` from its journal form."""
    data = dict(data)
    data["parts"] = [PartResult(**p) for p in data.get("parts", [])]
    data["duplicate_of"] = tuple(data.get("duplicate_of", ()))
    known = Result.__dataclass_fields__
    return Result(**{k: v for k, v in data.items() if k in known})


class Journal:
    """An append-only JSON-lines file, safe to write from several threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._fh = None

    def __enter__(self) -> Journal:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a", encoding="utf-8")
        return self

    def __exit__(self, *exc) -> None:
        self._fh.close()

    def append(self, name: str, sha256: str, fingerprint: str, result: Result, retried: bool = False) -> None:
        line = json.dumps({"file": name, "sha256": sha256, "fingerprint": fingerprint, "retried": retried,
                           "result": to_dict(result)})
        with self._lock:
            self._fh.write(line + "\n")
            self._fh.flush()
            os.fsync(self._fh.fileno())


def latest(path: Path) -> dict[str, dict]:
    """Return {file name: its last journal line} (a torn last line, from a crash, is skipped)."""
    found: dict[str, dict] = {}
    if not Path(path).exists():
        return found
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and "file" in item and "result" in item:
            found[item["file"]] = item
    return found
