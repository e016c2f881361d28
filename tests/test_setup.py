"""setup: seeds, quiet start-up, printed versions and modes."""

import numpy as np

import course_utils as cu


def test_setup_prints_versions_device_and_modes(capsys):
    assert cu.setup(seed=7) is None           # nothing for a notebook cell to echo
    out = capsys.readouterr().out
    info = cu.environment_info()
    assert f"TensorFlow {info.tensorflow}" in out and f"Keras {info.keras}" in out
    assert "Mode: reduced" in out and f"data: {cu.config.DATA}" in out
    assert info.keras.startswith("3.") and info.seed == 7 and "CPU" in info.devices


def test_seeding_makes_runs_repeatable():
    import keras

    cu.seed_everything(3)
    a = (np.random.rand(3), keras.random.normal((3,)).numpy())
    cu.seed_everything(3)
    b = (np.random.rand(3), keras.random.normal((3,)).numpy())
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_stderr_is_restored_after_a_quiet_import(capfd):
    import importlib
    import os

    setup_module = importlib.import_module("course_utils.setup")  # the name cu.setup is the function
    with setup_module._stderr_silenced():
        os.write(2, b"hidden\n")
    os.write(2, b"visible\n")
    err = capfd.readouterr().err
    assert "visible" in err and "hidden" not in err
