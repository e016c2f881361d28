"""Train once, replay afterwards: :func:`fit_cached` (and :func:`tuner_folder`).

A long training run is stored under the course cache folder, one folder per
experiment name: the history (JSON), the trained weights, the optimizer's
state, the best checkpoint when asked for, copies of the files the run's
``ModelCheckpoint`` callbacks wrote, and the key they were all made under.
The next call with the same experiment replays it in a second, without
training. The key covers everything that changes the result:

* the model: its architecture, its starting weights (a checksum, which
  captures the seed, the initializers and any earlier training) and the code
  of its custom layers;
* the compile settings: optimizer, loss and metrics, with the code of any
  custom loss, metric or schedule;
* the fit arguments, the callbacks (their settings of any type, and the code
  of custom callbacks and of the functions they hold, such as a
  ``LearningRateScheduler`` schedule), ``save_best``, the data (shapes and a
  checksum) and the mode.

Keras's automatic names (``dense_3``, ``adam_2``) stay out of the key, so a
re-run cell replays. A changed experiment retrains; an incomplete, foreign or
older entry is reported and retrained, never trusted. An entry is written in
a temporary folder and renamed into place, and a lock stops two processes
(two kernels, two test workers) from training the same entry at once: the
second one waits, then replays.

Example (notebooks 02-05)::

    >>> history = cu.fit_cached("baseline", model, x_train, y_train,
    ...                         epochs=EPOCHS, validation_data=(x_val, y_val))
    >>> history.from_cache, history.history["val_loss"][-1]
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import config
from .keys import Describer, canonical_names, fingerprint, is_library, qualname, starting_state

FORMAT = "course_utils.fit_cached/2"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
ENTRY_FILE = "entry.json"
MODEL_FILE = "model.keras"
BEST_FILE = "best.keras"

@dataclass
class CachedHistory:
    """What :func:`fit_cached` returns: a ``keras.callbacks.History`` look-alike.

    ``history`` (metric -> list per epoch), ``epoch`` and ``params`` as in
    Keras, plus ``model``, ``from_cache`` (True when replayed), ``seconds``
    (the original training time), ``best_model_path`` (or None), ``key``, and
    ``not_restored``: what a replay could not bring back (empty after training).
    """

    history: dict[str, list[float]]
    epoch: list[int]
    params: dict[str, Any]
    model: Any = None
    from_cache: bool = False
    seconds: float = 0.0
    best_model_path: Path | None = None
    key: str = ""
    not_restored: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------
# the key of a training run
# --------------------------------------------------------------------------


# callback attributes that hold training state rather than settings
_CALLBACK_STATE = {"model", "params", "best", "wait", "stopped_epoch", "best_weights", "best_epoch",
                   "history", "epoch", "monitor_op", "cooldown_counter", "epochs_since_last_save",
                   "verbose"}
# what a replay restores on the built-in callbacks (the rest of their effect is in the weights)
_RESTORED_STATE = {"EarlyStopping": ("stopped_epoch", "best_epoch", "best", "wait"),
                   "ModelCheckpoint": ("best",),
                   "ReduceLROnPlateau": ("best", "wait", "cooldown_counter")}
# built-in callbacks whose whole effect is in the weights and the optimizer's state
_NO_STATE = {"LearningRateScheduler", "TerminateOnNaN", "ProgbarLogger", "History"}


def _callback_description(cb, describe: Describer) -> dict[str, Any]:
    described = describe.class_code(type(cb))
    described["settings"] = {attr: describe(value) for attr, value in sorted(vars(cb).items())
                             if not attr.startswith("_") and attr not in _CALLBACK_STATE}
    return described


def _ensure_built(model, x) -> None:
    if model.built:
        return
    try:
        model.build((None, *np.shape(x)[1:]))
    except Exception as exc:  # noqa: BLE001 - a model that cannot be built from a shape
        raise ValueError(
            f"fit_cached needs a built model to checksum its starting weights, and building it "
            f"from the input shape failed ({_short(exc)}). Start the model with "
            "keras.Input(shape=...), or call the model once on a batch before fit_cached."
        ) from None


def _architecture(model, describe: Describer) -> Any:
    try:
        architecture = json.loads(model.to_json())
    except Exception:  # noqa: BLE001 - custom layers without get_config
        architecture = [{"class": qualname(type(layer)),
                         "weights": [list(w.shape) for w in layer.weights]}
                        for layer in model._flatten_layers(include_self=False)]
    custom = {}
    for i, layer in enumerate(model._flatten_layers(include_self=True)):
        parts = {attr: describe(value) for attr, value in sorted(vars(layer).items())
                 if describe.user_part(value) and not hasattr(value, "_flatten_layers")}
        if not is_library(type(layer)) or parts:
            custom[str(i)] = {"code": describe.class_code(type(layer)), "holds": parts}
    return {"config": architecture, "custom": custom}


def experiment_key(name: str, model, x, y, fit_kwargs: dict[str, Any],
                   save_best: bool = False) -> tuple[str, dict[str, Any]]:
    """Return ``(key, description)``: the SHA-256 of everything that changes a training run.

    ``description`` is the JSON data hashed (it is stored with the entry, so a
    changed run can be compared with the cached one by eye).
    """
    import keras

    if not getattr(model, "compiled", False):
        raise ValueError("fit_cached needs a compiled model: call model.compile(...) first.")
    _ensure_built(model, x)
    kwargs = dict(fit_kwargs)
    kwargs.pop("verbose", None)
    callbacks = kwargs.pop("callbacks", None) or []
    validation_data = kwargs.pop("validation_data", None)
    sample_weight = kwargs.pop("sample_weight", None)
    try:
        compiled = json.loads(json.dumps(model.get_compile_config(), sort_keys=True, default=repr))
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"fit_cached needs a compiled model: call model.compile(...) first ({exc}).") from None
    describe = Describer()
    # the objects compile() was given (a custom loss function, a schedule...): their code too
    given = getattr(getattr(model, "_compile_config", None), "config", {}) or {}
    description = {
        "format": FORMAT,
        "name": name,
        "architecture": _architecture(model, describe),
        "starting_state": starting_state(model),
        "compiled": compiled,
        "compile_code": {k: describe(v) for k, v in sorted(given.items())},
        "fit": describe(kwargs),
        "callbacks": [_callback_description(cb, describe) for cb in callbacks],
        "save_best": bool(save_best),
        "data": {"x": fingerprint(x), "y": fingerprint(y),
                 "validation": fingerprint(validation_data), "sample_weight": fingerprint(sample_weight)},
        "mode": {"fast": config.FAST, "data": config.DATA},
        "keras": ".".join(keras.__version__.split(".")[:2]),
    }
    description = canonical_names(json.loads(json.dumps(description, sort_keys=True, default=repr)))
    blob = json.dumps(description, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest(), description


# --------------------------------------------------------------------------
# files: one folder per entry, written aside and renamed into place
# --------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _copy_atomic(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}~{uuid.uuid4().hex}.tmp")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _clean_leftovers(folder: Path, name: str) -> None:
    """Remove temporary folders of ``name`` left by an interrupted run ('~' is not allowed in names)."""
    for leftover in folder.glob(f".{name}~*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _publish(staging: Path, final: Path) -> None:
    """Put the finished ``staging`` folder in the place of ``final`` (under the entry's lock)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}~{uuid.uuid4().hex}.old")
        os.rename(final, old)
    os.rename(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


_REQUIRED = {"format": str, "key": str, "name": str, "history": dict, "epoch": list, "params": dict,
             "seconds": (int, float), "files": dict, "callbacks": list}


def _read_entry(entry_dir: Path, key: str, name: str) -> dict[str, Any] | None:
    """Return the cached entry if it exists, is complete, was made under ``key`` and its files match."""
    legacy = entry_dir.parent / f"{name}.json"
    if not entry_dir.exists():
        if legacy.exists():
            print(f"fit_cached: {name!r} was cached in an older format ({legacy.name}); training again.")
            legacy.unlink(missing_ok=True)
            (entry_dir.parent / f"{name}.keras").unlink(missing_ok=True)
        return None
    path = entry_dir / ENTRY_FILE
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(entry, dict):
            raise ValueError("not a fit_cached entry")
        if entry.get("format") != FORMAT:
            raise ValueError(f"format {entry.get('format')!r}, expected {FORMAT!r}")
        missing = [k for k, kind in _REQUIRED.items() if not isinstance(entry.get(k), kind)]
        if missing:
            raise ValueError(f"incomplete: no valid {', '.join(missing)}")
        if not all(isinstance(v, list) for v in entry["history"].values()):
            raise ValueError("the history is not a dict of lists")
    except (OSError, ValueError) as exc:
        warnings.warn(f"fit_cached: the cache entry {entry_dir} is unreadable or of an older format "
                      f"({_short(exc)}); training again and replacing it.", stacklevel=3)
        return None
    if entry["key"] != key or entry["name"] != name:
        print(f"fit_cached: the experiment {name!r} changed since it was cached (model, starting "
              "weights, optimizer, loss, callbacks, data or fit arguments); training again.")
        return None
    for relative, checksum in entry["files"].items():
        file = entry_dir / relative
        if not file.is_file() or _sha256_file(file) != checksum:
            warnings.warn(f"fit_cached: the file {file} is missing or does not belong to this cache "
                          "entry (its checksum differs from the one recorded with the history); "
                          "training again.", stacklevel=3)
            return None
    return entry


# --------------------------------------------------------------------------
# callbacks: their state after training, and what a replay can restore
# --------------------------------------------------------------------------


def _checkpoint_files(cb, epochs: list[int], history: dict[str, list[float]], since: float) -> list[Path]:
    """The files a ModelCheckpoint wrote during this run (its path, formatted per epoch as Keras does)."""
    found = []
    for i, epoch in enumerate(epochs):
        logs = {k: v[i] for k, v in history.items() if i < len(v)}
        try:
            path = Path(str(cb.filepath).format(epoch=epoch + 1, **logs))
        except (KeyError, IndexError, ValueError):
            continue
        if path not in found and path.is_file() and path.stat().st_mtime >= since:
            found.append(path)
    return found


def _record_callbacks(callbacks, epochs, history, since, staging: Path) -> tuple[list, dict[str, str]]:
    """Return the callbacks' state to store, and the files (copied into ``staging``) with checksums."""
    import keras

    records, files = [], {}
    for i, cb in enumerate(callbacks):
        kind = type(cb).__name__
        record: dict[str, Any] = {"class": kind, "state": {}, "files": []}
        if is_library(type(cb)):
            for attr in _RESTORED_STATE.get(kind, ()):
                value = getattr(cb, attr, None)
                record["state"][attr] = None if value is None else float(value) if attr == "best" else int(value)
        if isinstance(cb, keras.callbacks.ModelCheckpoint):
            for j, source in enumerate(_checkpoint_files(cb, epochs, history, since)):
                stored = f"callbacks/{i}-{j}-{source.name}"
                _copy_atomic(source, staging / stored)
                files[stored] = _sha256_file(staging / stored)
                record["files"].append({"path": str(source.resolve()), "stored": stored})
        records.append(record)
    return records, files


def _restore_callbacks(callbacks, records: list, entry_dir: Path, model) -> list[str]:
    """Put the recorded state back on the user's callbacks; return what could not be restored."""
    not_restored = []
    for cb, record in zip(callbacks, records):
        cb.set_model(model)
        kind = type(cb).__name__
        if record.get("class") != kind:
            not_restored.append(f"the state of {kind}")
            continue
        for attr, value in record.get("state", {}).items():
            setattr(cb, attr, value)
        for item in record.get("files", []):
            target, stored = Path(item["path"]), entry_dir / item["stored"]
            if not target.is_file() or _sha256_file(target) != _sha256_file(stored):
                _copy_atomic(stored, target)
        known = kind in _RESTORED_STATE or kind in _NO_STATE
        if not (is_library(type(cb)) and known):
            not_restored.append(f"the state of {kind} (it did not run)")
    return not_restored


# --------------------------------------------------------------------------
# the public functions
# --------------------------------------------------------------------------


def _lock(folder: Path, name: str):
    from filelock import FileLock, Timeout

    lock = FileLock(str(folder / f".{name}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"fit_cached: another process is training {name!r} in {folder}; waiting for it, "
              "then replaying its result.", flush=True)
        lock.acquire()
    return lock


def fit_cached(name: str, model, x=None, y=None, *, save_best: bool = False,
               cache_dir: str | Path | None = None, **fit_kwargs) -> CachedHistory:
    """Train ``model`` once and replay the run afterwards.

    Takes a ``name`` (letters, digits, ``_.-``) that names the cache entry,
    a compiled model, the data and any ``model.fit`` arguments
    (``verbose`` defaults to 2: one line per epoch). With ``save_best=True``
    a ``ModelCheckpoint`` keeps the model with the lowest ``val_loss`` as a
    ``.keras`` file (its path is ``best_model_path``).

    Returns a :class:`CachedHistory`. After a replay the model holds the
    weights and optimizer state it had at the end of the original training,
    so ``evaluate``, ``predict`` and further training give the original
    numbers; EarlyStopping, ModelCheckpoint and ReduceLROnPlateau callbacks
    get back their state (``stopped_epoch``, ``best_epoch``, ``best``...) and
    a ModelCheckpoint's files are written again. Example::

        >>> h = cu.fit_cached("ex1_sgd", model, x, y, epochs=cu.epochs(20))
    """
    import keras

    if not _NAME.match(name):
        raise ValueError(f"fit_cached name {name!r} must use letters, digits, '_', '.' or '-' only "
                         "(and start with a letter or digit); it names a folder in the cache.")
    folder = Path(cache_dir) if cache_dir is not None else config.cache_dir("fits")
    folder.mkdir(parents=True, exist_ok=True)
    entry_dir = folder / name
    key, description = experiment_key(name, model, x, y, fit_kwargs, save_best)
    user_callbacks = list(fit_kwargs.pop("callbacks", None) or [])

    lock = _lock(folder, name)
    try:
        entry = _read_entry(entry_dir, key, name)
        if entry is not None:
            replayed = _replay(entry, entry_dir, model, user_callbacks)
            if replayed is not None:
                return replayed
        _clean_leftovers(folder, name)
        return _train(name, model, x, y, key, description, save_best, folder, user_callbacks, fit_kwargs)
    finally:
        lock.release()


def _replay(entry, entry_dir: Path, model, callbacks) -> CachedHistory | None:
    name = entry["name"]
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)  # so that its state loads too
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.load_weights(entry_dir / MODEL_FILE)
    except Exception as exc:  # noqa: BLE001 - weights that do not fit this model
        warnings.warn(f"fit_cached: the weights in {entry_dir / MODEL_FILE} do not load into this "
                      f"model ({_short(exc)}); training again.", stacklevel=3)
        return None
    not_restored = []
    if any("Skipping variable loading for optimizer" in str(w.message) for w in caught):
        not_restored.append("the optimizer's state")
    not_restored += _restore_callbacks(callbacks, entry["callbacks"], entry_dir, model)
    best = entry_dir / BEST_FILE if BEST_FILE in entry["files"] else None
    note = f" Not restored: {'; '.join(not_restored)}." if not_restored else ""
    print(f"fit_cached: replayed {name!r} from the cache ({len(entry['epoch'])} epochs, trained in "
          f"{entry['seconds']:.1f} s; delete the folder {entry_dir} to train again).{note}")
    return CachedHistory(entry["history"], entry["epoch"], entry["params"], model, True,
                         float(entry["seconds"]), best, entry["key"], not_restored)


def _train(name, model, x, y, key, description, save_best, folder: Path, user_callbacks,
           fit_kwargs) -> CachedHistory:
    import keras

    staging = folder / f".{name}~{uuid.uuid4().hex}.tmp"
    staging.mkdir()
    try:
        fit_kwargs.setdefault("verbose", 2)
        callbacks = list(user_callbacks)
        if save_best:
            callbacks.append(keras.callbacks.ModelCheckpoint(staging / BEST_FILE, monitor="val_loss",
                                                             save_best_only=True))
        since = time.time() - 1.0  # file systems keep coarse modification times
        start = time.perf_counter()
        hist = model.fit(x, y, callbacks=callbacks, **fit_kwargs)
        seconds = time.perf_counter() - start

        history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
        epochs = [int(e) for e in hist.epoch]
        params = json.loads(json.dumps(hist.params, default=str))
        model.save(staging / MODEL_FILE)  # the weights and the optimizer's state, in the .keras format
        records, files = _record_callbacks(user_callbacks, epochs, history, since, staging)
        for stored in (MODEL_FILE, BEST_FILE):
            if (staging / stored).is_file():
                files[stored] = _sha256_file(staging / stored)
        entry = {"format": FORMAT, "key": key, "name": name, "history": history, "epoch": epochs,
                 "params": params, "seconds": seconds, "files": files, "callbacks": records,
                 "created": time.strftime("%Y-%m-%d %H:%M:%S"), "experiment": description}
        (staging / ENTRY_FILE).write_text(json.dumps(entry, indent=1, default=str), encoding="utf-8")
        _publish(staging, folder / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    entry_dir = folder / name
    print(f"fit_cached: trained {name!r} in {seconds:.1f} s; cached in {entry_dir}.")
    return CachedHistory(history, epochs, params, model, False, seconds,
                         entry_dir / BEST_FILE if save_best else None, key)


def tuner_folder(project: str, build, data, **settings) -> Path:
    """Return the folder for a keras-tuner search, named by everything that changes its result.

    ``build`` is the search's build function (its code, and the code and
    values it reads, hold the search space), ``data`` the arrays it searches
    on (a tuple such as ``(x_train, y_train, x_val, y_val)``), ``settings`` the
    tuner's and the search's settings (``objective``, ``max_epochs``,
    ``batch_size``...). The folder is ``<cache>/<mode>/tuner/<project>-<key>``, so a
    changed search never reloads the trials of an old one (notebook 03)::

        >>> folder = cu.tuner_folder("imdb", build, (x, y, x_val, y_val), max_epochs=5)
        >>> kt.Hyperband(build, max_epochs=5, directory=folder.parent, project_name=folder.name)
    """
    import keras

    if not _NAME.match(project):
        raise ValueError(f"tuner_folder project {project!r} must use letters, digits, '_', '.' or '-' "
                         "only (and start with a letter or digit); it names a folder in the cache.")
    if not callable(build):
        raise TypeError(f"tuner_folder needs the build function of the search (a callable taking hp), "
                        f"got {type(build).__name__}.")
    description = {"build": Describer()(build), "data": fingerprint(data),
                   "settings": Describer()(settings),
                   "mode": {"fast": config.FAST, "data": config.DATA},
                   "keras": ".".join(keras.__version__.split(".")[:2])}
    description = canonical_names(json.loads(json.dumps(description, sort_keys=True, default=repr)))
    key = hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()
    return config.cache_dir("tuner") / f"{project}-{key[:12]}"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]
