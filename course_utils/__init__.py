"""course_utils: the helpers the course notebooks share.

One module per concern (config, data, synthetic, plotting, training, setup);
the names a notebook needs are re-exported here, so a notebook reads::

    import course_utils as cu
    cu.setup()
    (x_train, y_train), (x_test, y_test) = cu.load_fashion_mnist()
    history = cu.fit_cached("baseline", model, x_train, y_train, epochs=cu.epochs(20))
    cu.plot_history(history)
"""

import os as _os
import sys as _sys
import warnings as _warnings

# What was there before this package, for cu.setup(): TensorFlow's C++ log level is fixed
# when TensorFlow is imported, so after either of these its lines can reach the notebook.
_TF_IMPORTED_FIRST = "tensorflow" in _sys.modules
_TF_LOG_LEVEL_PRESET = _os.environ.get("TF_CPP_MIN_LOG_LEVEL")

# Before anything imports TensorFlow: keep its C++ log lines quiet (TF 2.21
# prints some at ERROR level during a normal fit, so 3 rather than 2).
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

# `python -m course_utils.data` (or .grading, .bench) imports the package first: expected, not a problem.
_warnings.filterwarnings("ignore", message=".*found in sys.modules after import of package 'course_utils'",
                         category=RuntimeWarning)

from .config import DATA, FAST, cache_dir, epochs, mode_name  # noqa: E402
from .data import (  # noqa: E402
    FASHION_CLASSES, MNIST_CLASSES, DataUnavailableError, class_names, decode_review,
    imdb_word_index, load_fashion_mnist, load_imdb, load_mnist, sample_image, stratified_subset,
)
from .plotting import (  # noqa: E402
    compare_histories, plot_confusion_matrix, plot_decision_boundary, plot_history,
    plot_history_interactive, plot_images, plot_sweep,
)
from .setup import environment_info, seed_everything, setup  # noqa: E402
from .training import CachedHistory, fit_cached, tuner_folder  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "DATA", "FAST", "cache_dir", "epochs", "mode_name",
    "FASHION_CLASSES", "MNIST_CLASSES", "DataUnavailableError", "class_names", "decode_review",
    "imdb_word_index", "load_fashion_mnist", "load_imdb", "load_mnist", "sample_image",
    "stratified_subset",
    "compare_histories", "plot_confusion_matrix", "plot_decision_boundary", "plot_history", "plot_history_interactive",
    "plot_images", "plot_sweep",
    "environment_info", "seed_everything", "setup", "CachedHistory", "fit_cached", "tuner_folder",
]
