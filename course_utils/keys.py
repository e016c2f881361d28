"""Describing what a training run depends on: data, code, settings, starting weights.

The pieces of :func:`course_utils.fit_cached`'s and
:func:`course_utils.tuner_folder`'s keys. Data is described by its shape,
dtype and a checksum; a function by its bytecode, its defaults, its closure
and the values of the globals it reads (so editing its body, or a number it
reads, changes the description); a class of yours by the code of its
methods; library code (Keras, NumPy...) by its name only, since the Keras
version is part of the key. Example::

    >>> fingerprint(np.zeros((2, 3), "float32"))["shape"]
    [2, 3]
    >>> Describer()(lambda epoch, lr: lr * 0.5)["function"]
    '<lambda>'
"""

from __future__ import annotations

import dis
import functools
import hashlib
import json
import os
import re
import sys
import sysconfig
import types
from typing import Any

import numpy as np


def fingerprint(data) -> Any:
    """Return a JSON-able description of ``data``: shape, dtype and a checksum.

    Handles NumPy arrays, SciPy sparse matrices, tensors, lists/tuples/dicts
    of them, and plain numbers. Used for the keys of :func:`fit_cached` and
    :func:`tuner_folder`::

        >>> fingerprint(np.zeros((2, 3), "float32"))["shape"]
        [2, 3]
    """
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, dict):
        return {str(k): fingerprint(v) for k, v in sorted(data.items(), key=lambda kv: str(kv[0]))}
    if isinstance(data, (list, tuple)) and not _looks_numeric(data):
        return [fingerprint(v) for v in data]
    if hasattr(data, "tocsr") and hasattr(data, "nnz"):  # scipy.sparse
        m = data.tocsr()
        h = hashlib.sha256()
        for part in (m.data, m.indices, m.indptr):
            h.update(np.ascontiguousarray(part).tobytes())
        return {"sparse": list(m.shape), "dtype": str(m.dtype), "sha256": h.hexdigest()}
    if hasattr(data, "numpy") and not isinstance(data, np.ndarray):  # a tensor
        data = data.numpy()
    if isinstance(data, (list, tuple, np.ndarray, np.generic)):
        arr = np.asarray(data)
        if arr.dtype == object:
            raise TypeError("fit_cached cannot fingerprint ragged data; pad or vectorise it first.")
        return {"shape": list(arr.shape), "dtype": str(arr.dtype),
                "sha256": hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()}
    raise TypeError(
        f"fit_cached cannot fingerprint data of type {type(data).__name__}. "
        "Pass NumPy arrays or SciPy sparse matrices (not a tf.data.Dataset or a generator)."
    )


def _looks_numeric(seq) -> bool:
    return len(seq) > 0 and isinstance(seq[0], (int, float, np.number))


_LIBRARY_DIRS = tuple(sorted({os.path.realpath(sysconfig.get_paths()[k]) + os.sep
                               for k in ("stdlib", "platstdlib", "purelib", "platlib")}))


@functools.lru_cache(maxsize=None)
def _moduleis_library(module: str) -> bool:
    """True for the standard library and installed packages; False for a notebook, the course, tests."""
    if not module or module == "__main__":
        return False
    if module == "builtins" or module.split(".")[0] in sys.builtin_module_names:
        return True
    file = getattr(sys.modules.get(module) or sys.modules.get(module.split(".")[0]), "__file__", None)
    if file is None:
        return module.split(".")[0] in sys.stdlib_module_names
    return os.path.realpath(file).startswith(_LIBRARY_DIRS)


def is_library(obj) -> bool:
    """Library code is named, not hashed: its version does not change between two runs of a cell."""
    return _moduleis_library(getattr(obj, "__module__", None) or "")


def qualname(obj) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__name__)}"


def _code(code: types.CodeType) -> dict[str, Any]:
    """The parts of a code object that decide what it does (not its line numbers)."""
    return {"bytecode": hashlib.sha256(code.co_code).hexdigest(),
            "consts": [_code(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts],
            "names": list(code.co_names)}


def _global_names(code: types.CodeType) -> set[str]:
    """The global names a function reads (not its attribute names: ``self.model`` is not ``model``)."""
    names = {ins.argval for ins in dis.get_instructions(code) if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


class Describer:
    """Turns settings of any type into JSON: values as they are, code as a checksum of its bytecode.

    A function is described by its bytecode, its defaults, its closure and the
    values of the globals it reads (recursively), so editing its body, or a
    number it reads, changes the description. ``seen`` stops cycles.
    """

    def __init__(self, depth: int = 6):
        self.depth = depth
        self.seen: set[int] = set()

    def __call__(self, value, depth: int | None = None) -> Any:
        depth = self.depth if depth is None else depth
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, np.generic):
            return {"numpy": str(value.dtype), "value": value.item()}
        if isinstance(value, np.ndarray) or (hasattr(value, "numpy") and hasattr(value, "shape")):
            return fingerprint(value)
        if depth <= 0:
            return {"object": qualname(type(value))}
        if isinstance(value, (list, tuple)):
            return [self(v, depth - 1) for v in value]
        if isinstance(value, (set, frozenset)):
            return sorted((self(v, depth - 1) for v in value), key=repr)
        if isinstance(value, dict):
            return {str(k): self(v, depth - 1) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
        if isinstance(value, types.ModuleType):
            return {"module": value.__name__}
        if id(value) in self.seen:
            return {"ref": qualname(value if isinstance(value, type) else type(value))}
        self.seen.add(id(value))
        if isinstance(value, functools.partial):
            return {"partial": self(value.func, depth - 1), "args": self(value.args, depth - 1),
                    "keywords": self(value.keywords, depth - 1)}
        if isinstance(value, types.MethodType):
            return {"method": self(value.__func__, depth - 1), "of": self.class_code(type(value.__self__))}
        if isinstance(value, types.FunctionType):
            return self.function(value, depth)
        if isinstance(value, type):
            return self.class_code(value)
        if callable(value) and not hasattr(value, "__dict__"):  # a builtin
            return {"builtin": qualname(value)}
        if callable(value) and hasattr(value, "__qualname__") and is_library(value):  # np.mean and the like
            return {"function": qualname(value)}
        return self.instance(value, depth)

    def function(self, fn: types.FunctionType, depth: int) -> Any:
        if is_library(fn):
            return {"function": qualname(fn)}
        described = {"function": fn.__qualname__, "code": _code(fn.__code__),
                     "defaults": self(fn.__defaults__, depth - 1),
                     "kwdefaults": self(fn.__kwdefaults__, depth - 1)}
        if fn.__closure__:
            cells = []
            for cell in fn.__closure__:
                try:
                    cells.append(self(cell.cell_contents, depth - 1))
                except ValueError:  # an empty cell
                    cells.append(None)
            described["closure"] = cells
        reads = {}
        for name in sorted(_global_names(fn.__code__)):
            if name in fn.__globals__:
                reads[name] = self(fn.__globals__[name], depth - 1)
        described["globals"] = reads
        return described

    def class_code(self, cls: type) -> Any:
        """A class's name, plus the code of the methods it and its non-library bases define."""
        methods = {}
        for klass in cls.__mro__:
            if is_library(klass):
                continue
            for attr, member in sorted(vars(klass).items()):
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                if isinstance(member, property):
                    member = member.fget
                if isinstance(member, types.FunctionType):
                    methods[f"{klass.__qualname__}.{attr}"] = self(member, 2)
        described: dict[str, Any] = {"class": qualname(cls)}
        if methods:
            described["methods"] = methods
        return described

    def instance(self, obj, depth: int) -> Any:
        described = self.class_code(type(obj))
        if hasattr(obj, "get_config"):
            try:
                described["config"] = json.loads(json.dumps(obj.get_config(), default=repr))
            except Exception:  # noqa: BLE001 - a get_config that needs arguments, or raises
                pass
        settings = {}
        for attr, value in sorted(getattr(obj, "__dict__", {}).items()):
            if attr.startswith("_") and not self.user_part(value):
                continue
            if "config" in described and not self.user_part(value):
                continue  # already in its config
            settings[attr] = self(value, depth - 1)
        if settings:
            described["settings"] = settings
        return described

    @staticmethod
    def user_part(value) -> bool:
        """True for a function or object defined in the course or a notebook (not in a library)."""
        if isinstance(value, (functools.partial, types.MethodType)):
            return True
        if isinstance(value, (types.FunctionType, type)):
            return not is_library(value)
        return hasattr(value, "__dict__") and not isinstance(value, types.ModuleType) \
            and not is_library(type(value))


def canonical_names(data: Any) -> Any:
    """Return ``data`` (JSON data) with Keras's automatic names made canonical.

    Keras numbers automatic names per session (``dense``, ``dense_1``,
    ``adam_2``...), so the same experiment built twice gets other names.
    Every value of a ``"name"`` key becomes its stem plus its order of
    appearance (``dense#3``), everywhere it occurs, which keeps the wiring
    of functional models and every other setting.
    """
    found: dict[str, str] = {}

    def collect(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "name" and isinstance(value, str) and value not in found:
                    found[value] = f"{re.sub(r'_[0-9]+$', '', value)}#{len(found)}"
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    def rename(node):
        if isinstance(node, dict):
            return {key: rename(value) for key, value in node.items()}
        if isinstance(node, list):
            return [rename(value) for value in node]
        if isinstance(node, str):
            return found.get(node, node)
        return node

    collect(data)
    return rename(data)


def starting_state(model) -> str:
    """Return a SHA-256 of the model's variables (weights and random-seed state) and its optimizer's step.

    Two models built the same way after the same seed have the same value; a
    model trained a little more, or built after another seed, has another.
    """
    h = hashlib.sha256()
    for variable in model.variables:
        arr = np.asarray(variable)
        h.update(f"{arr.shape}{arr.dtype}".encode())
        h.update(np.ascontiguousarray(arr).tobytes())
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False) and int(optimizer.iterations) > 0:
        for variable in optimizer.variables:
            h.update(np.ascontiguousarray(np.asarray(variable)).tobytes())
    return h.hexdigest()
