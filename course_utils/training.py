"""Train once, replay afterwards: :func:`fit_cached` (and :func:`tuner_folder`).

A long training run is stored under the course cache folder (:mod:`course_utils.cache`:
one folder per experiment name and variant): the history, the trained model
with the optimizer's state, the best checkpoint when asked for, copies of the
files the run's ``ModelCheckpoint`` callbacks wrote, and the key it was made
under. The next call with the same experiment replays it in a second. Two
things decide whether a replay is honest:

* the **key**, a checksum of everything that takes part: the architecture,
  the starting weights (a checksum, which captures the seed, the
  initializers and any earlier training), the compile settings, the fit
  arguments, the callbacks (their settings of any type), the code of every
  function and class of yours that takes part and the values it reads,
  ``save_best``, the data and the mode;
* the **probe** (:mod:`course_utils.probe`): the loss and metrics of the first
  training steps, stored with the run and recomputed from the model as it is
  before every replay. A change the key's description misses but that
  changes the computation from the first steps on is caught there.

A retrain says why (what changed since the newest entry of that name, or
that the probe disagreed). Keras's automatic names (``dense_3``, ``adam_2``)
stay out of the key, so a re-run cell replays.

Example (notebooks 02-05)::

    >>> history = cu.fit_cached("baseline", model, x_train, y_train,
    ...                         epochs=EPOCHS, validation_data=(x_val, y_val))
    >>> history.from_cache, history.history["val_loss"][-1]
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import cache, config, keys, probe
from .cache import BEST_FILE, FORMAT, MODEL_FILE, WEIGHTS_FILE
from .keys import (_KERAS_INTERNALS, Describer, _plain, canonical_names, fingerprint, is_library, lambdas_dropped,
                   qualname, starting_state, what_changed)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class CachedHistory:
    """What :func:`fit_cached` returns: a ``keras.callbacks.History`` look-alike.

    ``history`` (metric -> list per epoch), ``epoch`` and ``params`` as in
    Keras, plus ``model``, ``from_cache`` (True when replayed), ``seconds``
    (the original training time), ``best_model_path`` (or None), ``key``,
    ``not_restored``: what a replay could not bring back (empty after
    training), and ``probe_seconds``, what the probe cost.
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
    probe_seconds: float = 0.0       # what checking the replay against its first steps cost


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
    """A callback's class (its code, for one of yours) and settings: a callback of yours with all its
    attributes, ``_``-prefixed ones too; Keras's own with its public ones."""
    described = describe.class_code(type(cb))
    mine = not is_library(type(cb))
    described["settings"] = {attr: describe(value) for attr, value in sorted(vars(cb).items())
                             if attr not in _CALLBACK_STATE and attr not in _KERAS_INTERNALS
                             and (mine or not attr.startswith("_"))}
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
    """The model's configuration (lambdas without Keras's file-and-line payload), plus, for each layer of
    yours or holding code of yours (a ``Lambda``), that code and the values it holds."""
    try:
        architecture = lambdas_dropped(json.loads(model.to_json()))
    except Exception:  # noqa: BLE001 - custom layers without get_config
        architecture = [{"class": qualname(type(layer)),
                         "weights": [list(w.shape) for w in layer.weights]}
                        for layer in model._flatten_layers(include_self=False)]
    custom = {}
    for i, layer in enumerate(model._flatten_layers(include_self=True) if keys.DESCRIBE_CODE else []):
        mine = not is_library(type(layer))
        parts = {attr: describe(value) for attr, value in sorted(vars(layer).items())
                 if (describe.user_part(value) and not hasattr(value, "_flatten_layers"))
                 or (mine and attr not in _KERAS_INTERNALS and _plain(value) and not attr.startswith("_tracker"))}
        if mine or parts:
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
        compiled = lambdas_dropped(json.loads(json.dumps(model.get_compile_config(), sort_keys=True, default=repr)))
    except Exception as exc:  # noqa: BLE001 - a loss Keras cannot serialise (a functools.partial...): its code counts
        compiled = {"serialised": False, "error": type(exc).__name__}
    describe = Describer()
    # the objects compile() was given (a custom loss function, a schedule...): their code too
    given = getattr(getattr(model, "_compile_config", None), "config", {}) or {}
    parts = {
        "format": lambda: FORMAT,
        "architecture": lambda: _architecture(model, describe),
        "starting_state": lambda: starting_state(model),
        "compiled": lambda: compiled,
        "compile_code": lambda: {k: describe(v) for k, v in sorted(given.items())},
        "fit": lambda: describe(kwargs),
        "callbacks": lambda: [_callback_description(cb, describe) for cb in callbacks],
        "save_best": lambda: bool(save_best),
        "data": lambda: {"x": fingerprint(x), "y": fingerprint(y), "validation": fingerprint(validation_data),
                         "sample_weight": fingerprint(sample_weight)},
        "mode": lambda: {"fast": config.FAST, "data": config.DATA},
        "keras": lambda: ".".join(keras.__version__.split(".")[:2]),
    }
    description = {}
    for part, make in parts.items():
        try:
            description[part] = make()
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"fit_cached could not describe {_PART_WORDS.get(part, part)} of {name!r}: "
                            f"{_short(exc)}") from None
    description = canonical_names(json.loads(json.dumps(description, sort_keys=True, default=repr)))
    description["name"] = name          # after canonical_names: a name like "adam" is not a Keras auto-name
    blob = json.dumps(description, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest(), description


_PART_WORDS = {"architecture": "the model", "starting_state": "the model's starting weights",
               "compile_code": "the loss, metrics or schedule given to compile", "fit": "the fit arguments",
               "callbacks": "the callbacks", "data": "the data (x, y, validation_data, sample_weight)"}


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
                cache.copy_atomic(source, staging / stored)
                files[stored] = cache.sha256_file(staging / stored)
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
            if not target.is_file() or cache.sha256_file(target) != cache.sha256_file(stored):
                cache.copy_atomic(stored, target)
        known = kind in _RESTORED_STATE or kind in _NO_STATE
        if not (is_library(type(cb)) and known):
            not_restored.append(f"the state of {kind} (it did not run)")
    return not_restored


# --------------------------------------------------------------------------
# the public functions
# --------------------------------------------------------------------------


def fit_cached(name: str, model, x=None, y=None, *, save_best: bool = False,
               cache_dir: str | Path | None = None, **fit_kwargs) -> CachedHistory:
    """Train ``model`` once and replay the run afterwards.

    Takes a ``name`` (letters, digits, ``_.-``) that names the cache entry,
    a compiled model, the data and any ``model.fit`` arguments
    (``verbose`` defaults to 2: one line per epoch). With ``save_best=True``
    a ``ModelCheckpoint`` keeps the model with the lowest ``val_loss`` as a
    ``.keras`` file (its path is ``best_model_path``).

    Returns a :class:`CachedHistory`. A replay happens only when the key
    matches and the probe (the first training steps, recomputed now) agrees
    with the stored run. After a replay the model holds the weights, the
    optimizer state and the random-generator states it had at the end of the
    original training, so ``evaluate``, ``predict`` and further training give
    the original numbers; EarlyStopping, ModelCheckpoint and ReduceLROnPlateau
    callbacks get back their state (``stopped_epoch``, ``best_epoch``,
    ``best``...) and a ModelCheckpoint's files are written again; the
    history's metric names are the ones this session's model gives them.
    Example::

        >>> h = cu.fit_cached("ex1_sgd", model, x, y, epochs=cu.epochs(20))
    """
    if not _NAME.match(name):
        raise ValueError(f"fit_cached name {name!r} must use letters, digits, '_', '.' or '-' only "
                         "(and start with a letter or digit); it names a folder in the cache.")
    folder = Path(cache_dir) if cache_dir is not None else config.cache_dir("fits")
    folder.mkdir(parents=True, exist_ok=True)
    key, description = experiment_key(name, model, x, y, fit_kwargs, save_best)
    user_callbacks = list(fit_kwargs.pop("callbacks", None) or [])
    entry_dir = cache.variant_dir(folder, name, key)

    held = cache.lock(folder, name)
    try:
        cache.clean_old_formats(folder, name)
        entry = cache.read(entry_dir, key, name)
        fresh = probe.run(model, x, y, fit_kwargs)
        if entry is not None:
            same, why = probe.agrees(entry.get("probe") or {"skipped": "none stored"}, fresh)
            if same:
                replayed = _replay(entry, entry_dir, model, user_callbacks, fresh)
                if replayed is not None:
                    return replayed
            else:
                print(f"fit_cached: {name!r}: its key matches the cached run, but recomputing the first training "
                      f"steps disagrees ({why}): a replay would have been stale; training again.")
        else:
            _say_why(folder, name, description)
        return _train(name, model, x, y, key, description, save_best, folder, user_callbacks, fit_kwargs, fresh)
    finally:
        held.release()


def _say_why(folder: Path, name: str, description: dict) -> None:
    """Print why ``name`` trains: new, or what differs from its most recently used cached variant."""
    known = cache.variants(folder, name)
    if not known:
        return
    changed = what_changed(known[0][1].get("experiment", {}), description)
    print(f"fit_cached: the experiment {name!r} changed since it was cached ({', '.join(changed) or 'its key'}); "
          "training again (the cached variant is kept).")


def _rename_metrics(history: dict[str, list], names: dict[str, str]) -> dict[str, list]:
    """The history with each metric under the name this session's model gives it (``val_auc_1`` -> ``val_auc``)."""
    return {names.get(probe.stem(k), k): v for k, v in history.items()}


def _replay(entry, entry_dir: Path, model, callbacks, fresh: dict) -> CachedHistory | None:
    name = entry["name"]
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)  # so that its state loads too
    weights = entry_dir / (MODEL_FILE if MODEL_FILE in entry["files"] else WEIGHTS_FILE)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.load_weights(weights)
    except Exception as exc:  # noqa: BLE001 - weights that do not fit this model
        warnings.warn(f"fit_cached: the weights in {weights} do not load into this model ({_short(exc)}); "
                      "training again.", stacklevel=3)
        return None
    rng = entry.get("rng") or {}
    probe.set_rng_state(model, rng.get("after", {}), globals_too=bool(rng.get("globals_moved")))
    not_restored = []
    if weights.name == WEIGHTS_FILE or any("Skipping variable loading for optimizer" in str(w.message) for w in caught):
        not_restored.append("the optimizer's state")
    not_restored += _restore_callbacks(callbacks, entry["callbacks"], entry_dir, model)
    cache.touch(entry_dir)
    best = entry_dir / BEST_FILE if BEST_FILE in entry["files"] else None
    note = f" Not restored: {'; '.join(not_restored)}." if not_restored else ""
    checked = "its first steps recomputed and matching" if "skipped" not in fresh else \
        f"not checked by a probe ({fresh['skipped']})"
    seconds = float(fresh.get("seconds", 0.0))
    print(f"fit_cached: replayed {name!r} from the cache ({len(entry['epoch'])} epochs, trained in "
          f"{entry['seconds']:.1f} s; {checked}, probe {seconds:.2f} s; delete the folder {entry_dir} to train "
          f"again).{note}")
    history = _rename_metrics(entry["history"], probe.current_names(fresh)) if "skipped" not in fresh else \
        entry["history"]
    return CachedHistory(history, entry["epoch"], entry["params"], model, True, float(entry["seconds"]), best,
                         entry["key"], not_restored, seconds)


def _savable(model) -> str:
    """Return "" when the model can be saved whole as .keras, else why not (found out before training)."""
    try:
        model.to_json()
        return ""
    except Exception as exc:  # noqa: BLE001 - a custom layer without get_config, most often
        return _short(exc)


def _train(name, model, x, y, key, description, save_best, folder: Path, user_callbacks, fit_kwargs,
           stored_probe: dict) -> CachedHistory:
    import keras

    entry_dir = cache.variant_dir(folder, name, key)
    entry_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = entry_dir.with_name(f".{entry_dir.name}~{uuid.uuid4().hex}.tmp")
    staging.mkdir()
    unsavable = _savable(model)
    if unsavable:
        print(f"fit_cached: {name!r} cannot be saved whole as a .keras file ({unsavable}); its weights are kept "
              "instead, so a replay restores them but not the optimizer's state. (Give your custom layers and "
              "losses a get_config, or compile with Keras's own, to keep everything.)")
    try:
        fit_kwargs.setdefault("verbose", 2)
        callbacks = list(user_callbacks)
        if save_best:
            callbacks.append(keras.callbacks.ModelCheckpoint(staging / BEST_FILE, monitor="val_loss",
                                                             save_best_only=True))
        rng_before = probe.rng_state(model)
        since = time.time() - 1.0  # file systems keep coarse modification times
        start = time.perf_counter()
        hist = model.fit(x, y, callbacks=callbacks, **fit_kwargs)
        seconds = time.perf_counter() - start

        history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
        epochs = [int(e) for e in hist.epoch]
        params = json.loads(json.dumps(hist.params, default=str))
        if unsavable:
            model.save_weights(staging / WEIGHTS_FILE)
        else:
            model.save(staging / MODEL_FILE)  # the weights and the optimizer's state, in the .keras format
        rng_after = probe.rng_state(model)
        records, files = _record_callbacks(user_callbacks, epochs, history, since, staging)
        for stored in (MODEL_FILE, WEIGHTS_FILE, BEST_FILE):
            if (staging / stored).is_file():
                files[stored] = cache.sha256_file(staging / stored)
        moved = any(rng_before[k] != rng_after[k] for k in ("keras", "numpy", "python"))
        entry = {"format": FORMAT, "key": key, "name": name, "history": history, "epoch": epochs,
                 "params": params, "seconds": seconds, "files": files, "callbacks": records,
                 "probe": stored_probe, "rng": {"after": rng_after, "globals_moved": moved},
                 "created": time.strftime("%Y-%m-%d %H:%M:%S"), "experiment": description}
        cache.write_entry(staging, entry)
        cache.publish(staging, entry_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    removed = cache.prune(folder, name)
    dropped = f" (the {removed} least recently used variant(s) of {name!r} removed: at most " \
              f"{cache.MAX_VARIANTS} are kept)" if removed else ""
    print(f"fit_cached: trained {name!r} in {seconds:.1f} s; cached in {entry_dir}.{dropped}")
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
