"""The first cell's work: one call, the same in every notebook.

``cu.setup()`` seeds Python, NumPy and TensorFlow (and makes TensorFlow's
operations deterministic), keeps TensorFlow's start-up lines out of the
notebook, sets plot defaults, and prints versions, devices and the two
modes, so that a printed notebook says how it was run.

Example (first code cell of every notebook)::

    >>> import course_utils as cu
    >>> cu.setup()                    # prints; returns nothing, so the cell shows no repr
    >>> cu.environment_info().keras   # what setup found, when a program needs it
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Mapping

from . import config

SEED = 42

# The distributions the notebooks import, and the module each one provides.
CHECKED_DISTRIBUTIONS = {
    "dl-course": "course_utils", "tensorflow": "tensorflow", "keras": "keras",
    "keras-tuner": "keras_tuner", "numpy": "numpy", "scipy": "scipy", "scikit-learn": "sklearn",
    "pandas": "pandas", "matplotlib": "matplotlib", "plotly": "plotly", "pillow": "PIL",
}

COLAB_GPU_HOWTO = (
    "No GPU in this runtime: the trainings run on the CPU, several times slower. To turn one on: "
    "Runtime > Change runtime type > Hardware accelerator: T4 GPU > Save, then run the notebook "
    "again from the top (changing the runtime type starts a new runtime)."
)


class RestartNeeded(RuntimeError):
    """A library was upgraded on disk while the running kernel still has the old one loaded."""


@dataclass
class SetupInfo:
    """What :func:`setup` found: versions, devices, the modes and the seed."""

    python: str
    tensorflow: str
    keras: str
    devices: list[str]
    mode: str
    data: str
    seed: int


@contextmanager
def _stderr_silenced():
    """Send the process's own stderr (file descriptor 2) to /dev/null for a moment.

    TensorFlow's C++ start-up lines bypass Python's ``sys.stderr`` and would
    otherwise land in the first cell's output.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some hosted kernels)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_import_tensorflow():
    """Import TensorFlow without its start-up log lines and return the module."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with _stderr_silenced():
        import tensorflow as tf
    return tf


def seed_everything(seed: int = SEED) -> None:
    """Seed Python, NumPy and TensorFlow, and make TensorFlow's ops deterministic."""
    tf = quiet_import_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def stale_modules(modules: Mapping[str, ModuleType] | None = None) -> list[str]:
    """Return one line per loaded module whose version is not the one installed on disk.

    After the Colab set-up cell's ``pip install``, a module that was imported
    before the install (Colab preloads some, and a second run of the cell finds
    the course's own) stays in memory at its old version. Empty when every
    loaded module matches::

        >>> stale_modules()
        []
    """
    modules = sys.modules if modules is None else modules
    stale = []
    for dist, name in CHECKED_DISTRIBUTIONS.items():
        module = modules.get(name)
        loaded = getattr(module, "__version__", None)
        if module is None or not isinstance(loaded, str):
            continue
        try:
            installed = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:  # imported from a folder, not installed
            continue
        if _same_version(loaded, installed):
            continue
        stale.append(f"{dist}: {installed} is installed, but {loaded} is the one loaded")
    return stale


def _same_version(a: str, b: str) -> bool:
    try:
        from packaging.version import Version

        return Version(a) == Version(b)
    except Exception:  # packaging missing, or a version it cannot parse
        return a == b


def check_restart_needed(modules: Mapping[str, ModuleType] | None = None) -> None:
    """Raise :class:`RestartNeeded`, naming the libraries, when :func:`stale_modules` finds any."""
    stale = stale_modules(modules)
    if stale:
        raise RestartNeeded(
            "The set-up cell installed new versions, but this runtime still has the old ones loaded:\n  "
            + "\n  ".join(stale)
            + "\nA runtime restart is needed: Runtime > Restart session (Colab) or Kernel > Restart "
            "(JupyterLab), then run this cell again; the second run installs nothing new."
        )


def gpu_advice(devices: list[str], on_colab: bool) -> str | None:
    """Return how to turn on a GPU when Colab gave none (None with a GPU, or outside Colab)."""
    if "GPU" in devices or not on_colab:
        return None
    return COLAB_GPU_HOWTO


def tf_log_note(imported_first: bool, preset_level: str | None) -> str | None:
    """Return the one-time explanation of TensorFlow's C++ log lines, when they cannot be hidden.

    They are hidden (level 3) unless ``TF_CPP_MIN_LOG_LEVEL`` was set lower
    before the notebook started, or TensorFlow was imported before
    ``course_utils``: TensorFlow reads the level once, at its import.
    """
    what = ("TensorFlow's C++ log lines (such as 'E0000 ... failed call to cuInit' or "
            "'NodeDef mentions attribute ...') may appear below some cells, often in red. They are "
            "harmless: ")
    level = (preset_level or "").strip()
    if level and level != "3":
        return (f"Note: TF_CPP_MIN_LOG_LEVEL={level} was set before the notebook started, so {what}"
                "to hide them, unset TF_CPP_MIN_LOG_LEVEL (or set it to 3) and restart the kernel.")
    if imported_first and not level:
        return (f"Note: TensorFlow was imported before course_utils, so {what}to hide them, restart "
                "the kernel and run the first cell (import course_utils) before importing TensorFlow.")
    return None


def _on_colab() -> bool:
    return "google.colab" in sys.modules


def _plotly_renderer() -> str:
    """The renderer outside Colab: plotly's own PLOTLY_RENDERER when set (make execute sets it)."""
    return os.environ.get("PLOTLY_RENDERER") or "plotly_mimetype+notebook_connected"


_INFO: SetupInfo | None = None


def environment_info() -> SetupInfo:
    """Return what the last :func:`setup` found (running a quiet setup first if there was none)."""
    if _INFO is None:
        setup(verbose=False)
    assert _INFO is not None
    return _INFO


def setup(seed: int = SEED, verbose: bool = True) -> None:
    """Prepare a notebook: seeds, quiet logs, plot defaults; print what runs where.

    Called once, in the first code cell. Returns None (so the cell shows only
    the printed lines); :func:`environment_info` returns the details.
    """
    global _INFO
    import course_utils

    check_restart_needed()
    tf = quiet_import_tensorflow()
    import keras
    import matplotlib as mpl

    seed_everything(seed)
    mpl.rcParams.update({"figure.dpi": 90, "axes.spines.top": False, "axes.spines.right": False})
    try:
        import plotly.io as pio

        if not _on_colab():  # Colab picks its own renderer
            pio.renderers.default = _plotly_renderer()
    except ImportError:
        pass

    with _stderr_silenced():  # the first device query logs cuInit's failure on a machine without a GPU
        devices = [d.device_type for d in tf.config.list_physical_devices()]
    info = SetupInfo(python=platform.python_version(), tensorflow=tf.__version__, keras=keras.__version__,
                     devices=devices, mode=config.mode_name(), data=config.DATA, seed=seed)
    if verbose:
        gpu = "GPU" in devices
        print(f"Python {info.python} | TensorFlow {info.tensorflow} | Keras {info.keras}")
        print(f"Device: {'GPU' if gpu else 'CPU only'} | seed {seed}")
        print(f"Mode: {info.mode}" + (" (COURSE_FAST=1: fewer epochs, smaller data)" if config.FAST else "")
              + f" | data: {info.data}")
        for note in (gpu_advice(devices, _on_colab()),
                     tf_log_note(course_utils._TF_IMPORTED_FIRST, course_utils._TF_LOG_LEVEL_PRESET)):
            if note:
                print(note)
    _INFO = info
