"""fit_cached: trains once, replays faithfully, retrains when anything that changes the result changes."""

import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from course_utils import cache as cache_files
from course_utils import training


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "fits"


def fit(make_model, data, cache, name="run", epochs=2, units=8, lr=0.01, seed=0, model=None, **kwargs):
    (x, y), val = data
    # eager: a few batches run faster than tracing a graph for every new model
    model = make_model(units=units, lr=lr, seed=seed, run_eagerly=True) if model is None else model
    return training.fit_cached(name, model, x, y, epochs=epochs, batch_size=50, validation_data=val,
                               verbose=0, cache_dir=cache, **kwargs)


def entry_of(cache, history, name="run"):
    """The folder of the cache entry a history was trained or replayed from."""
    return cache / name / history.key[:16]


def define(source, name, **names):
    """Run ``source`` as a notebook cell would and return the object it defines (to edit a cell twice)."""
    import keras

    namespace = {"__name__": "__main__", "keras": keras, "np": np, **names}
    exec(textwrap.dedent(source), namespace)  # noqa: S102 - test code written in this file
    return namespace[name]


# --------------------------------------------------------------------------
# training, replay, the entry on disk
# --------------------------------------------------------------------------


def test_first_call_trains_and_writes_one_folder(make_model, tiny_data, cache):
    h = fit(make_model, tiny_data, cache)
    assert not h.from_cache
    assert h.epoch == [0, 1]
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    entry = json.loads((entry_of(cache, h) / "entry.json").read_text())
    assert entry["format"] == training.FORMAT and entry["key"] == h.key
    assert entry["history"] == h.history
    assert set(entry["files"]) == {"model.keras"}
    assert entry["files"]["model.keras"] == cache_files.sha256_file(entry_of(cache, h) / "model.keras")
    assert entry["checksum"] == cache_files.checksum(entry)
    assert [len(s["loss"] and [1]) for s in entry["probe"]["steps"]] == [1, 1] and "val" in entry["probe"]
    assert sorted(p.name for p in cache.iterdir()) == [".run.lock", "run"], "temporary files left behind"
    assert [p.name for p in (cache / "run").iterdir()] == [h.key[:16]]


def test_second_identical_call_replays_without_training(make_model, tiny_data, cache, monkeypatch, capsys):
    first = fit(make_model, tiny_data, cache)
    trained = first.model.get_weights()
    trained_step = int(first.model.optimizer.iterations)

    def no_training(*args, **kwargs):
        raise AssertionError("fit was called although the run is cached")

    model = make_model(run_eagerly=True)  # the same cell run again: same seed, same starting weights
    monkeypatch.setattr(type(model), "fit", no_training)
    again = fit(make_model, tiny_data, cache, model=model)
    assert again.from_cache and again.history == first.history and again.key == first.key
    for a, b in zip(model.get_weights(), trained):
        np.testing.assert_array_equal(a, b)
    assert int(model.optimizer.iterations) == trained_step == 8  # 200 samples / 50, 2 epochs
    assert again.not_restored == []
    assert "replayed 'run'" in capsys.readouterr().out


@pytest.mark.parametrize("change", [
    {"units": 16},            # the model
    {"lr": 0.001},            # the optimizer
    {"epochs": 3},            # the fit arguments
    {"seed": 1},              # the seed: other starting weights
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


def test_same_experiment_built_twice_has_the_same_key(make_model, tiny_data):
    (x, y), _ = tiny_data
    k1, d1 = training.experiment_key("k", make_model(), x, y, {"epochs": 2})
    k2, _ = training.experiment_key("k", make_model(), x, y, {"epochs": 2})   # other automatic names
    k3, _ = training.experiment_key("k", make_model(units=9), x, y, {"epochs": 2})
    assert k1 == k2 != k3
    assert "dense_1" not in json.dumps(d1)


# --------------------------------------------------------------------------
# the stale cases: each of these must retrain
# --------------------------------------------------------------------------


def test_two_scheduler_lambdas_are_told_apart(keras, make_model, tiny_data, cache):
    slow = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    fast = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.1)
    a = fit(make_model, tiny_data, cache, callbacks=[slow])
    b = fit(make_model, tiny_data, cache, callbacks=[fast])
    c = fit(make_model, tiny_data, cache, callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.1)])
    assert (a.from_cache, b.from_cache, c.from_cache) == (False, False, True)


def test_an_edited_schedule_body_retrains(keras, make_model, tiny_data, cache):
    before = define("def schedule(epoch, lr):\n    return lr * 0.9\n", "schedule")
    after = define("def schedule(epoch, lr):\n    return lr * 0.5\n", "schedule")
    a = fit(make_model, tiny_data, cache, callbacks=[keras.callbacks.LearningRateScheduler(before)])
    b = fit(make_model, tiny_data, cache, callbacks=[keras.callbacks.LearningRateScheduler(after)])
    assert (a.from_cache, b.from_cache) == (False, False)


def test_a_number_the_schedule_reads_is_part_of_the_key(keras, make_model, tiny_data, cache):
    source = "def schedule(epoch, lr):\n    return BASE_LR * 0.9 ** epoch\n"
    runs = [fit(make_model, tiny_data, cache,
                callbacks=[keras.callbacks.LearningRateScheduler(define(source, "schedule", BASE_LR=base))])
            for base in (0.01, 0.05, 0.05)]
    assert [h.from_cache for h in runs] == [False, False, True]


def test_an_edited_custom_loss_retrains(keras, tiny_data, cache):
    runs = []
    for factor in ("1.0", "2.0"):
        loss = define(f"def my_loss(y_true, y_pred):\n"
                      f"    return {factor} * keras.ops.mean(keras.losses.binary_crossentropy(y_true, y_pred))\n",
                      "my_loss")
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss=loss, run_eagerly=True)
        runs.append(fit(None, tiny_data, cache, model=model))
    assert [h.from_cache for h in runs] == [False, False]


def test_an_edited_custom_layer_call_retrains(keras, tiny_data, cache):
    runs = []
    for body in ("inputs * 2.0", "inputs * 3.0", "inputs * 3.0"):
        layer_class = define(f"""
            class Scale(keras.layers.Layer):
                def call(self, inputs):
                    return {body}
            """, "Scale")
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input(shape=(4,)), layer_class(), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", run_eagerly=True)
        runs.append(fit(None, tiny_data, cache, model=model))
    assert [h.from_cache for h in runs] == [False, False, True]


def test_callback_settings_of_any_type_are_in_the_key(keras, make_model, tiny_data, cache):
    Recorder = define("""
        class Recorder(keras.callbacks.Callback):
            def __init__(self, watch):
                super().__init__()
                self.watch = watch
        """, "Recorder")
    runs = [fit(make_model, tiny_data, cache, callbacks=[Recorder([1, 2])]),
            fit(make_model, tiny_data, cache, callbacks=[Recorder([1, 3])]),
            fit(make_model, tiny_data, cache, callbacks=[keras.callbacks.EarlyStopping(min_delta=np.float32(0.1))]),
            fit(make_model, tiny_data, cache, callbacks=[keras.callbacks.EarlyStopping(min_delta=np.float32(0.2))]),
            fit(make_model, tiny_data, cache, callbacks=[keras.callbacks.EarlyStopping(min_delta=np.float32(0.2))])]
    assert [h.from_cache for h in runs] == [False, False, False, False, True]


def test_the_same_model_trained_further_retrains(make_model, tiny_data, cache):
    (x, y), _ = tiny_data
    model = make_model(run_eagerly=True)
    first = fit(make_model, tiny_data, cache, model=model)
    model.fit(x, y, epochs=3, verbose=0)
    again = fit(make_model, tiny_data, cache, model=model)
    assert not first.from_cache and not again.from_cache and again.key != first.key


def test_switching_save_best_on_retrains_and_keeps_a_checkpoint(keras, make_model, tiny_data, cache):
    plain = fit(make_model, tiny_data, cache)
    assert plain.best_model_path is None
    best = fit(make_model, tiny_data, cache, save_best=True)
    assert not best.from_cache
    assert best.best_model_path == entry_of(cache, best) / "best.keras" and best.best_model_path.is_file()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        replay = fit(make_model, tiny_data, cache, save_best=True)
    assert replay.from_cache and replay.best_model_path == best.best_model_path
    assert keras.models.load_model(replay.best_model_path).count_params() == 49


# --------------------------------------------------------------------------
# a replay restores what the next cells read
# --------------------------------------------------------------------------


def test_replay_restores_early_stopping_state(keras, make_model, tiny_data, cache, capsys):
    def stopper():  # mode "max" on a falling loss: no improvement after epoch 0, stops at epoch 1
        return keras.callbacks.EarlyStopping(monitor="loss", mode="max", patience=1)

    trained_stop = stopper()
    first = fit(make_model, tiny_data, cache, epochs=5, callbacks=[trained_stop])
    assert (first.epoch, trained_stop.stopped_epoch, trained_stop.best_epoch) == ([0, 1], 1, 0)
    replayed_stop = stopper()
    again = fit(make_model, tiny_data, cache, epochs=5, callbacks=[replayed_stop])
    assert again.from_cache
    assert (replayed_stop.stopped_epoch, replayed_stop.best_epoch) == (1, 0)
    assert replayed_stop.best == pytest.approx(first.history["loss"][0])
    assert replayed_stop.model is again.model
    assert "Not restored" not in capsys.readouterr().out


def test_replay_writes_a_model_checkpoint_file_again(keras, make_model, tiny_data, cache, tmp_path):
    target = tmp_path / "mine" / "checkpoint.keras"
    first = fit(make_model, tiny_data, cache, callbacks=[keras.callbacks.ModelCheckpoint(target)])
    written = target.read_bytes()
    target.unlink()
    again = fit(make_model, tiny_data, cache, callbacks=[keras.callbacks.ModelCheckpoint(target)])
    assert not first.from_cache and again.from_cache
    assert target.read_bytes() == written


def test_replay_says_once_which_callback_state_is_not_restored(keras, make_model, tiny_data, cache, capsys):
    Counter = define("""
        class Counter(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                self.count = epoch + 1
        """, "Counter")
    fit(make_model, tiny_data, cache, callbacks=[Counter()])
    capsys.readouterr()
    again = fit(make_model, tiny_data, cache, callbacks=[Counter()])
    out = capsys.readouterr().out
    assert again.from_cache and again.not_restored == ["the state of Counter (it did not run)"]
    assert out.count("Not restored: the state of Counter (it did not run).") == 1


# --------------------------------------------------------------------------
# what a description of code misses: caught by the key now, and by the probe alone
# --------------------------------------------------------------------------


@pytest.fixture(params=[True, False], ids=["key", "probe alone"])
def described(request, monkeypatch):
    """Run a test with the key describing code (the default), then with the probe alone deciding."""
    from course_utils import keys

    monkeypatch.setattr(keys, "DESCRIBE_CODE", request.param)
    return request.param


def _scale_model(keras, Scale):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), Scale(), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", run_eagerly=True)
    return model


def test_a_class_attribute_of_a_custom_layer(keras, tiny_data, cache, described, capsys):
    runs = []
    for factor in ("1.0", "5.0", "5.0"):
        Scale = define(f"""
            class Scale(keras.layers.Layer):
                FACTOR = {factor}

                def call(self, inputs):
                    return inputs * self.FACTOR
            """, "Scale")
        runs.append(fit(None, tiny_data, cache, model=_scale_model(keras, Scale)))
    assert [h.from_cache for h in runs] == [False, False, True]
    out = capsys.readouterr().out
    if described:
        assert "changed since it was cached (a custom layer" in out or "the code of" in out
    else:   # the key cannot tell the two apart: the probe does
        assert "a replay would have been stale; training again" in out


def _loss_model(keras, loss):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss=loss, run_eagerly=True)
    return model


WEIGHTED = """
class Weighted(keras.losses.Loss):
    def __init__(self, pos_weight):
        super().__init__(name="weighted")        # get_config returns the name only
        self.pos_weight = pos_weight
        self._floor = 1e-7

    def call(self, y_true, y_pred):
        y_pred = keras.ops.clip(y_pred, self._floor, 1 - self._floor)
        return -keras.ops.mean(self.pos_weight * y_true * keras.ops.log(y_pred)
                               + (1 - y_true) * keras.ops.log(1 - y_pred))
"""


def test_the_arguments_of_a_custom_loss_with_get_config(keras, tiny_data, cache, described):
    Weighted = define(WEIGHTED, "Weighted")
    runs = [fit(None, tiny_data, cache, model=_loss_model(keras, Weighted(w))) for w in (1.0, 10.0, 10.0)]
    assert [h.from_cache for h in runs] == [False, False, True]
    assert runs[1].history["loss"][0] > 2 * runs[0].history["loss"][0]      # a real difference, not a replay


def test_an_underscore_attribute_of_a_custom_loss(keras, tiny_data, cache, described):
    Weighted = define(WEIGHTED, "Weighted")
    losses = [Weighted(1.0), Weighted(1.0), Weighted(1.0)]
    losses[1]._floor = losses[2]._floor = 0.2
    runs = [fit(None, tiny_data, cache, model=_loss_model(keras, loss)) for loss in losses]
    assert [h.from_cache for h in runs] == [False, False, True]


def test_code_reached_several_calls_deep(keras, tiny_data, cache, described):
    runs = []
    for scale in (1.0, 3.0, 3.0):
        loss = define("""
            def inner(y_true, y_pred):
                return keras.losses.binary_crossentropy(y_true, y_pred) * CONFIG["loss"]["scale"]["value"]

            def middle(y_true, y_pred):
                return inner(y_true, y_pred)

            def my_loss(y_true, y_pred):
                return keras.ops.mean(middle(y_true, y_pred))
            """, "my_loss", CONFIG={"loss": {"scale": {"value": scale}}})
        runs.append(fit(None, tiny_data, cache, model=_loss_model(keras, loss)))
    assert [h.from_cache for h in runs] == [False, False, True]


def test_an_underscore_attribute_of_a_callback(keras, make_model, tiny_data, cache):
    """A callback acts between epochs, after the probe's steps: the key alone sees it."""
    SetRate = define("""
        class SetRate(keras.callbacks.Callback):
            def __init__(self, rate):
                super().__init__()
                self._rate = rate

            def on_epoch_begin(self, epoch, logs=None):
                self.model.optimizer.learning_rate.assign(self._rate)
        """, "SetRate")
    runs = [fit(make_model, tiny_data, cache, callbacks=[SetRate(rate)]) for rate in (0.01, 0.5, 0.5)]
    assert [h.from_cache for h in runs] == [False, False, True]


def test_a_bound_method_as_a_schedule(keras, make_model, tiny_data, cache):
    """A LearningRateScheduler acts at each epoch's start, after... and before the probe's steps: the key sees
    the object the method belongs to."""
    Decay = define("""
        class Decay:
            def __init__(self, factor):
                self.factor = factor

            def schedule(self, epoch, lr):
                return 0.01 * self.factor ** epoch
        """, "Decay")
    runs = [fit(make_model, tiny_data, cache, callbacks=[keras.callbacks.LearningRateScheduler(Decay(f).schedule)])
            for f in (0.5, 0.1, 0.1)]
    assert [h.from_cache for h in runs] == [False, False, True]


def test_what_only_the_key_sees_epochs_and_a_schedule_after_the_first_steps(keras, make_model, tiny_data, cache):
    from course_utils import keys

    Later = define("""
        class Later(keras.optimizers.schedules.LearningRateSchedule):
            def __init__(self, after):
                self.after = after

            def __call__(self, step):
                return keras.ops.where(step < self.after, 0.01, 0.001)
        """, "Later")

    def model_with(after):
        model = make_model(run_eagerly=True)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=Later(after)), loss="binary_crossentropy",
                      run_eagerly=True)
        return model

    a = fit(None, tiny_data, cache, model=model_with(5))
    b = fit(None, tiny_data, cache, model=model_with(6))     # differs from step 5 on: after the probe's steps
    assert (a.from_cache, b.from_cache) == (False, False)
    keys_off = pytest.MonkeyPatch()
    keys_off.setattr(keys, "DESCRIBE_CODE", False)
    try:
        # without the key's description of the schedule the probe cannot tell them apart: this is why the key stays
        assert fit(None, tiny_data, cache, model=model_with(7), name="blind").from_cache is False
        assert fit(None, tiny_data, cache, model=model_with(8), name="blind").from_cache is True
    finally:
        keys_off.undo()


# --------------------------------------------------------------------------
# what a replay owes, and nothing lost
# --------------------------------------------------------------------------


def _dropout_model(keras):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.5), keras.layers.GaussianNoise(0.1),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", run_eagerly=True)
    return model


def test_a_replay_restores_the_random_state_so_the_next_stage_replays(keras, tiny_data, cache):
    from course_utils import probe

    model = _dropout_model(keras)
    first = fit(None, tiny_data, cache, model=model, name="stage1")
    after_training = probe.rng_state(model)
    second = fit(None, tiny_data, cache, model=model, name="stage2")      # training continues from stage 1
    assert (first.from_cache, second.from_cache) == (False, False)
    again = _dropout_model(keras)                                           # the next session
    assert fit(None, tiny_data, cache, model=again, name="stage1").from_cache
    assert probe.rng_state(again)["model"] == after_training["model"]
    assert fit(None, tiny_data, cache, model=again, name="stage2").from_cache
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_probe_leaves_the_model_exactly_as_it_was(keras, tiny_data):
    from course_utils import probe

    (x, y), val = tiny_data
    model = _dropout_model(keras)
    before = [v.numpy().copy() for v in model.variables]
    rng = probe.rng_state(model)
    result = probe.run(model, x, y, {"batch_size": 50, "validation_data": val})
    assert len(result["steps"]) == 2 and set(result["val"]) == {"loss"} and result["seconds"] < 10
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(before, model.variables))
    assert probe.rng_state(model) == rng and int(model.optimizer.iterations) == 0
    assert probe.agrees(result, probe.run(model, x, y, {"batch_size": 50, "validation_data": val})) == (True, "")


def test_re_running_only_the_fit_cell_keeps_the_first_entry(make_model, tiny_data, cache, capsys):
    model = make_model(run_eagerly=True)
    first = fit(make_model, tiny_data, cache, model=model)
    further = fit(make_model, tiny_data, cache, model=model)        # the fit cell run again: trained further
    assert not further.from_cache and further.key != first.key
    assert "changed since it was cached (the starting weights" in capsys.readouterr().out
    assert sorted(p.name for p in (cache / "run").iterdir()) == sorted([first.key[:16], further.key[:16]])
    assert fit(make_model, tiny_data, cache).from_cache                # the next full run replays the first


def test_two_variants_under_one_name_keep_an_entry_each_bounded(make_model, tiny_data, cache, capsys):
    a, b = fit(make_model, tiny_data, cache, lr=0.01), fit(make_model, tiny_data, cache, lr=0.02)
    assert fit(make_model, tiny_data, cache, lr=0.01).from_cache and fit(make_model, tiny_data, cache, lr=0.02).from_cache
    for lr in (0.03, 0.04, 0.05):
        fit(make_model, tiny_data, cache, lr=lr)
    assert "(the 1 least recently used variant(s) of 'run' removed: at most 4 are kept)" in capsys.readouterr().out
    assert len(list((cache / "run").iterdir())) == training.cache.MAX_VARIANTS
    assert not (cache / "run" / a.key[:16]).exists() and (cache / "run" / b.key[:16]).exists()


def test_a_hand_edited_history_is_found_out(make_model, tiny_data, cache):
    first = fit(make_model, tiny_data, cache)
    path = entry_of(cache, first) / "entry.json"
    entry = json.loads(path.read_text())
    entry["history"]["val_accuracy"][-1] = 0.999
    path.write_text(json.dumps(entry))
    with pytest.warns(UserWarning, match="does not match its checksum: it was edited or damaged"):
        again = fit(make_model, tiny_data, cache)
    assert not again.from_cache and again.history["val_accuracy"][-1] == first.history["val_accuracy"][-1]


def test_a_model_that_cannot_be_saved_whole_is_kept_as_weights(keras, tiny_data, cache, capsys):
    Table = define("""
        class Table(keras.layers.Layer):
            def __init__(self, table, **kwargs):
                super().__init__(**kwargs)
                self.table = table

            def call(self, inputs):
                return inputs * self.table
        """, "Table")

    def build():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input(shape=(4,)), Table(np.ones(4, "float32")),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", run_eagerly=True)
        return model

    first = fit(None, tiny_data, cache, model=build())
    assert "cannot be saved whole as a .keras file" in capsys.readouterr().out
    assert set(json.loads((entry_of(cache, first) / "entry.json").read_text())["files"]) == {"model.weights.h5"}
    again = fit(None, tiny_data, cache, model=build())
    assert again.from_cache and again.not_restored == ["the optimizer's state"]
    for a, b in zip(again.model.get_weights(), first.model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_an_experiment_named_like_a_keras_auto_name_replays(make_model, tiny_data, cache):
    runs = [fit(make_model, tiny_data, cache, name="adam") for _ in range(2)]   # the optimizers are adam, adam_1
    assert [h.from_cache for h in runs] == [False, True]


def test_the_old_format_clean_up_leaves_a_students_files_alone(make_model, tiny_data, cache):
    cache.mkdir(parents=True)
    (cache / "baseline.json").write_text('{"my": "results"}')
    (cache / "baseline.keras").write_bytes(b"my model")
    fit(make_model, tiny_data, cache, name="baseline")
    assert (cache / "baseline.json").read_text() == '{"my": "results"}'
    assert (cache / "baseline.keras").read_bytes() == b"my model"


def test_a_partial_loss_is_keyed_not_refused(keras, tiny_data, cache):
    import functools

    runs = []
    for weight in (1.0, 2.0, 2.0):
        loss = functools.partial(define("def scaled(y_true, y_pred, w):\n"
                                        "    return w * keras.losses.binary_crossentropy(y_true, y_pred)\n",
                                        "scaled"), w=weight)
        runs.append(fit(None, tiny_data, cache, model=_loss_model(keras, loss)))
    assert [h.from_cache for h in runs] == [False, False, True]


def test_a_large_table_a_schedule_reads_is_kept_by_its_checksum(keras, make_model, tiny_data, cache):
    table = [0.01] * 5000
    runs = []
    for value in (0.01, 0.02, 0.02):
        table[-1] = value
        schedule = define("def schedule(epoch, lr):\n    return TABLE[epoch]\n", "schedule", TABLE=list(table))
        runs.append(fit(make_model, tiny_data, cache, callbacks=[keras.callbacks.LearningRateScheduler(schedule)]))
    assert [h.from_cache for h in runs] == [False, False, True]
    assert (entry_of(cache, runs[0]) / "entry.json").stat().st_size < 60_000


def test_an_error_in_the_key_names_what_and_why(make_model, tiny_data, cache):
    (x, y), _ = tiny_data
    with pytest.raises(TypeError, match=r"could not describe the data \(x, y, validation_data, sample_weight\) "
                                        r"of 'run': fit_cached cannot fingerprint data of type generator"):
        training.fit_cached("run", make_model(), (row for row in x), y, epochs=1, cache_dir=cache)


# --------------------------------------------------------------------------
# damaged, foreign, incomplete or old entries; names that must not collide
# --------------------------------------------------------------------------


def test_a_foreign_weights_file_of_the_same_shapes_is_refused(make_model, tiny_data, cache):
    first = fit(make_model, tiny_data, cache, name="a")
    other = fit(make_model, tiny_data, cache, name="b", seed=7)
    (entry_of(cache, other, "b") / "model.keras").replace(entry_of(cache, first, "a") / "model.keras")
    with pytest.warns(UserWarning, match="does not belong to this cache entry"):
        again = fit(make_model, tiny_data, cache, name="a")
    assert not again.from_cache
    for w, v in zip(again.model.get_weights(), first.model.get_weights()):
        np.testing.assert_allclose(w, v, rtol=1e-5)  # retrained from the same start: the same result


@pytest.mark.parametrize("damage", ["truncated", "no history", "older format", "not a dict"])
def test_an_incomplete_or_old_entry_is_retrained_not_a_crash(make_model, tiny_data, cache, damage):
    first = fit(make_model, tiny_data, cache)
    path = entry_of(cache, first) / "entry.json"
    entry = json.loads(path.read_text())
    if damage == "truncated":
        path.write_text(path.read_text()[:40])
    elif damage == "no history":
        del entry["history"]
        path.write_text(json.dumps(entry))
    elif damage == "older format":
        entry["format"] = "course_utils.fit_cached/1"
        path.write_text(json.dumps(entry))
    else:
        path.write_text("[1, 2]")
    with pytest.warns(UserWarning, match="is unreadable"):
        h = fit(make_model, tiny_data, cache)
    assert not h.from_cache
    assert json.loads(path.read_text())["key"] == first.key


def test_a_file_of_the_first_format_is_replaced(make_model, tiny_data, cache, capsys):
    cache.mkdir(parents=True)
    (cache / "run.json").write_text('{"format": "course_utils.fit_cached/1", "history": {}}')
    (cache / "run.keras").write_bytes(b"old")
    h = fit(make_model, tiny_data, cache)
    assert not h.from_cache and "older format (run.json)" in capsys.readouterr().out
    assert not (cache / "run.json").exists() and not (cache / "run.keras").exists()


def test_names_f_and_f_best_do_not_collide(make_model, tiny_data, cache):
    f = fit(make_model, tiny_data, cache, name="f", save_best=True)
    checkpoint = f.best_model_path.read_bytes()
    f_best = fit(make_model, tiny_data, cache, name="f.best", units=4, save_best=True)
    assert not f_best.from_cache and f_best.best_model_path != f.best_model_path
    assert f.best_model_path.read_bytes() == checkpoint
    assert fit(make_model, tiny_data, cache, name="f", save_best=True).from_cache
    assert fit(make_model, tiny_data, cache, name="f.best", units=4, save_best=True).from_cache


def test_bad_name_and_uncompiled_model_are_refused(keras, tiny_data, cache):
    (x, y), _ = tiny_data
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compiled model"):
        training.fit_cached("ok", model, x, y, epochs=1, cache_dir=cache)
    for name in ("../escape", "f~1", ".hidden"):
        with pytest.raises(ValueError, match="letters, digits"):
            training.fit_cached(name, model, x, y, epochs=1, cache_dir=cache)


# --------------------------------------------------------------------------
# two processes, one entry
# --------------------------------------------------------------------------

WORKER = """
import os, sys, time
from pathlib import Path
import numpy as np
import course_utils as cu
import keras

cache, started, role = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]


class Slow(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        started.touch()

    def on_epoch_end(self, epoch, logs=None):
        time.sleep(0.6)


if role == "second":  # start while the first one is training
    deadline = time.time() + 90
    while not started.exists() and time.time() < deadline:
        time.sleep(0.1)
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 4)).astype("float32")
y = (x[:, 0] > 0).astype("float32")
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
h = cu.fit_cached("shared", model, x, y, epochs=2, verbose=0, callbacks=[Slow()], cache_dir=cache)
print("RESULT", h.from_cache, h.key, model.evaluate(x, y, verbose=0)[1])
"""


def test_two_processes_on_one_entry_train_once(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    cache, started = tmp_path / "fits", tmp_path / "started"
    root = str(Path(training.__file__).resolve().parent.parent)
    env = {**__import__("os").environ, "PYTHONPATH": root}
    procs = [subprocess.Popen([sys.executable, str(script), str(cache), str(started), role],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
             for role in ("first", "second")]
    outs = [p.communicate(timeout=150)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    results = [next(line.split() for line in out.splitlines() if line.startswith("RESULT")) for out in outs]
    assert [r[1] for r in results] == ["False", "True"], outs
    assert results[0][2:] == results[1][2:]            # the same key, the same accuracy
    assert "another process is training 'shared'" in outs[1]
    entry = json.loads((cache / "shared" / results[0][2][:16] / "entry.json").read_text())
    assert entry["key"] == results[0][2]
    assert sorted(p.name for p in cache.iterdir()) == [".shared.lock", "shared"]


NEW_KERNEL = """
import sys
from pathlib import Path
import numpy as np
import course_utils as cu
import keras

cache, first = Path(sys.argv[1]), sys.argv[2] == "first"
if first:
    keras.metrics.AUC()          # an earlier metric of this session: this one's AUC is auc_1, the next one's auc
KINDS = {"relu", "tanh"}         # a set of strings: its order changes with the hash seed of each process


def my_loss(y_true, y_pred):
    scale = 1.0 if "relu" in KINDS else 2.0
    return scale * keras.ops.mean(keras.losses.binary_crossentropy(y_true, y_pred))


rng = np.random.default_rng(0)
x = rng.normal(size=(96, 4)).astype("float32")
y = (x[:, 0] > 0).astype("float32")
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Lambda(lambda t: t * 2.0),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss=my_loss, metrics=[keras.metrics.AUC(), lambda a, b: keras.ops.mean(b)])
h = cu.fit_cached("lambdas", model, x, y, epochs=2, batch_size=32, validation_split=0.25, verbose=0,
                  cache_dir=cache)
print("RESULT", h.from_cache, sorted(h.history), round(h.history["val_loss"][-1], 6))
"""


def test_an_unchanged_run_in_a_new_kernel_replays(tmp_path):
    """Lambda layers, lambda metrics, a set of strings in the code, other metric names: the next kernel replays,
    and its history uses this kernel's metric names."""
    script = tmp_path / "again.py"
    script.write_text(NEW_KERNEL)
    root = str(Path(training.__file__).resolve().parent.parent)
    outs = []
    for role, seed in (("first", "1"), ("second", "2")):
        env = {**__import__("os").environ, "PYTHONPATH": root, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, str(script), str(tmp_path / "fits"), role], capture_output=True,
                              text=True, env=env, timeout=150)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outs.append(next(line for line in proc.stdout.splitlines() if line.startswith("RESULT")))
    first, second = (line.split(" ", 2)[1:] for line in outs)
    assert first[0] == "False" and second[0] == "True", outs
    assert "'val_auc_1'" in first[1] and "'val_auc'" in second[1] and "'val_auc_1'" not in second[1], outs
    assert first[1].rsplit("]", 1)[1] == second[1].rsplit("]", 1)[1]      # the same val_loss


# --------------------------------------------------------------------------
# keras-tuner folders
# --------------------------------------------------------------------------


def test_tuner_folder_is_named_by_search_space_data_and_settings(tiny_data):
    (x, y), (xv, yv) = tiny_data
    source = "def build(hp):\n    return hp.Int('units', {low}, 64)\n"
    build = define(source.format(low=8), "build")
    folder = training.tuner_folder("search", build, (x, y, xv, yv), max_epochs=5)
    assert folder.parent.name == "tuner" and folder.name.startswith("search-") and len(folder.name) == 19
    assert training.tuner_folder("search", define(source.format(low=8), "build"), (x, y, xv, yv),
                                 max_epochs=5) == folder
    others = [training.tuner_folder("search", define(source.format(low=16), "build"), (x, y, xv, yv), max_epochs=5),
              training.tuner_folder("search", build, (x[:100], y[:100], xv, yv), max_epochs=5),
              training.tuner_folder("search", build, (x, y, xv, yv), max_epochs=6),
              training.tuner_folder("other", build, (x, y, xv, yv), max_epochs=5)]
    assert len({folder, *others}) == 5
    with pytest.raises(ValueError, match="letters, digits"):
        training.tuner_folder("a/b", build, (x, y))
    with pytest.raises(TypeError, match="build function"):
        training.tuner_folder("ok", "not a function", (x, y))


def test_tuner_folder_changes_with_choices_defaults_data_values_and_mode(tiny_data, tmp_path, monkeypatch):
    """A search reloads its trials only when nothing it depends on changed (the searches of notebook 03)."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    (x, y), (xv, yv) = tiny_data
    source = """
        WIDTHS = {widths}

        def make(units, rate={rate}):
            return units, rate

        def build(hp):
            return make(hp.Choice("units", WIDTHS))
        """

    def folder(widths="[8, 16]", rate="0.5", data=(x, y, xv, yv)):
        return training.tuner_folder("search", define(source.format(widths=widths, rate=rate), "build"),
                                     data, max_epochs=3, factor=3)

    same = folder()
    assert folder() == same, "the same search, rebuilt, must reload its trials"
    changed = {"choice list": folder(widths="[8, 32]"),
               "default the build reads": folder(rate="0.25"),
               "data values (same shape)": folder(data=(x + 1.0, y, xv, yv))}
    monkeypatch.setattr(training.config, "FAST", not training.config.FAST)
    changed["mode"] = folder()
    assert changed["mode"].parent.parent.name != same.parent.parent.name, "reduced and full mode share no folder"
    monkeypatch.setattr(training.config, "FAST", not training.config.FAST)
    monkeypatch.setattr(training.config, "DATA", "real" if training.config.DATA != "real" else "synthetic")
    changed["data source"] = folder()
    for what, other in changed.items():
        assert other != same and other.name != same.name, f"a changed {what} must give another folder"
    assert len({same.name, *(f.name for f in changed.values())}) == 1 + len(changed)
