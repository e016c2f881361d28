"""setup: seeds, quiet start-up, printed versions and modes, and the Colab set-up cell's checks."""

import importlib
import importlib.metadata
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import course_utils as cu

cu_setup = importlib.import_module("course_utils.setup")  # the name cu.setup is the function


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
    with cu_setup._stderr_silenced():
        os.write(2, b"hidden\n")
    os.write(2, b"visible\n")
    err = capfd.readouterr().err
    assert "visible" in err and "hidden" not in err


# --- the Colab set-up cell's checks, run here outside Colab -------------------------------------


def test_a_module_loaded_before_an_upgrade_is_named_with_both_versions():
    old_numpy = types.ModuleType("numpy")
    old_numpy.__version__ = "1.26.0"
    installed = importlib.metadata.version("numpy")
    stale = cu_setup.stale_modules({"numpy": old_numpy, "keras": sys.modules["keras"]})
    assert stale == [f"numpy: {installed} is installed, but 1.26.0 is the one loaded"]
    with pytest.raises(cu_setup.RestartNeeded, match="Runtime > Restart session") as err:
        cu_setup.check_restart_needed({"numpy": old_numpy})
    assert "numpy: " in str(err.value) and "run this cell again" in str(err.value)


def test_the_running_libraries_are_the_installed_ones():
    import keras  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import PIL  # noqa: F401
    import plotly  # noqa: F401
    import sklearn  # noqa: F401
    import tensorflow  # noqa: F401

    assert cu_setup.stale_modules() == []     # no false alarm on a consistent install
    assert cu.__version__ == importlib.metadata.version("dl-course")


def test_gpu_advice_only_on_colab_without_a_gpu():
    assert "Runtime > Change runtime type" in cu_setup.gpu_advice(["CPU"], on_colab=True)
    assert cu_setup.gpu_advice(["CPU", "GPU"], on_colab=True) is None
    assert cu_setup.gpu_advice(["CPU"], on_colab=False) is None


def test_setup_on_colab_without_gpu_prints_how_to_turn_one_on(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    cu.setup()
    out = capsys.readouterr().out
    assert "Device: CPU only" in out
    assert cu_setup.COLAB_GPU_HOWTO in out


def test_tf_log_note_explains_the_lines_only_when_they_cannot_be_hidden():
    assert cu_setup.tf_log_note(imported_first=False, preset_level=None) is None
    assert cu_setup.tf_log_note(imported_first=True, preset_level="3") is None
    preset = cu_setup.tf_log_note(imported_first=False, preset_level="0")
    assert "TF_CPP_MIN_LOG_LEVEL=0 was set" in preset and "unset TF_CPP_MIN_LOG_LEVEL" in preset
    first = cu_setup.tf_log_note(imported_first=True, preset_level=None)
    assert "imported before course_utils" in first and "cuInit" in first and "harmless" in first


def test_tensorflow_imported_first_is_explained_once_and_cuinit_stays_out(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    code = "import tensorflow\nimport course_utils as cu\ncu.setup()\n"
    run = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.count("Note: TensorFlow was imported before course_utils") == 1
    assert "cuInit" not in run.stderr        # the device query in setup() is silenced


def test_plotly_renderer_follows_plotly_renderer_variable(monkeypatch):
    import plotly.io as pio

    monkeypatch.setenv("PLOTLY_RENDERER", "plotly_mimetype+notebook")
    cu.setup(verbose=False)
    assert pio.renderers.default == "plotly_mimetype+notebook"
    monkeypatch.delenv("PLOTLY_RENDERER")
    cu.setup(verbose=False)
    assert pio.renderers.default == "plotly_mimetype+notebook_connected"


def _exported_html(tmp_path, renderer: str | None, monkeypatch) -> str:
    """Execute a two-cell notebook with a plotly figure and export it to HTML, as make execute does."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    if renderer:
        monkeypatch.setenv("PLOTLY_RENDERER", renderer)
    else:
        monkeypatch.delenv("PLOTLY_RENDERER", raising=False)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import course_utils as cu\ncu.setup()"),
        nbformat.v4.new_code_cell("import plotly.express as px\npx.line(x=[0, 1, 2], y=[1, 3, 2])"),
    ])
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    html, _ = HTMLExporter().from_notebook_node(nb)
    return html


@pytest.mark.slow
def test_make_executes_html_draws_plots_without_the_network(tmp_path, monkeypatch):
    offline = _exported_html(tmp_path, "plotly_mimetype+notebook", monkeypatch)   # make execute's setting
    assert "https://cdn.plot.ly/plotly-" not in offline                          # nothing loaded from the web
    assert "plotly.js v" in offline and "Plotly.newPlot" in offline               # the library is inline
    online = _exported_html(tmp_path, None, monkeypatch)                          # the default, for JupyterLab
    assert "https://cdn.plot.ly/plotly-" in online and "plotly.js v" not in online
