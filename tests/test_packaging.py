"""Packaging: Colab's constraints file, honest lower bounds, the instructor extra."""

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            assert _normal(name) not in pins, f"{path.name}: {name} twice"
            pins[_normal(name)] = version
    return pins


COLAB = _pins(ROOT / "constraints-colab.txt")
EXACT = _pins(ROOT / "requirements.txt")


def test_constraints_file_names_its_source_date_and_python():
    header = (ROOT / "constraints-colab.txt").read_text().split("\n\n")[0]
    assert "googlecolab/backend-info" in header and "pip-freeze.gpu.txt" in header
    assert re.search(r"commit\s+#?\s*[0-9a-f]{40}", header) and "2026-08-19" in header
    assert "Python 3.13" in header
    assert COLAB["tensorflow"] == "2.20.0" and COLAB["keras"] == "3.13.2" and COLAB["pandas"] == "2.2.3"
    assert set(COLAB) <= set(EXACT)      # only libraries that the course's own environment has


def test_each_lower_bound_is_the_oldest_tested_version():
    # Tested: Colab's version under `make test-colab`, the exact pin under `make test`.
    wrong = {}
    for text in PYPROJECT["project"]["dependencies"]:
        req = Requirement(text)
        name = _normal(req.name)
        (spec,) = [s for s in req.specifier if s.operator == ">="]
        tested = [Version(v) for v in (COLAB.get(name), EXACT.get(name)) if v]
        assert tested, f"{req.name} is declared but neither environment installs it"
        if Version(spec.version) != min(tested):
            wrong[req.name] = (spec.version, str(min(tested)))
    assert wrong == {}


def test_instructor_extra_bounds_are_the_exact_pins():
    for text in PYPROJECT["project"]["optional-dependencies"]["instructor"]:
        req = Requirement(text)
        (spec,) = req.specifier
        assert spec.operator == ">=" and spec.version == EXACT[_normal(req.name)], text


def _third_party_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "course_utils"}


def test_the_package_and_its_extra_declare_everything_the_instructor_tools_import():
    declared = {_normal(Requirement(t).name) for t in PYPROJECT["project"]["dependencies"]}
    declared |= {_normal(Requirement(t).name) for t in PYPROJECT["project"]["optional-dependencies"]["instructor"]}
    owners = importlib.metadata.packages_distributions()
    undeclared = {}
    tools = [ROOT / "course_utils" / f"{m}.py" for m in ("student", "notebooks", "bench")]
    tools += sorted((ROOT / "course_utils" / "grading").rglob("*.py"))
    for path in tools:
        module = path.relative_to(ROOT / "course_utils").with_suffix("").as_posix()
        for name in _third_party_imports(path):
            dists = {_normal(d) for d in owners.get(name, [name])}
            if not dists & declared:
                undeclared[f"{module}: {name}"] = sorted(dists)
    assert undeclared == {}
