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

import os
import platform
import sys
from contextlib import contextmanager
from dataclasses import dataclass

from . import config

SEED = 42


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
    tf = quiet_import_tensorflow()
    import keras
    import matplotlib as mpl

    seed_everything(seed)
    mpl.rcParams.update({"figure.dpi": 90, "axes.spines.top": False, "axes.spines.right": False})
    try:
        import plotly.io as pio

        if "google.colab" not in sys.modules:  # Colab picks its own renderer
            pio.renderers.default = "plotly_mimetype+notebook_connected"
    except ImportError:
        pass

    devices = [d.device_type for d in tf.config.list_physical_devices()]
    info = SetupInfo(python=platform.python_version(), tensorflow=tf.__version__, keras=keras.__version__,
                     devices=devices, mode=config.mode_name(), data=config.DATA, seed=seed)
    if verbose:
        gpu = "GPU" in devices
        print(f"Python {info.python} | TensorFlow {info.tensorflow} | Keras {info.keras}")
        print(f"Device: {'GPU' if gpu else 'CPU only'} | seed {seed}")
        print(f"Mode: {info.mode}" + (" (COURSE_FAST=1: fewer epochs, smaller data)" if config.FAST else "")
              + f" | data: {info.data}")
    _INFO = info
