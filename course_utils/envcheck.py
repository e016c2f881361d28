"""Checks of a newcomer's Python, run by ``make`` before it creates ``.venv``.

Standard library only: ``make`` runs this file with the system's ``python3``
before anything is installed (``python3 course_utils/envcheck.py``), so that
a Python the course cannot use is named, with the fix, instead of failing
halfway through ``pip install``. Exit status 0 when the Python can build the
course's virtual environment, 1 otherwise (the reasons on stderr).

Example::

    $ python3 course_utils/envcheck.py
    Python 3.11.7 at /usr/bin/python3: fine for the course (3.11 to 3.13).
"""

from __future__ import annotations

import importlib.util
import sys

SUPPORTED = ((3, 11), (3, 13))  # TensorFlow's wheels: the oldest and newest Python the course runs on


def problems(version: tuple[int, int] | None = None, has_venv: bool | None = None,
             has_ensurepip: bool | None = None) -> list[str]:
    """Return what keeps this Python from creating the course's venv (empty when nothing does).

    The arguments default to the running interpreter; tests pass others.
    """
    version = tuple(sys.version_info[:2]) if version is None else version
    has_venv = importlib.util.find_spec("venv") is not None if has_venv is None else has_venv
    has_ensurepip = importlib.util.find_spec("ensurepip") is not None if has_ensurepip is None else has_ensurepip
    low, high = SUPPORTED
    found = f"{version[0]}.{version[1]}"
    out = []
    if not low <= version <= high:
        out.append(
            f"Python {found} cannot run the course: TensorFlow installs on Python {low[0]}.{low[1]} to "
            f"{high[0]}.{high[1]}. Install one of those (python.org, or your system's packages, e.g. "
            f"`apt-get install python3.12 python3.12-venv`), then run make with PYTHON=python3.12."
        )
    if not has_venv or not has_ensurepip:
        out.append(
            f"Python {found} has no working venv module (the 'venv' or 'ensurepip' part is missing), so "
            f"make cannot create .venv. On Debian or Ubuntu: `apt-get install python{found}-venv`; "
            "elsewhere, install Python from python.org, which includes it."
        )
    return out


def main() -> int:
    found = problems()
    if found:
        for line in found:
            print(line, file=sys.stderr)
        return 1
    low, high = SUPPORTED
    print(f"Python {sys.version.split()[0]} at {sys.executable}: fine for the course "
          f"({low[0]}.{low[1]} to {high[0]}.{high[1]}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
