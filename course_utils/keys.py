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


def _const(value) -> Any:
    """A constant of a code object, described the same in every process (a frozenset's order is not)."""
    if isinstance(value, types.CodeType):
        return _code(value)
    if isinstance(value, frozenset):
        return {"frozenset": sorted(repr(v) for v in value)}
    return repr(value)


def _code(code: types.CodeType) -> dict[str, Any]:
    """The parts of a code object that decide what it does (not its file name or line numbers)."""
    return {"bytecode": hashlib.sha256(code.co_code).hexdigest(),
            "consts": [_const(c) for c in code.co_consts],
            "names": list(code.co_names)}


def _global_names(code: types.CodeType) -> set[str]:
    """The global names a function reads (not its attribute names: ``self.model`` is not ``model``)."""
    names = {ins.argval for ins in dis.get_instructions(code) if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


# Collections longer than this are kept in a description by their checksum only (a large table read
# by a schedule would otherwise be copied into every entry.json).
LONG = 200
# The key describes your code and objects (functions, classes, the values they read or hold). Switched
# off only by the tests that show what the probe alone catches: then they are named, not described.
DESCRIBE_CODE = True


class Describer:
    """Turns settings of any type into JSON: values as they are, code as a checksum of its bytecode.

    A function is described by its bytecode, its defaults, its closure and the
    values of the globals it reads (recursively), so editing its body, or a
    number it reads, changes the description; a class of yours by its
    methods and its class attributes; an object of yours by all its
    attributes (``_``-prefixed ones too, whatever its ``get_config`` returns);
    a bound method by its function and its object. ``seen`` stops cycles.
    """

    def __init__(self, depth: int = 12):
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
            return _long([self(v, depth - 1) for v in value])
        if isinstance(value, (set, frozenset)):
            return _long(sorted((self(v, depth - 1) for v in value), key=repr))
        if isinstance(value, dict):
            return _long({str(k): self(v, depth - 1) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))})
        if isinstance(value, types.ModuleType):
            return {"module": value.__name__}
        if not DESCRIBE_CODE and self.user_part(value):
            return {"yours": qualname(value if isinstance(value, (type, types.FunctionType)) else type(value))}
        if id(value) in self.seen:
            return {"ref": qualname(value if isinstance(value, type) else type(value))}
        self.seen.add(id(value))
        if isinstance(value, functools.partial):
            return {"partial": self(value.func, depth - 1), "args": self(value.args, depth - 1),
                    "keywords": self(value.keywords, depth - 1)}
        if isinstance(value, types.MethodType):
            owner = value.__self__
            return {"method": self(value.__func__, depth - 1),
                    "of": self.class_code(owner) if isinstance(owner, type) else self(owner, depth - 1)}
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
        if is_library(fn) or not DESCRIBE_CODE:
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
        """A class's name, plus the code of the methods and the class attributes it and its non-library
        bases define (``FACTOR = 2.0`` in the class body counts like a number a method reads)."""
        methods, attributes = {}, {}
        if DESCRIBE_CODE:
            for klass in cls.__mro__:
                if is_library(klass):
                    continue
                for attr, member in sorted(vars(klass).items()):
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if isinstance(member, property):
                        member = member.fget
                    if isinstance(member, types.FunctionType):
                        methods[f"{klass.__qualname__}.{attr}"] = self(member, self.depth - 2)
                    elif not (attr.startswith("__") and attr.endswith("__")) and not callable(member):
                        attributes[f"{klass.__qualname__}.{attr}"] = self(member, self.depth - 2)
        described: dict[str, Any] = {"class": qualname(cls)}
        if methods:
            described["methods"] = methods
        if attributes:
            described["attributes"] = attributes
        return described

    def instance(self, obj, depth: int) -> Any:
        described = self.class_code(type(obj))
        if hasattr(obj, "get_config"):
            try:
                described["config"] = json.loads(json.dumps(obj.get_config(), default=repr))
            except Exception:  # noqa: BLE001 - a get_config that needs arguments, or raises
                pass
        mine = not is_library(type(obj))      # an object of a class of yours: every attribute counts
        settings = {}
        for attr, value in sorted(getattr(obj, "__dict__", {}).items()):
            if not mine and attr.startswith("_") and not self.user_part(value):
                continue
            if not mine and "config" in described and not self.user_part(value):
                continue  # a library object's setting: already in its config
            if mine and (attr in _KERAS_INTERNALS or not (_plain(value) or self.user_part(value)
                                                          or hasattr(value, "get_config"))):
                continue  # Keras's own bookkeeping on a subclass of its classes (trackers, locks...)
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


def _plain(value) -> bool:
    """True for data: numbers, strings, None, arrays, and lists, tuples, sets and dicts of such."""
    if value is None or isinstance(value, (bool, int, float, str, np.generic, np.ndarray)):
        return True
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_plain(v) for v in list(value)[:LONG])
    if isinstance(value, dict):
        return all(_plain(v) for v in list(value.values())[:LONG])
    return False


def _long(described):
    """A described collection, or only its checksum when it is long (see :data:`LONG`)."""
    if len(described) <= LONG:
        return described
    blob = json.dumps(described, sort_keys=True, default=repr).encode()
    return {"items": len(described), "sha256": hashlib.sha256(blob).hexdigest()}


# attributes Keras sets on every layer, loss, metric or callback: its state, described elsewhere
_KERAS_INTERNALS = {"_tracker", "_layers", "_metrics", "_losses", "_trainable_variables",
                    "_non_trainable_variables", "_seed_generators", "_model", "model", "params", "_parent_path",
                    "_path", "_call_signature", "_call_context_args", "built", "_build_shapes_dict",
                    "_inbound_nodes", "_outbound_nodes", "_input_spec", "_variables", "_convert_input_args",
                    "_allow_non_tensor_positional_args", "_self_setattr_tracking", "_called", "_lock",
                    "_call_has_training_arg", "_call_has_mask_arg", "_supports_masking", "_obj_type",
                    "_chief_worker_only", "_supports_tf_logs", "validation_data", "_dtype_policy",
                    "_losses_override", "_saved_model_inputs_spec", "_saved_model_arg_spec", "_jit_compiled"}


def lambdas_dropped(data: Any) -> Any:
    """Return Keras's serialised form (JSON data) with the payload of every serialised lambda dropped.

    Keras serialises a lambda (a ``Lambda`` layer, a lambda loss or metric) with
    its bytecode, which holds the kernel's file name and line numbers, so the
    same cell gives another form in every kernel. The key describes the
    function itself instead (:class:`Describer`: bytecode without file or lines).
    """
    if isinstance(data, dict):
        if data.get("class_name") == "__lambda__":
            return {"class_name": "__lambda__"}
        return {k: lambdas_dropped(v) for k, v in data.items()}
    if isinstance(data, list):
        return [lambdas_dropped(v) for v in data]
    return data


def canonical_names(data: Any) -> Any:
    """Return ``data`` (JSON data) with Keras's automatic names made canonical.

    Keras numbers automatic names per session (``dense``, ``dense_1``,
    ``adam_2``...), so the same experiment built twice gets other names.
    Every value of a ``"name"`` key becomes its stem plus its order of
    appearance (``dense#3``), everywhere it occurs (but inside the
    description of a code object, whose names are identifiers), which keeps
    the wiring of functional models and every other setting.
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
            if "bytecode" in node:      # a code object's names are identifiers, not Keras's names
                return node
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


_PARTS = {"architecture": "the architecture", "starting_state": "the starting weights (seed, initializers or "
          "earlier training)", "compiled": "the compile settings", "compile_code": "the code of the loss or metrics",
          "fit": "the fit arguments", "callbacks": "the callbacks", "save_best": "save_best",
          "data": "the data", "mode": "the mode (COURSE_FAST / COURSE_DATA)", "keras": "the Keras version",
          "format": "the cache's format"}
_DATA = {"x": "the training inputs", "y": "the training targets", "validation": "the validation data",
         "sample_weight": "the sample weights"}


def _differences(a, b, path: tuple = ()) -> list[tuple]:
    """The paths (tuples of keys) where two JSON descriptions first differ."""
    if type(a) is not type(b):
        return [path]
    if isinstance(a, dict):
        found = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                found.append(path + (key,))
            elif a[key] != b[key]:
                found += _differences(a[key], b[key], path + (key,))
        return found
    if isinstance(a, list):
        if len(a) != len(b):
            return [path]
        found = []
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                found += _differences(x, y, path + (i,))
        return found
    return [] if a == b else [path]


def _in_words(path: tuple, new: dict) -> str:
    top = path[0] if path else ""
    if top == "data" and len(path) > 1:
        return _DATA.get(path[1], "the data")
    if top == "compiled" and len(path) > 1:
        if path[1] == "optimizer":
            setting = next((p for p in reversed(path) if isinstance(p, str) and p not in ("config", "optimizer")), "")
            return f"the optimizer's {setting}".strip() if setting else "the optimizer"
        return f"the {path[1]} given to compile"
    code = [p for p in path if isinstance(p, str) and "." in p and p[0].isalpha()]
    if top in ("architecture", "compile_code", "callbacks", "fit") and code:
        return f"the code of `{code[-1]}`"
    if top == "callbacks" and len(path) > 1 and isinstance(path[1], int):
        try:
            name = new["callbacks"][path[1]]["class"].rsplit(".", 1)[-1]
        except (KeyError, IndexError, TypeError):
            name = "a callback"
        setting = path[3] if len(path) > 3 and path[2] == "settings" else ""
        return f"{name}'s {setting}" if setting else f"the callback {name}"
    if top == "fit" and len(path) > 1:
        return f"the fit argument {path[1]}"
    if top == "architecture" and "holds" in path and path.index("holds") + 1 < len(path):
        attr = path[path.index("holds") + 1]
        return f"the model's {attr}" if path[2] == "0" else f"a layer's {attr}"
    if top == "architecture" and "custom" in path:
        return "a custom layer (its code or the values it holds)"
    return _PARTS.get(top, str(top) or "the experiment")


def what_changed(old: dict, new: dict, limit: int = 3) -> list[str]:
    """Return, in words, what differs between two experiment descriptions (``entry.json``'s "experiment").

    ``["the optimizer's learning_rate", "the code of `MyLayer.call`", "the starting weights (...)"]``
    """
    words: list[str] = []
    for path in _differences(old, new):
        text = _in_words(path, new)
        if text not in words:
            words.append(text)
    return words[:limit] + ([f"and {len(words) - limit} more"] if len(words) > limit else [])
