"""The course's two switches and where its caches live.

Both switches are read from the environment, once, when the package is
imported:

* ``COURSE_FAST`` (``0``/``1``): reduced mode. Fewer epochs and a stratified
  subset of every dataset, so that ``make test`` runs every notebook in a
  few minutes. Students never need it.
* ``COURSE_DATA`` (``auto``, ``real``, ``synthetic``): where datasets come
  from. ``auto`` uses the real data when it is cached or can be downloaded,
  and falls back to a stand-in with a loud banner; ``real`` insists on the
  real data; ``synthetic`` always uses the stand-in (what the tests use).

Example::

    >>> import course_utils as cu
    >>> EPOCHS = cu.epochs(50)      # 50 in full mode, 2 in reduced mode
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_MODES = ("auto", "real", "synthetic")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _read_fast(value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(
        f"COURSE_FAST={value!r} is not understood. Use COURSE_FAST=1 for "
        "reduced mode or COURSE_FAST=0 (or leave it unset) for full mode."
    )


def _read_data_mode(value: str | None) -> str:
    mode = (value or "auto").strip().lower()
    if mode not in DATA_MODES:
        raise ValueError(
            f"COURSE_DATA={value!r} is not a data mode. Use one of "
            f"{', '.join(DATA_MODES)} (auto is the default)."
        )
    return mode


FAST: bool = _read_fast(os.environ.get("COURSE_FAST"))
DATA: str = _read_data_mode(os.environ.get("COURSE_DATA"))


def mode_name() -> str:
    """Return ``"reduced"`` or ``"full"``, the name of the current mode."""
    return "reduced" if FAST else "full"


def epochs(n: int, reduced: int = 2) -> int:
    """Return the number of epochs to train for.

    ``n`` in full mode; ``min(n, reduced)`` in reduced mode, so a notebook
    reads the same in both modes::

        EPOCHS = cu.epochs(50)               # 50, or 2 under COURSE_FAST=1
        EPOCHS = cu.epochs(50, reduced=20)   # a tiny model that needs 20
    """
    if n < 1 or reduced < 1:
        raise ValueError(f"epochs needs positive numbers, got n={n}, reduced={reduced}")
    return min(n, reduced) if FAST else n


def subset_size(n_full: int, reduced: int) -> int:
    """Return how many samples to keep: all ``n_full``, or ``reduced`` in reduced mode."""
    return min(n_full, reduced) if FAST else n_full


def repo_root() -> Path:
    """Return the course repository's root folder (the parent of ``course_utils``)."""
    return Path(__file__).resolve().parent.parent


def cache_dir(*parts: str) -> Path:
    """Return (and create) the cache folder for the current mode.

    Everything the notebooks write (training histories, checkpoints, tuner
    trials) goes under ``<repo>/.course_cache/<mode>/`` (on Colab, where the
    package is installed rather than cloned, under ``./.course_cache/<mode>/``),
    or under ``$COURSE_CACHE_DIR/<mode>/`` when that variable is set. Reduced and full
    mode never share a folder. Extra ``parts`` name a sub-folder::

        >>> cu.cache_dir("tuner", "imdb")     # .course_cache/full/tuner/imdb
    """
    base = os.environ.get("COURSE_CACHE_DIR")
    if base:
        root = Path(base).expanduser()
    elif (repo_root() / "pyproject.toml").exists():  # a clone of the course
        root = repo_root() / ".course_cache"
    else:  # installed as a package (Colab): next to the notebook
        root = Path.cwd() / ".course_cache"
    path = root / mode_name()
    for part in parts:
        path = path / part
    path.mkdir(parents=True, exist_ok=True)
    return path
