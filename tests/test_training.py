"""fit_cached: trains once, replays without training, retrains when anything changes."""

import json
import warnings

import numpy as np
import pytest

from course_utils import training


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "fits"


def fit(make_model, data, cache, name="run", epochs=2, units=8, lr=0.01, **kwargs):
    (x, y), val = data
    model = make_model(units=units, lr=lr)
    return training.fit_cached(name, model, x, y, epochs=epochs, batch_size=50, validation_data=val,
                               verbose=0, cache_dir=cache, **kwargs)


def test_first_call_trains_and_writes_json_and_weights(make_model, tiny_data, cache):
    h = fit(make_model, tiny_data, cache)
    assert not h.from_cache
    assert h.epoch == [0, 1]
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(h.history["val_loss"]) == 2
    entry = json.loads((cache / "run.json").read_text())
    assert entry["format"] == training.FORMAT and entry["key"] == h.key
    assert entry["history"] == h.history
    assert (cache / "run.keras").stat().st_size > 0
    assert not [p for p in cache.iterdir() if ".tmp" in p.name], "temporary files left behind"


def test_second_identical_call_replays_without_training(make_model, tiny_data, cache, monkeypatch):
    first = fit(make_model, tiny_data, cache)
    trained = first.model.get_weights()

    def no_training(*args, **kwargs):
        raise AssertionError("fit was called although the run is cached")

    model = make_model()
    monkeypatch.setattr(model, "fit", no_training)
    (x, y), val = tiny_data
    again = training.fit_cached("run", model, x, y, epochs=2, batch_size=50, validation_data=val,
                                verbose=0, cache_dir=cache)
    assert again.from_cache
    assert again.history == first.history
    assert again.key == first.key
    for a, b in zip(model.get_weights(), trained):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("change", [
    {"units": 16},            # the model
    {"lr": 0.001},            # the optimizer
    {"epochs": 3},            # the fit arguments
    {"data": True},           # the data
])
def test_any_change_retrains(make_model, tiny_data, cache, change, capsys):
    fit(make_model, tiny_data, cache)
    data = tiny_data
    if change.pop("data", False):
        (x, y), val = tiny_data
        x = x.copy()
        x[0, 0] += 1.0
        data = ((x, y), val)
    h = fit(make_model, data, cache, **change)
    assert not h.from_cache
    assert "changed since it was cached" in capsys.readouterr().out


def test_callbacks_and_class_weight_are_part_of_the_key(keras, make_model, tiny_data, cache):
    stop = keras.callbacks.EarlyStopping(patience=1)
    a = fit(make_model, tiny_data, cache, callbacks=[stop])
    b = fit(make_model, tiny_data, cache, callbacks=[stop])          # same callback, reused
    c = fit(make_model, tiny_data, cache, callbacks=[keras.callbacks.EarlyStopping(patience=5)])
    d = fit(make_model, tiny_data, cache, class_weight={0: 1.0, 1: 3.0})
    assert (a.from_cache, b.from_cache, c.from_cache, d.from_cache) == (False, True, False, False)


def test_same_experiment_built_twice_has_the_same_key(make_model, tiny_data):
    (x, y), _ = tiny_data
    k1, _ = training.experiment_key("k", make_model(), x, y, {"epochs": 2})
    k2, _ = training.experiment_key("k", make_model(), x, y, {"epochs": 2})
    k3, _ = training.experiment_key("k", make_model(units=9), x, y, {"epochs": 2})
    assert k1 == k2 != k3


@pytest.mark.parametrize("content", ['{"format": "course_utils.fit_cached/1", "key": "ab', "", "[1, 2]",
                                     '{"format": "something else", "history": {}}'])
def test_truncated_or_foreign_file_warns_and_retrains(make_model, tiny_data, cache, content):
    first = fit(make_model, tiny_data, cache)
    (cache / "run.json").write_text(content)
    with pytest.warns(UserWarning, match="unreadable"):
        h = fit(make_model, tiny_data, cache)
    assert not h.from_cache
    assert json.loads((cache / "run.json").read_text())["key"] == first.key


def test_missing_weights_file_warns_and_retrains(make_model, tiny_data, cache):
    fit(make_model, tiny_data, cache)
    (cache / "run.keras").unlink()
    with pytest.warns(UserWarning, match="weights file"):
        h = fit(make_model, tiny_data, cache)
    assert not h.from_cache and (cache / "run.keras").exists()


def test_save_best_keeps_a_keras_checkpoint(make_model, tiny_data, cache):
    h = fit(make_model, tiny_data, cache, save_best=True)
    assert h.best_model_path == cache / "run.best.keras"
    assert h.best_model_path.exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        replay = fit(make_model, tiny_data, cache, save_best=True)
    assert replay.from_cache and replay.best_model_path == h.best_model_path


def test_bad_name_and_uncompiled_model_are_refused(keras, tiny_data, cache):
    (x, y), _ = tiny_data
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compiled model"):
        training.fit_cached("ok", model, x, y, epochs=1, cache_dir=cache)
    with pytest.raises(ValueError, match="letters, digits"):
        training.fit_cached("../escape", model, x, y, epochs=1, cache_dir=cache)


def test_fingerprint_tells_arrays_apart_and_handles_sparse():
    from scipy import sparse

    a = np.arange(6, dtype="float32").reshape(2, 3)
    assert training.fingerprint(a) == training.fingerprint(a.copy())
    assert training.fingerprint(a) != training.fingerprint(a.astype("float64"))
    assert training.fingerprint(a)["shape"] == [2, 3]
    s = training.fingerprint(sparse.csr_matrix(a))
    assert s["sparse"] == [2, 3] and s["dtype"] == "float32"
    with pytest.raises(TypeError, match="cannot fingerprint"):
        training.fingerprint(object())
