"""The probe that proves a replay: the first training steps, recomputed before every replay.

A description of Python code is never complete, so :func:`course_utils.fit_cached`
does not trust its key alone. When it stores a training it also stores the
**probe**: the loss and metrics of one validation batch at the starting
weights, then of the first :data:`STEPS` training steps (batches of at most
:data:`BATCH` rows, in order, with the fit's sample or class weights). Before a
replay it computes the probe again from the model as it is now (its weights,
optimizer, loss, metrics, custom layers, the data) and replays only when both
agree within :data:`RTOL`; otherwise the replay would have been stale, and it
trains again. The probe runs eagerly on the model itself, whose weights,
optimizer state and random-generator states are put back exactly afterwards.

What the probe cannot see, so that the key still covers it: anything that
acts after its first steps (the number of epochs, a schedule that changes
later, callbacks, which act between batches and epochs, EarlyStopping's
patience), and rows of the data it does not read (the key checksums them all).

Also here: the random-generator states a replay restores (:func:`rng_state`).
Used by :mod:`course_utils.training`::

    >>> stored = run(model, x, y, {"batch_size": 128, "validation_data": (x_val, y_val)})
    >>> agrees(stored, run(model, x, y, {...}))
    (True, '')
"""

from __future__ import annotations

import math
import random
import re
import time
from typing import Any

import numpy as np

from .keys import fingerprint

STEPS = 2           # training steps recomputed
BATCH = 32          # rows per step at most
RTOL, ATOL = 1e-4, 1e-6   # honest reruns on one machine agree far closer (README: measured)


def _rows(data, start: int, stop: int):
    """Rows ``start:stop`` of an array, a SciPy sparse matrix, or a list/tuple/dict of them."""
    if data is None:
        return None
    if isinstance(data, dict):
        return {k: _rows(v, start, stop) for k, v in data.items()}
    if isinstance(data, (list, tuple)) and data and hasattr(data[0], "shape"):
        return type(data)(_rows(v, start, stop) for v in data)
    return data[start:stop]


def _length(data) -> int:
    if isinstance(data, dict):
        data = next(iter(data.values()))
    if isinstance(data, (list, tuple)) and data and hasattr(data[0], "shape"):
        data = data[0]
    return int(data.shape[0]) if hasattr(data, "shape") else len(data)


def _backend(data):
    """SciPy sparse matrices as TensorFlow sparse tensors (what a single training step takes)."""
    if hasattr(data, "tocoo") and hasattr(data, "nnz"):
        import tensorflow as tf

        coo = data.tocoo()
        return tf.sparse.reorder(tf.SparseTensor(np.stack([coo.row, coo.col], axis=1).astype("int64"),
                                                 coo.data, coo.shape))
    if isinstance(data, dict):
        return {k: _backend(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)) and data and hasattr(data[0], "shape"):
        return type(data)(_backend(v) for v in data)
    return data


def _validation(x, y, fit_kwargs: dict[str, Any]):
    if fit_kwargs.get("validation_data") is not None:
        val = fit_kwargs["validation_data"]
        return val[0], val[1]
    split = fit_kwargs.get("validation_split") or 0.0
    if split:
        n = _length(x)
        start = int(math.floor(n * (1.0 - split)))      # Keras keeps the last rows for validation
        return _rows(x, start, n), _rows(y, start, n)
    return None, None


# --------------------------------------------------------------------------
# leaving the model exactly as it was
# --------------------------------------------------------------------------


def _snapshot(model) -> dict:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        optimizer.build(model.trainable_variables)
    return {"model": [v.numpy().copy() for v in model.variables],
            "optimizer": [v.numpy().copy() for v in optimizer.variables] if optimizer is not None else [],
            "rng": rng_state(model), "eager": model.run_eagerly}


def _restore(model, snap: dict) -> None:
    for variable, value in zip(model.variables, snap["model"]):
        variable.assign(value)
    if getattr(model, "optimizer", None) is not None:
        for variable, value in zip(model.optimizer.variables, snap["optimizer"]):
            variable.assign(value)
    set_rng_state(model, snap["rng"])
    model.run_eagerly = snap["eager"]
    for attr in ("train_function", "test_function", "predict_function"):   # built again, in graph mode
        if hasattr(model, attr):
            setattr(model, attr, None)


def run(model, x, y, fit_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return the probe of training ``model`` on (x, y) with ``fit_kwargs``; the model is left as it was.

    ``{"batch", "steps": [{metric: value}], "val": {metric: value} or None,
    "data": checksums of the rows read, "seconds"}``, or ``{"skipped": reason}``
    when this model cannot take single steps (the key alone then decides).
    """
    start = time.perf_counter()
    batch = max(1, min(int(fit_kwargs.get("batch_size") or 32), BATCH))
    steps = max(1, min(STEPS, _length(x) // batch))
    x_val, y_val = _validation(x, y, fit_kwargs)
    weights = fit_kwargs.get("sample_weight")
    snap = _snapshot(model)
    result: dict[str, Any] = {"batch": batch, "steps": [], "val": None}
    try:
        model.run_eagerly = True
        for attr in ("train_function", "test_function"):
            setattr(model, attr, None)
        if x_val is not None:
            result["val"] = _floats(model.test_on_batch(_backend(_rows(x_val, 0, batch)), _rows(y_val, 0, batch),
                                                        return_dict=True))
        for i in range(steps):
            rows = (i * batch, (i + 1) * batch)
            logs = model.train_on_batch(_backend(_rows(x, *rows)), _rows(y, *rows),
                                        sample_weight=_rows(weights, *rows),
                                        class_weight=fit_kwargs.get("class_weight"), return_dict=True)
            result["steps"].append(_floats(logs))
    except Exception as exc:  # noqa: BLE001 - a model that only fit() can train
        return {"skipped": f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}"}
    finally:
        _restore(model, snap)
    result["data"] = {"x": fingerprint(_rows(x, 0, steps * batch)), "y": fingerprint(_rows(y, 0, steps * batch)),
                      "x_val": fingerprint(_rows(x_val, 0, batch)), "y_val": fingerprint(_rows(y_val, 0, batch))}
    result["seconds"] = round(time.perf_counter() - start, 3)
    return result


def _floats(logs: dict) -> dict[str, float]:
    return {str(k): float(np.asarray(v)) for k, v in logs.items()}


def stem(name: str) -> str:
    """A metric's name without Keras's session counter: ``val_auc_1`` -> ``val_auc``."""
    return re.sub(r"_[0-9]+$", "", name)


def _by_stem(logs: dict[str, float]) -> dict[str, float]:
    return {stem(k): v for k, v in logs.items()}


def agrees(stored: dict, fresh: dict, rtol: float = RTOL, atol: float = ATOL) -> tuple[bool, str]:
    """Return (True, "") when two probes agree, else (False, what differs)."""
    if "skipped" in stored or "skipped" in fresh:
        return True, ""
    if stored.get("data") != fresh.get("data"):
        return False, "the rows the probe reads differ"
    pairs = [("validation batch", stored.get("val") or {}, fresh.get("val") or {})]
    pairs += [(f"training step {i + 1}", a, b) for i, (a, b) in enumerate(zip(stored["steps"], fresh["steps"]))]
    if len(stored["steps"]) != len(fresh["steps"]):
        return False, "the number of steps differs"
    for where, a, b in pairs:
        a, b = _by_stem(a), _by_stem(b)
        if set(a) != set(b):
            return False, f"{where}: the metrics differ ({sorted(a)} then, {sorted(b)} now)"
        for metric in sorted(a):
            if not math.isclose(a[metric], b[metric], rel_tol=rtol, abs_tol=atol) and \
                    not (math.isnan(a[metric]) and math.isnan(b[metric])):
                return False, f"{where}: {metric} was {a[metric]:.6g}, is now {b[metric]:.6g}"
    return True, ""


def current_names(fresh: dict) -> dict[str, str]:
    """Return {stem: the name this session's model gives it} from a probe (``val_`` names included)."""
    names = {}
    for logs, prefix in ((fresh.get("steps") or [{}])[0], ""), (fresh.get("val") or {}, "val_"):
        for name in logs:
            names[stem(prefix + name)] = prefix + name
    return names


# --------------------------------------------------------------------------
# random generators
# --------------------------------------------------------------------------


def _seed_variables(model) -> list:
    return [v for v in model.variables if "seed_generator" in v.path]


def rng_state(model) -> dict[str, Any]:
    """Return the random-generator states that a training moves and a replay must put back (JSON data).

    The seed generators of the model's layers (Dropout, noise, augmentation:
    they are variables, but not in a saved ``.keras`` file), Keras's global one,
    NumPy's and Python's global generators.
    """
    np_state = np.random.get_state()
    keras_global = _keras_global()
    return {"model": [v.numpy().tolist() for v in _seed_variables(model)],     # in layer order (names vary)
            "keras": None if keras_global is None else keras_global.state.numpy().tolist(),
            "numpy": [np_state[0], np_state[1].tolist(), *map(_plain, np_state[2:])],
            "python": _plain(random.getstate())}


def _keras_global():
    """Keras's global seed generator if it exists (asking for it would make one, and draw a seed)."""
    from keras.src.backend.common import global_state

    return global_state.get_global_attribute("global_seed_generator")


def _plain(value):
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def set_rng_state(model, state: dict[str, Any], globals_too: bool = True) -> None:
    """Put back what :func:`rng_state` returned."""
    seeds, variables = state.get("model") or [], _seed_variables(model)
    if len(seeds) == len(variables):
        for variable, value in zip(variables, seeds):
            variable.assign(np.asarray(value, dtype=variable.dtype))
    if not globals_too:
        return
    keras_global = _keras_global()
    if state.get("keras") is not None and keras_global is not None:
        keras_global.state.assign(np.asarray(state["keras"], dtype=keras_global.state.dtype))
    if state.get("numpy"):
        kind, keys, pos, has_gauss, cached = state["numpy"]
        np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    if state.get("python"):
        version, internal, gauss = state["python"]
        random.setstate((version, tuple(internal), gauss))
