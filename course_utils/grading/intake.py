"""Which files of a submissions folder are gradable, and what each is a submission of.

Nothing a file says about itself decides this: a file is matched to one of
the course's notebooks by the notebook part of its *name*, compared without
regard to case (``Alice_02_First_MLP.ipynb`` is student "Alice", notebook
``02_first_mlp``); its points and checks are always the course's. Before a
file is run it must be a regular file (not a link, a folder, a device or a
pipe), of reasonable size, and a valid version-4 notebook (nbformat's own
validator); otherwise it is "not a gradable notebook", with the reason.
Used by :mod:`.grade`::

    >>> entries = scan(folder, ["02_first_mlp", "05_miniproject_cnn"])
    >>> [(e.name, e.notebook, e.student, e.problem) for e in entries]
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 64 * 2**20          # a submitted notebook larger than this is refused unread
MAX_CELLS = 5000


@dataclass
class Entry:
    """One file of the submissions folder."""

    path: Path
    name: str
    notebook: str = ""          # the course notebook's stem, "" when the name matches none
    student: str = ""
    problem: str = ""           # why it is not graded ("" for a gradable file)
    skipped: bool = False       # not a file at all (a link, a folder...): listed, never opened
    duplicate_of: tuple[str, ...] = ()


def match(name: str, stems: list[str]) -> tuple[str, str]:
    """Return (notebook stem, student) for a submission's file name; ("", name) when it names no notebook.

    The longest stem contained in the file's name wins, compared in lower
    case; the student is what is left, without separators.
    """
    stem = Path(name).stem
    lower = stem.lower()
    for candidate in sorted(stems, key=len, reverse=True):
        at = lower.find(candidate.lower())
        if at >= 0:
            student = (stem[:at] + stem[at + len(candidate):]).strip("_- .")
            return candidate, student or stem
    return "", stem


def scan(folder: Path, stems: list[str]) -> list[Entry]:
    """Return an :class:`Entry` for every name in ``folder`` (not recursive), sorted by name.

    Links and anything that is not a regular file are skipped with the
    reason (never followed: a link to a solution is not a submission); two
    files that map to the same student and notebook both stay, each marked
    with the other.
    """
    entries = []
    for name in sorted(os.listdir(folder)):
        path = Path(folder) / name
        info = os.lstat(path)
        entry = Entry(path, name)
        if stat.S_ISLNK(info.st_mode):
            entry.problem, entry.skipped = "skipped: a symbolic link (links are never followed)", True
        elif not stat.S_ISREG(info.st_mode):
            entry.problem, entry.skipped = "skipped: not a regular file", True
        elif name.startswith("."):
            entry.problem, entry.skipped = "skipped: a hidden file", True
        entries.append(entry)
        if entry.skipped:
            continue
        entry.notebook, entry.student = match(name, stems)
        if not entry.notebook:
            entry.problem = "matches no notebook of the course (0 points): name the file after the notebook " \
                            f"it answers, e.g. student_{stems[0] if stems else 'NN_topic'}.ipynb"
    groups: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        if entry.notebook:
            groups.setdefault((entry.student.lower(), entry.notebook), []).append(entry)
    for group in groups.values():
        if len(group) > 1:
            for entry in group:
                entry.duplicate_of = tuple(e.name for e in group if e is not entry)
    return entries


class NotGradable(ValueError):
    """A file that is not a gradable notebook; the message says why."""


def load(path: Path) -> dict:
    """Return the notebook in ``path`` as plain JSON data, or raise :class:`NotGradable` with the reason.

    Reads at most :data:`MAX_BYTES` (through a descriptor opened without
    following links), parses JSON, and validates it with nbformat's own
    validator as a version-4 notebook.
    """
    import nbformat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise NotGradable(f"cannot be opened ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise NotGradable("not a regular file")
        raw = fh.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise NotGradable(f"larger than {MAX_BYTES // 2**20} MB")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotGradable(f"not JSON ({str(exc)[:80]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotGradable("JSON, but not a notebook (no list of cells)")
    if data.get("nbformat") != 4 or not isinstance(data.get("nbformat_minor"), int):
        raise NotGradable(f"not a version-4 notebook (nbformat {str(data.get('nbformat'))[:20]!r})")
    if len(data["cells"]) > MAX_CELLS:
        raise NotGradable(f"more than {MAX_CELLS} cells")
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - whatever nbformat finds wrong
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotGradable(f"not a valid notebook ({first[:120]})") from None
    return json.loads(json.dumps(nb))
