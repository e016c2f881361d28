"""Train once, replay afterwards: :func:`fit_cached`.

A long training run is stored under the course cache folder as JSON (the
history) plus a ``.keras`` file (the trained model's weights). The next call
with the same experiment replays the history and restores the weights in a
second, without training. The cache key covers everything that changes the
result: the model's architecture, its optimizer, loss and metrics, the fit
arguments (epochs, batch size, callbacks, ...), the data (shapes and a
checksum) and the mode. A changed experiment retrains; a corrupt or foreign
file is reported and retrained, never trusted. Files are written atomically.

Example (notebooks 03-05)::

    >>> history = cu.fit_cached("baseline", model, x_train, y_train,
    ...                         epochs=EPOCHS, validation_data=(x_val, y_val))
    >>> history.from_cache, history.history["val_loss"][-1]
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import config

FORMAT = "course_utils.fit_cached/1"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class CachedHistory:
    """What :func:`fit_cached` returns: a ``keras.callbacks.History`` look-alike.

    ``history`` (metric -> list per epoch), ``epoch`` and ``params`` as in
    Keras, plus ``model``, ``from_cache`` (True when replayed), ``seconds``
    (the original training time), ``best_model_path`` (or None) and ``key``.
    """

    history: dict[str, list[float]]
    epoch: list[int]
    params: dict[str, Any]
    model: Any = None
    from_cache: bool = False
    seconds: float = 0.0
    best_model_path: Path | None = None
    key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------
# the cache key
# --------------------------------------------------------------------------


def fingerprint(data) -> Any:
    """Return a JSON-able description of ``data``: shape, dtype and a checksum.

    Handles NumPy arrays, SciPy sparse matrices, lists/tuples/dicts of them,
    and plain numbers. Used for the cache key of :func:`fit_cached`.
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
    if isinstance(data, (list, tuple, np.ndarray)):
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


# callback attributes that hold training state rather than settings
_CALLBACK_STATE = {"model", "params", "best", "wait", "stopped_epoch", "best_weights", "best_epoch",
                   "history", "epoch", "monitor_op", "cooldown_counter", "epochs_since_last_save"}


def _callback_config(cb) -> dict[str, Any]:
    described: dict[str, Any] = {"class": type(cb).__name__}
    try:
        described["config"] = cb.get_config()
    except Exception:  # noqa: BLE001 - most callbacks have no get_config
        for attr, value in sorted(vars(cb).items()):
            if attr.startswith("_") or attr in _CALLBACK_STATE:
                continue
            if isinstance(value, (bool, int, float, str)) or value is None:
                described[attr] = value
            elif callable(value) and hasattr(value, "__name__"):
                described[attr] = getattr(value, "__qualname__", value.__name__)
            elif hasattr(value, "get_config"):
                described[attr] = _safe_config(value)
    return described


def _safe_config(obj) -> Any:
    try:
        return json.loads(json.dumps(obj.get_config(), default=str))
    except Exception:  # noqa: BLE001
        return type(obj).__name__


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


def experiment_key(name: str, model, x, y, fit_kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Return ``(key, description)``: the SHA-256 of everything that changes a training run."""
    import keras

    if not getattr(model, "compiled", False):
        raise ValueError("fit_cached needs a compiled model: call model.compile(...) first.")
    kwargs = dict(fit_kwargs)
    kwargs.pop("verbose", None)
    callbacks = kwargs.pop("callbacks", None) or []
    validation_data = kwargs.pop("validation_data", None)
    class_weight = kwargs.pop("class_weight", None)
    sample_weight = kwargs.pop("sample_weight", None)
    try:
        compiled = json.loads(json.dumps(model.get_compile_config(), sort_keys=True, default=_describe))
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"fit_cached needs a compiled model: call model.compile(...) first ({exc}).") from None
    description = {
        "format": FORMAT,
        "name": name,
        "architecture": json.loads(model.to_json()),
        "compiled": compiled,
        "fit": json.loads(json.dumps(kwargs, sort_keys=True, default=_describe)),
        "callbacks": [_callback_config(cb) for cb in callbacks],
        "class_weight": {str(k): float(v) for k, v in (class_weight or {}).items()},
        "data": {"x": fingerprint(x), "y": fingerprint(y),
                 "validation": fingerprint(validation_data), "sample_weight": fingerprint(sample_weight)},
        "mode": {"fast": config.FAST, "data": config.DATA},
        "keras": ".".join(keras.__version__.split(".")[:2]),
    }
    description = canonical_names(description)
    blob = json.dumps(description, sort_keys=True, default=_describe).encode()
    return hashlib.sha256(blob).hexdigest(), description


def _describe(obj) -> Any:
    if hasattr(obj, "get_config"):
        return _safe_config(obj)
    if callable(obj):
        return getattr(obj, "__qualname__", repr(obj))
    return repr(obj)


# --------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _atomic_save_model(model, path: Path) -> None:
    tmp = path.with_name(f".{path.stem}.tmp.keras")
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read_entry(path: Path, key: str) -> dict[str, Any] | None:
    """Return the cached entry for ``key``, or None (with a warning when the file is unusable)."""
    if not path.exists():
        return None
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            raise ValueError("not a fit_cached history file")
        hist = entry["history"]
        if not isinstance(hist, dict) or not all(isinstance(v, list) for v in hist.values()):
            raise ValueError("the history is not a dict of lists")
    except (OSError, ValueError, KeyError) as exc:
        warnings.warn(f"fit_cached: the cache file {path} is unreadable ({exc}); training again "
                      "and overwriting it.", stacklevel=3)
        return None
    if entry.get("key") != key:
        print(f"fit_cached: the experiment {entry.get('name', path.stem)!r} changed since it was "
              "cached (model, optimizer, data or fit arguments); training again.")
        return None
    return entry


# --------------------------------------------------------------------------
# the public function
# --------------------------------------------------------------------------


def fit_cached(name: str, model, x=None, y=None, *, save_best: bool = False,
               cache_dir: str | Path | None = None, **fit_kwargs) -> CachedHistory:
    """Train ``model`` once and replay the run afterwards.

    Takes a ``name`` (letters, digits, ``_.-``) that names the cache files,
    a compiled model, the data and any ``model.fit`` arguments
    (``verbose`` defaults to 2: one line per epoch). With ``save_best=True``
    a ``ModelCheckpoint`` keeps the model with the lowest ``val_loss`` as
    ``<name>.best.keras`` (its path is ``best_model_path``).

    Returns a :class:`CachedHistory`. After a replay the model holds the
    weights it had at the end of the original training, so ``evaluate`` and
    ``predict`` give the original numbers.
    """
    import keras

    if not _NAME.match(name):
        raise ValueError(f"fit_cached name {name!r} must use letters, digits, '_', '.' or '-' only.")
    folder = Path(cache_dir) if cache_dir is not None else config.cache_dir("fits")
    folder.mkdir(parents=True, exist_ok=True)
    history_path = folder / f"{name}.json"
    weights_path = folder / f"{name}.keras"
    best_path = folder / f"{name}.best.keras"

    key, description = experiment_key(name, model, x, y, fit_kwargs)
    entry = _read_entry(history_path, key)
    if entry is not None:
        try:
            with warnings.catch_warnings():  # the optimizer's state is not restored, on purpose
                warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
                model.load_weights(weights_path)
        except Exception as exc:  # noqa: BLE001 - a missing or broken weights file
            warnings.warn(f"fit_cached: the weights file {weights_path} is missing or unreadable "
                          f"({_short(exc)}); training again.", stacklevel=2)
        else:
            n = len(entry["epoch"])
            print(f"fit_cached: replayed {name!r} from the cache ({n} epochs, trained in "
                  f"{entry['seconds']:.1f} s; delete {history_path.name} to train again).")
            return CachedHistory(entry["history"], entry["epoch"], entry["params"], model, True,
                                 float(entry["seconds"]), best_path if entry.get("best") else None, key)

    fit_kwargs.setdefault("verbose", 2)
    callbacks = list(fit_kwargs.pop("callbacks", None) or [])
    if save_best:
        callbacks.append(keras.callbacks.ModelCheckpoint(best_path, monitor="val_loss", save_best_only=True))
    start = time.perf_counter()
    hist = model.fit(x, y, callbacks=callbacks, **fit_kwargs)
    seconds = time.perf_counter() - start

    history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
    params = json.loads(json.dumps(hist.params, default=str))
    _atomic_save_model(model, weights_path)
    entry = {"format": FORMAT, "key": key, "name": name, "history": history, "epoch": list(hist.epoch),
             "params": params, "seconds": seconds, "best": bool(save_best),
             "created": time.strftime("%Y-%m-%d %H:%M:%S"), "experiment": description}
    _atomic_write_text(history_path, json.dumps(entry, indent=1, default=str))
    print(f"fit_cached: trained {name!r} in {seconds:.1f} s; cached as {history_path.name}.")
    return CachedHistory(history, list(hist.epoch), params, model, False, seconds,
                         best_path if save_best else None, key)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]
