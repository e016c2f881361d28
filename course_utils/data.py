"""Dataset loaders that return exactly what ``keras.datasets`` returns.

Each loader follows ``COURSE_DATA`` (see :mod:`course_utils.config`):

* ``auto``: the real data from the Keras cache or a download; if neither
  works, a loud banner and the stand-in from :mod:`course_utils.synthetic`.
* ``real``: the real data, or a :class:`DataUnavailableError` that names the
  files, the folder and what to do.
* ``synthetic``: always the stand-in.

In reduced mode (``COURSE_FAST=1``) every loader returns a stratified subset.
The source of the last load is kept in :data:`SOURCES` ("real" or "stand-in").

Example (notebooks 02-05)::

    >>> (x_train, y_train), (x_test, y_test) = cu.load_fashion_mnist()
    >>> x_train.shape[1:], x_train.dtype
    ((28, 28), dtype('uint8'))
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

from . import config, synthetic

MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
IMDB_CLASSES = ["negative", "positive"]

# Reduced-mode sizes: (train, test)
REDUCED = {"mnist": (3000, 1000), "fashion_mnist": (3000, 1000), "imdb": (2000, 1000)}

# What Keras looks for under $KERAS_HOME/datasets (named in error messages).
KERAS_FILES = {
    "mnist": ["mnist.npz"],
    "fashion_mnist": [
        "fashion-mnist/train-labels-idx1-ubyte.gz",
        "fashion-mnist/train-images-idx3-ubyte.gz",
        "fashion-mnist/t10k-labels-idx1-ubyte.gz",
        "fashion-mnist/t10k-images-idx3-ubyte.gz",
    ],
    "imdb": ["imdb.npz"],
    "imdb_word_index": ["imdb_word_index.json"],
}
TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "imdb": "IMDB",
          "imdb_word_index": "The IMDB word index"}

SOURCES: dict[str, str] = {}


class DataUnavailableError(RuntimeError):
    """The real dataset is neither cached nor downloadable (``COURSE_DATA=real``)."""


def keras_datasets_dir() -> Path:
    """Return the folder where Keras keeps its downloads (``$KERAS_HOME/datasets``)."""
    return Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser() / "datasets"


def class_names(dataset: str) -> list[str]:
    """Return the class names of ``"mnist"``, ``"fashion_mnist"`` or ``"imdb"``, in label order."""
    names = {"mnist": MNIST_CLASSES, "fashion_mnist": FASHION_CLASSES, "imdb": IMDB_CLASSES}
    if dataset not in names:
        raise ValueError(f"Unknown dataset {dataset!r}; choose one of {', '.join(names)}.")
    return list(names[dataset])


def stratified_subset(x, y, n: int, seed: int = 0):
    """Return ``(x[idx], y[idx])`` for ``n`` samples with the class proportions of ``y``.

    The chosen samples keep their original order. Example::

        >>> xs, ys = stratified_subset(x_train, y_train, 1000)
    """
    y = np.asarray(y)
    if n >= len(y):
        return x, y
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(y, return_counts=True)
    quota = np.floor(counts / counts.sum() * n).astype(int)
    # hand out what rounding left over to the largest remainders
    short = n - quota.sum()
    order = np.argsort(-(counts / counts.sum() * n - quota), kind="stable")
    quota[order[:short]] += 1
    picked = [rng.choice(np.flatnonzero(y == c), size=q, replace=False) for c, q in zip(classes, quota)]
    idx = np.sort(np.concatenate(picked))
    return x[idx], y[idx]


def _reduce(name: str, splits):
    if not config.FAST:
        return splits
    n_train, n_test = REDUCED[name]
    (xa, ya), (xb, yb) = splits
    return stratified_subset(xa, ya, n_train, seed=1), stratified_subset(xb, yb, n_test, seed=2)


def _banner(lines: list[str]) -> None:
    bar = "=" * 72
    print("\n".join([bar, *lines, bar]))


def _missing_message(name: str, reason: str) -> str:
    folder = keras_datasets_dir()
    files = "\n".join(f"  {folder / f}" for f in KERAS_FILES[name])
    return (
        f"{TITLES[name]} is not in the Keras cache and could not be downloaded "
        f"({reason}).\nKeras looks for:\n{files}\n"
        "To fix this: connect to the internet once (Keras then keeps the files), "
        "or copy those files into that folder, "
        "or set COURSE_DATA=auto (or synthetic) to use the course's stand-in data."
    )


def _short_reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _load(name: str, real: Callable, stand_in: Callable):
    mode = config.DATA
    title = TITLES[name]
    if mode == "synthetic":
        print(f"[stand-in data] {title}: the course's synthetic stand-in (COURSE_DATA=synthetic), "
              "not the real dataset.")
        SOURCES[name] = "stand-in"
        return stand_in()
    try:
        result = real()
    except Exception as exc:  # noqa: BLE001 - any failure to get the files means "unavailable"
        reason = _short_reason(exc)
        if mode == "real":
            raise DataUnavailableError(_missing_message(name, reason)) from None
        _banner([
            f"STAND-IN DATA: {title} could not be loaded ({reason}).",
            "This notebook goes on with the course's synthetic stand-in: same shapes,",
            "dtypes and labels, but NOT the real data. Numbers below are not real results.",
            "Connect to the internet and re-run to use the real dataset.",
        ])
        SOURCES[name] = "stand-in"
        return stand_in()
    SOURCES[name] = "real"
    return result


def load_mnist():
    """Return MNIST as ``(x_train, y_train), (x_test, y_test)``.

    uint8 images (60000/10000, 28, 28) with values 0-255, uint8 labels 0-9;
    a stratified 3000/1000 subset in reduced mode. Used in notebooks 01, 02, 05.
    """
    import keras

    return _reduce("mnist", _load("mnist", keras.datasets.mnist.load_data, synthetic.mnist))


def load_fashion_mnist():
    """Return Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``.

    Same shapes and dtypes as MNIST; labels follow :data:`FASHION_CLASSES`;
    a stratified 3000/1000 subset in reduced mode. Used in notebooks 02-05.
    """
    import keras

    return _reduce("fashion_mnist",
                   _load("fashion_mnist", keras.datasets.fashion_mnist.load_data, synthetic.fashion_mnist))


def load_imdb(num_words: int | None = None, skip_top: int = 0, maxlen: int | None = None,
              start_char: int = 1, oov_char: int = 2, index_from: int = 3):
    """Return IMDB as ``keras.datasets.imdb.load_data`` does.

    ``(x_train, y_train), (x_test, y_test)``: object arrays of integer lists
    (1 = start, 2 = out of vocabulary, word ids offset by ``index_from``) and
    int64 labels 0/1; a stratified 2000/1000 subset in reduced mode.
    Used in notebook 03. Example::

        >>> (x_train, y_train), _ = cu.load_imdb(num_words=10000)
        >>> cu.decode_review(x_train[0])[:40]
    """
    import keras

    kwargs = dict(num_words=num_words, skip_top=skip_top, maxlen=maxlen,
                  start_char=start_char, oov_char=oov_char, index_from=index_from)
    return _reduce("imdb", _load("imdb", lambda: keras.datasets.imdb.load_data(**kwargs),
                                 lambda: synthetic.imdb(**kwargs)))


def imdb_word_index() -> dict[str, int]:
    """Return the IMDB word index (word -> rank, 1 = most frequent), real or stand-in.

    Follows the same source as the last :func:`load_imdb` call in ``auto``
    mode, so that reviews and words always match.
    """
    import keras

    if config.DATA == "synthetic" or (config.DATA == "auto" and SOURCES.get("imdb") == "stand-in"):
        SOURCES["imdb_word_index"] = "stand-in"
        return synthetic.imdb_word_index()
    return _load("imdb_word_index", keras.datasets.imdb.get_word_index, synthetic.imdb_word_index)


def decode_review(sequence, word_index: dict[str, int] | None = None, index_from: int = 3) -> str:
    """Return the text of an integer-encoded review (``?`` for padding, start and unknown words).

    Without ``word_index``, the IMDB word index (real or stand-in) is used;
    its reverse is built once, so decoding thousands of reviews is fast.
    Example::

        >>> cu.decode_review([1, 14, 22, 16])
        '? this film was'   # with the real word index
    """
    if word_index is None:
        source = SOURCES.get("imdb", "stand-in" if config.DATA == "synthetic" else "real")
        reverse = _default_reverse(source, index_from)
    else:
        reverse = {rank + index_from: word for word, rank in word_index.items()}
    return " ".join(reverse.get(int(i), "?") for i in sequence)


_REVERSE: dict[tuple[str, int], dict[int, str]] = {}


def _default_reverse(source: str, index_from: int) -> dict[int, str]:
    if (source, index_from) not in _REVERSE:
        _REVERSE[(source, index_from)] = {rank + index_from: word
                                          for word, rank in imdb_word_index().items()}
    return _REVERSE[(source, index_from)]


def sample_image(name: str = "china.jpg") -> np.ndarray:
    """Return a colour photo as a uint8 array (height, width, 3).

    The photos ship with scikit-learn (``"china.jpg"``: 427x640, or
    ``"flower.jpg"``), so no download is needed. Used in notebook 01.
    """
    from sklearn.datasets import load_sample_image

    return load_sample_image(name)
