"""What a submission hands over for its checks: written as data in its kernel, read back safely outside.

The checks never run in the student's process. After the last cell, the
grader appends one cell of its own (:func:`export_code`) that evaluates the
expressions the course's metadata names (``course.uses``) and writes each
result as data into the folder shared with the grader:

=============  ====================================================================
kind           written as                        read back as
=============  ====================================================================
``keras``      ``KEY.keras`` (``model.save``)    a Keras model, ``safe_mode=True``, after its
                                                 config is checked to use Keras's own classes only
``array``      ``KEY.npy``                       ``np.load(allow_pickle=False)``, numeric dtypes
``json``       ``KEY.json``                      numbers, strings, lists and dicts of them
``history``    ``KEY.json``                      a :class:`History` (``.history``, ``.epoch``)
``histories``  ``KEY.json``                      {label: :class:`History`}
``namespace``  ``KEY/ATTR.npy|json``             a ``SimpleNamespace`` of arrays and values
=============  ====================================================================

A student who forges these files can hand over only a real model that really
scores, or arrays the checks compare with the grader's own data: a solution.
Used by :mod:`.kernel` (writing) and :mod:`.checker` (reading)::

    >>> code = export_code({"mnist_model": ("keras", "mnist_model")}, "/run/x/export")
    >>> objects, problems = load_all(folder, {"mnist_model": ("keras", "mnist_model")})
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

MANIFEST = "manifest.json"
MAX_FILE = 256 << 20          # the largest handed-over file read back
MAX_TOTAL = 512 << 20
MAX_FILES = 500
MAX_JSON = 16 << 20
FORBIDDEN_CLASSES = {"Lambda", "TFSMLayer", "function"}

# The cell the grader appends. It runs in the student's kernel, so nothing it writes is trusted:
# each file is read back by `load_all` as data and judged by checks that recompute what they need.
_EXPORT = r'''
def __course_export(spec, folder):
    import json as _json, os as _os
    import numpy as _np

    def plain(value):
        if isinstance(value, _np.generic):
            return value.item()
        if isinstance(value, _np.ndarray):
            return value.tolist()
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise TypeError(f"a {type(value).__name__} is not data that can be handed over")

    def history(value):
        return {"history": plain(dict(value.history)), "epoch": plain(list(getattr(value, "epoch", [])))}

    def array(value, path):
        arr = _np.asarray(value)
        if arr.dtype == object:
            raise TypeError("an array of Python objects cannot be handed over")
        _np.save(path + ".npy", arr, allow_pickle=False)

    def write_json(value, path):
        with open(path + ".json", "w", encoding="utf-8") as fh:
            _json.dump(value, fh)

    manifest = {}
    for key, (kind, expr) in spec.items():
        path = _os.path.join(folder, key)
        try:
            value = eval(expr, globals())
            if kind == "keras":
                import keras as _keras
                if not isinstance(value, _keras.Model):
                    raise TypeError(f"{expr} is a {type(value).__name__}, not a Keras model")
                value.save(path + ".keras")
            elif kind == "array":
                array(value, path)
            elif kind == "json":
                write_json(plain(value), path)
            elif kind == "history":
                write_json(history(value), path)
            elif kind == "histories":
                write_json({str(label): history(h) for label, h in dict(value).items()}, path)
            elif kind == "namespace":
                _os.makedirs(path, exist_ok=True)
                for attr, item in vars(value).items():
                    if isinstance(item, _np.ndarray):
                        array(item, _os.path.join(path, attr))
                    else:
                        write_json(plain(item), _os.path.join(path, attr))
            manifest[key] = "ok"
        except BaseException as exc:
            manifest[key] = f"{type(exc).__name__}: {exc}"[:300]
    with open(_os.path.join(folder, "manifest.json"), "w", encoding="utf-8") as fh:
        _json.dump(manifest, fh)


__course_export(%(spec)r, %(folder)r)
del __course_export
'''


def export_code(spec: dict[str, tuple[str, str]], folder: str) -> str:
    """Return the code of the cell that hands ``spec``'s objects over, into ``folder``."""
    return _EXPORT % {"spec": {k: list(v) for k, v in spec.items()}, "folder": folder}


@dataclass
class History:
    """A training history read back from a submission: ``.history`` (metric: values) and ``.epoch``."""

    history: dict[str, list[float]]
    epoch: list[int] = field(default_factory=list)


# --------------------------------------------------------------------------
# copying out of the shared folder, never following a link
# --------------------------------------------------------------------------


def copy_out(shared: Path, target: Path) -> list[str]:
    """Copy the regular files below ``shared`` into ``target``; return what was refused and why.

    Every component is opened relative to its folder with ``O_NOFOLLOW``, so
    a link the submission planted is never followed; sizes and counts are
    capped; names are kept only when they are plain.
    """
    refused: list[str] = []
    target.mkdir(parents=True, exist_ok=True)
    budget = [MAX_TOTAL, MAX_FILES]

    def walk(dir_fd: int, out: Path, depth: int) -> None:
        for name in sorted(os.listdir(dir_fd)):
            if not _plain_name(name):
                refused.append(f"{name[:40]!r}: not a plain file name")
                continue
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
            except OSError as exc:
                refused.append(f"{name}: {exc.strerror or exc}")
                continue
            try:
                info = os.fstat(fd)
                if stat.S_ISDIR(info.st_mode) and depth < 1:
                    (out / name).mkdir(exist_ok=True)
                    walk(fd, out / name, depth + 1)
                elif not stat.S_ISREG(info.st_mode):
                    refused.append(f"{name}: not a regular file")
                elif info.st_size > MAX_FILE or info.st_size > budget[0] or budget[1] <= 0:
                    refused.append(f"{name}: too large ({info.st_size} bytes) or too many files")
                else:
                    budget[0] -= info.st_size
                    budget[1] -= 1
                    with os.fdopen(os.dup(fd), "rb") as src, open(out / name, "wb") as dst:
                        left = info.st_size
                        while left > 0:          # in blocks: the grader's memory stays flat
                            block = src.read(min(left, 1 << 20))
                            if not block:
                                break
                            dst.write(block)
                            left -= len(block)
            finally:
                os.close(fd)

    try:
        root = os.open(shared, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        return [f"the hand-over folder cannot be read ({exc.strerror or exc})"]
    try:
        walk(root, target, 0)
    finally:
        os.close(root)
    return refused


def _plain_name(name: str) -> bool:
    return 0 < len(name) <= 120 and all(c.isalnum() or c in "._-" for c in name) and not name.startswith(".")


# --------------------------------------------------------------------------
# reading back (in the checker's sandbox)
# --------------------------------------------------------------------------


def _keras_config_problem(path: Path) -> str | None:
    """Return why a ``.keras`` file is refused before Keras reads it, or None."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "config.json" not in names or not names <= {"config.json", "metadata.json", "model.weights.h5"}:
                return f"unexpected members {sorted(names)[:5]}"
            info = archive.getinfo("config.json")
            if info.file_size > MAX_JSON:
                return "its config is too large"
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as exc:
        return f"not a .keras archive ({exc})"
    stack = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "class_name" in node or "module" in node:
                module, cls = str(node.get("module") or ""), str(node.get("class_name") or "")
                if not (module == "keras" or module.startswith("keras.")) or node.get("registered_name") \
                        or cls in FORBIDDEN_CLASSES:
                    return f"it uses {module or '?'}.{cls or '?'}, which is not one of Keras's own classes"
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def _load_json(path: Path):
    if path.stat().st_size > MAX_JSON:
        raise ValueError(f"{path.name} is larger than {MAX_JSON >> 20} MB")
    return json.loads(path.read_text(encoding="utf-8"))


def _load_array(path: Path):
    import numpy as np

    arr = np.load(path, allow_pickle=False)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{path.name} holds {arr.dtype} values, not numbers")
    return arr


def _history(data) -> History:
    if not isinstance(data, dict) or not isinstance(data.get("history"), dict):
        raise ValueError("not a training history")
    hist = {}
    for metric, values in data["history"].items():
        if not isinstance(values, list) or not all(isinstance(v, (int, float)) for v in values):
            raise ValueError(f"the history's {metric!r} is not a list of numbers")
        hist[str(metric)] = [float(v) for v in values]
    epoch = data.get("epoch") or []
    return History(hist, [int(e) for e in epoch if isinstance(e, (int, float))])


def load_one(folder: Path, key: str, kind: str):
    """Return the object ``key`` of ``kind`` read back from ``folder`` (raises ValueError with the reason)."""
    if kind == "keras":
        path = folder / f"{key}.keras"
        if not path.is_file():
            raise ValueError("no file was handed over")
        problem = _keras_config_problem(path)
        if problem:
            raise ValueError(f"the model is refused: {problem}")
        import keras

        return keras.saving.load_model(path, safe_mode=True)
    if kind == "array":
        return _load_array(folder / f"{key}.npy")
    if kind == "namespace":
        sub = folder / key
        if not sub.is_dir():
            raise ValueError("no folder was handed over")
        values = {}
        for path in sorted(sub.iterdir()):
            values[path.stem] = _load_array(path) if path.suffix == ".npy" else _load_json(path)
        return SimpleNamespace(**values)
    data = _load_json(folder / f"{key}.json")
    if kind == "history":
        return _history(data)
    if kind == "histories":
        if not isinstance(data, dict):
            raise ValueError("not a dict of histories")
        return {label: _history(h) for label, h in data.items()}
    return data


def load_all(folder: Path, spec: dict[str, tuple[str, str]]) -> tuple[dict, dict[str, str]]:
    """Return ({key: object}, {key: why it is missing}) for every key of ``spec``."""
    manifest = {}
    try:
        manifest = _load_json(folder / MANIFEST)
    except (OSError, ValueError):
        pass
    objects, problems = {}, {}
    for key, (kind, expr) in spec.items():
        said = manifest.get(key) if isinstance(manifest, dict) else None
        if said is not None and said != "ok":
            problems[key] = f"`{expr}` could not be handed over ({str(said)[:200]})"
            continue
        try:
            objects[key] = load_one(folder, key, kind)
        except Exception as exc:  # noqa: BLE001 - anything wrong with a file is the submission's
            reason = str(exc) or type(exc).__name__
            problems[key] = f"`{expr}` was not handed over as a {kind} ({reason[:200]})"
    return objects, problems
