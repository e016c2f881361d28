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

import numpy as np  # noqa: E402
import pytest  # noqa: E402

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
    """Build a fresh tiny compiled binary classifier; ``units``, ``lr``, ``seed`` and ``run_eagerly`` can change.

    The seed is set before the model is built, so two calls with the same
    arguments give the same starting weights (what a re-run cell does).
    """

    def build(units=8, lr=0.01, seed=0, run_eagerly=False):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([keras.Input(shape=(4,)),
                                  keras.layers.Dense(units, activation="relu"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss="binary_crossentropy",
                      metrics=["accuracy"], run_eagerly=run_eagerly)
        return model

    return build
