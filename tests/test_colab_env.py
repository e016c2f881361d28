"""The Colab environment of `make test-colab`: Colab's versions, the course package installed as on Colab.

Runs only there (`make test-colab` sets COURSE_COLAB_CONSTRAINTS to constraints-colab.txt);
elsewhere it is skipped, since the exact pins of requirements.txt are not Colab's.
"""

import importlib
import importlib.metadata
import os
import re
import sys
from pathlib import Path

import pytest

CONSTRAINTS = os.environ.get("COURSE_COLAB_CONSTRAINTS")
pytestmark = pytest.mark.skipif(not CONSTRAINTS, reason="only under `make test-colab` (Colab's versions)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _colab_versions() -> dict[str, str]:
    pins = {}
    for line in Path(CONSTRAINTS).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[_normal(name)] = version
    return pins


def test_every_installed_library_is_at_colabs_version():
    colab = _colab_versions()
    installed = {_normal(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    differ = {name: (installed[name], colab[name]) for name in colab
              if name in installed and installed[name] != colab[name]}
    assert differ == {}                                  # nothing upgraded past Colab's
    for name in ("tensorflow", "keras", "numpy", "pandas", "scikit-learn", "matplotlib", "plotly",
                 "pillow", "scipy", "ipykernel", "ipython"):
        assert installed[name] == colab[name], name       # and the course's libraries are all there


def test_course_utils_is_the_installed_package_not_the_clone():
    import course_utils as cu

    here = Path(cu.__file__).resolve()
    assert Path(sys.prefix).resolve() in here.parents      # site-packages of .venv-colab, as on Colab
    assert importlib.metadata.version("dl-course") == cu.__version__


def test_setup_reports_colabs_versions_and_finds_nothing_stale(capsys):
    import course_utils as cu

    cu_setup = importlib.import_module("course_utils.setup")  # the name cu.setup is the function
    cu.setup()
    out = capsys.readouterr().out
    colab = _colab_versions()
    assert f"TensorFlow {colab['tensorflow']} | Keras {colab['keras']}" in out
    assert cu_setup.stale_modules() == []
