"""envcheck: the newcomer's Python, checked before make creates .venv."""

import subprocess
import sys
from pathlib import Path

from course_utils import envcheck

ROOT = Path(__file__).resolve().parent.parent


def test_supported_pythons_pass():
    for version in [(3, 11), (3, 12), (3, 13)]:
        assert envcheck.problems(version, has_venv=True, has_ensurepip=True) == []


def test_too_old_or_too_new_python_is_named_with_the_range_and_the_fix():
    (old,) = envcheck.problems((3, 10), has_venv=True, has_ensurepip=True)
    assert old.startswith("Python 3.10 cannot run the course") and "3.11 to 3.13" in old and "PYTHON=" in old
    (new,) = envcheck.problems((3, 14), has_venv=True, has_ensurepip=True)
    assert new.startswith("Python 3.14 cannot run the course")


def test_missing_venv_names_the_debian_package():
    (missing,) = envcheck.problems((3, 12), has_venv=True, has_ensurepip=False)
    assert "no working venv module" in missing and "apt-get install python3.12-venv" in missing


def test_runs_as_a_file_with_the_standard_library_only():
    # make runs it with the system's python3 before anything is installed: no package import.
    run = subprocess.run([sys.executable, "-I", str(ROOT / "course_utils" / "envcheck.py")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"Python {sys.version.split()[0]} at ") and "fine for the course" in run.stdout
