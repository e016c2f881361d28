"""Shared test set-up: reduced mode, stand-in data, a private cache, no screens.

The environment is set before course_utils is imported (it reads its two
switches once), and notebook kernels started by nbval inherit it.
"""

import os
import tempfile

os.environ.setdefault("COURSE_FAST", "1")
os.environ.setdefault("COURSE_DATA", "synthetic")
os.environ.setdefault("COURSE_CACHE_DIR", tempfile.mkdtemp(prefix="course-cache-"))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

# Every dataset load of a notebook kernel is logged here, one file per notebook, so the
# summary can say which data each notebook ran on (real files in data/, or the stand-ins).
DATA_LOG_DIR = Path(__file__).resolve().parent.parent / "build" / "test-data-log"


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controller, before any worker starts
        DATA_LOG_DIR.mkdir(parents=True, exist_ok=True)
        for old in DATA_LOG_DIR.glob("*.log"):
            old.unlink()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a notebook's kernel starts (with its first cell), point its data log at that notebook."""
    path = Path(str(item.fspath))
    if path.suffix == ".ipynb":
        os.environ["COURSE_DATA_LOG"] = str(DATA_LOG_DIR / f"{path.stem}.log")


def pytest_terminal_summary(terminalreporter):
    logs = sorted(DATA_LOG_DIR.glob("*.log")) if DATA_LOG_DIR.is_dir() else []
    if not logs:
        return
    terminalreporter.section("data each notebook ran on")
    for log in logs:
        seen = {}
        for line in log.read_text(encoding="utf-8").splitlines():
            name, source, origin = (line.split("\t") + ["", ""])[:3]
            seen[name] = source if source == "stand-in" else f"real ({origin})"
        text = ", ".join(f"{n}: {s}" for n, s in sorted(seen.items())) or "no dataset loaded"
        terminalreporter.write_line(f"{log.stem}: {text}")


@pytest.fixture(scope="session")
def keras():
    """Keras, imported quietly and seeded."""
    import course_utils as cu

    cu.seed_everything(0)
    import keras as k

    return k


@pytest.fixture
def tiny_data():
    """200 samples, 4 features, a learnable binary label, and a 50-sample validation set."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(250, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")
    return (x[:200], y[:200]), (x[200:], y[200:])


@pytest.fixture
def make_model(keras):
    """Build a fresh tiny compiled binary classifier; ``units`` and ``lr`` can change."""

    def build(units=8, lr=0.01):
        model = keras.Sequential([keras.Input(shape=(4,)),
                                  keras.layers.Dense(units, activation="relu"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss="binary_crossentropy",
                      metrics=["accuracy"])
        return model

    return build
