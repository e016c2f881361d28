"""The entries of :func:`course_utils.fit_cached` on disk: one folder per experiment and variant.

``<cache>/<mode>/fits/<name>/<key>/`` holds one training run: ``entry.json``
(the history, the key and what it was made under, the probe, the random
state, the callbacks' state, a checksum over all of it), the trained model
(``model.keras``, or ``model.weights.h5`` for a model that cannot be saved
whole), the best checkpoint and the copied callback files, each with its
checksum in the entry. Several variants of one name (the same cell run with
other settings, or a model trained further) keep an entry each, at most
:data:`MAX_VARIANTS`, the least recently used removed first. Entries are
written in a temporary folder and renamed into place under a lock, so two
kernels never train the same entry twice. Used by :mod:`course_utils.training`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

FORMAT = "course_utils.fit_cached/3"
OLD_FORMATS = ("course_utils.fit_cached/1", "course_utils.fit_cached/2")
ENTRY_FILE = "entry.json"
MODEL_FILE = "model.keras"
WEIGHTS_FILE = "model.weights.h5"
BEST_FILE = "best.keras"
MAX_VARIANTS = 4
_REQUIRED = {"format": str, "key": str, "name": str, "history": dict, "epoch": list, "params": dict,
             "seconds": (int, float), "files": dict, "callbacks": list, "checksum": str}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def checksum(entry: dict[str, Any]) -> str:
    """The SHA-256 of everything an entry holds but its checksum (an edited history changes it)."""
    body = {k: v for k, v in entry.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def variant_dir(folder: Path, name: str, key: str) -> Path:
    return folder / name / key[:16]


def copy_atomic(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}~{uuid.uuid4().hex}.tmp")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def lock(folder: Path, name: str):
    """Take the lock of ``name`` in ``folder`` (waiting, and saying so, while another process trains it)."""
    from filelock import FileLock, Timeout

    held = FileLock(str(folder / f".{name}.lock"))
    try:
        held.acquire(timeout=0)
    except Timeout:
        print(f"fit_cached: another process is training {name!r} in {folder}; waiting for it, "
              "then replaying its result.", flush=True)
        held.acquire()
    return held


def _course_file(path: Path) -> bool:
    """True for a JSON file that fit_cached wrote (an earlier format), by its content."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") in OLD_FORMATS


def clean_old_formats(folder: Path, name: str) -> None:
    """Remove entries of ``name`` in the course's earlier formats, and the leftovers of interrupted runs.

    Only files the course wrote go, told by their content: a student's own
    ``baseline.json`` in the same folder stays.
    """
    legacy = folder / f"{name}.json"
    if legacy.is_file() and _course_file(legacy):
        print(f"fit_cached: {name!r} was cached in an older format ({legacy.name}); training again.")
        legacy.unlink()
        (folder / f"{name}.keras").unlink(missing_ok=True)
    old = folder / name / ENTRY_FILE
    if old.is_file() and _course_file(old):
        print(f"fit_cached: {name!r} was cached in an older format; training again.")
        for part in (ENTRY_FILE, MODEL_FILE, BEST_FILE):
            (folder / name / part).unlink(missing_ok=True)
        shutil.rmtree(folder / name / "callbacks", ignore_errors=True)
    for leftover in (folder / name).glob(".*~*.tmp") if (folder / name).is_dir() else []:
        shutil.rmtree(leftover, ignore_errors=True)


def read(entry_dir: Path, key: str, name: str) -> dict[str, Any] | None:
    """Return the entry in ``entry_dir`` if it is complete, unedited, made under ``key``, its files intact."""
    path = entry_dir / ENTRY_FILE
    if not path.exists():
        return None
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            raise ValueError(f"format {entry.get('format') if isinstance(entry, dict) else '?'!r}, expected {FORMAT!r}")
        missing = [k for k, kind in _REQUIRED.items() if not isinstance(entry.get(k), kind)]
        if missing:
            raise ValueError(f"incomplete: no valid {', '.join(missing)}")
        if entry["checksum"] != checksum(entry):
            raise ValueError("its content does not match its checksum: it was edited or damaged")
        if not all(isinstance(v, list) for v in entry["history"].values()):
            raise ValueError("the history is not a dict of lists")
    except (OSError, ValueError) as exc:
        warnings.warn(f"fit_cached: the cache entry {entry_dir} is unreadable ({short(exc)}); training again "
                      "and replacing it.", stacklevel=4)
        return None
    if entry["key"] != key or entry["name"] != name:
        return None
    for relative, digest in entry["files"].items():
        file = entry_dir / relative
        if not file.is_file() or sha256_file(file) != digest:
            warnings.warn(f"fit_cached: the file {file} is missing or does not belong to this cache entry (its "
                          "checksum differs from the one recorded with the history); training again.", stacklevel=4)
            return None
    return entry


def variants(folder: Path, name: str) -> list[tuple[Path, dict]]:
    """Return the readable entries of ``name``, most recently used first."""
    found = []
    base = folder / name
    for sub in base.iterdir() if base.is_dir() else []:
        try:
            entry = json.loads((sub / ENTRY_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(entry, dict) and entry.get("format") == FORMAT:
            found.append((sub, entry))
    return sorted(found, key=lambda item: item[0].stat().st_mtime, reverse=True)


def publish(staging: Path, final: Path) -> None:
    """Put the finished ``staging`` folder in the place of ``final`` (under the entry's lock)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}~{uuid.uuid4().hex}.old.tmp")
        os.rename(final, old)
    os.rename(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def prune(folder: Path, name: str, keep: int = MAX_VARIANTS) -> int:
    """Remove the least recently used variants of ``name`` beyond ``keep``; return how many went."""
    extra = variants(folder, name)[keep:]
    for sub, _ in extra:
        shutil.rmtree(sub, ignore_errors=True)
    return len(extra)


def touch(entry_dir: Path) -> None:
    """Mark a variant as just used (pruning removes the least recently used)."""
    now = time.time()
    os.utime(entry_dir, (now, now))


def write_entry(staging: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Write ``entry`` (as the JSON it reads back as) with its checksum; return what was written."""
    entry = json.loads(json.dumps({k: v for k, v in entry.items() if k != "checksum"}, default=str))
    entry["checksum"] = checksum(entry)
    (staging / ENTRY_FILE).write_text(json.dumps(entry, indent=1), encoding="utf-8")
    return entry


def short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]
