"""Keeping the notebooks tidy: the standard first cell, badges, pairs, outputs.

Used by ``make sync`` and by ``tests/test_notebooks.py``::

    python -m course_utils.notebooks sync notebooks/*.py       # pair .py and .ipynb, the newer winning
    python -m course_utils.notebooks strip notebooks/*.ipynb   # clear outputs in place
    python -m course_utils.notebooks check                     # report what is out of order
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

from .config import repo_root

COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"


def repository_url(root: Path | None = None) -> str:
    """Return the repository URL declared in pyproject.toml (``[project.urls] Repository``)."""
    data = tomllib.loads(((root or repo_root()) / "pyproject.toml").read_text(encoding="utf-8"))
    return data["project"]["urls"]["Repository"].rstrip("/")


def colab_url(notebook: str | Path, root: Path | None = None) -> str:
    """Return the Colab address that opens ``notebook`` (a path inside the repository)."""
    root = root or repo_root()
    rel = Path(notebook).resolve().relative_to(root.resolve()).as_posix()
    return f"https://colab.research.google.com/github/{repository_url(root).split('github.com/')[1]}/blob/main/{rel}"


def first_cell(root: Path | None = None) -> str:
    """Return the standard first code cell, the same in every notebook."""
    return (
        "# Setup, the same in every notebook: on Colab, install the course helpers first.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    import subprocess\n"
        "\n"
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q",\n'
        f'                    "git+{repository_url(root)}"], check=True)\n'
        "\n"
        "import course_utils as cu\n"
        "\n"
        "cu.setup()"
    )


def read(path: str | Path) -> dict:
    """Return a notebook file as JSON data (raises ValueError when it is not a notebook)."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a readable notebook ({exc}).") from None
    if not isinstance(nb, dict) or "cells" not in nb:
        raise ValueError(f"{path} is JSON but not a notebook (no 'cells').")
    return nb


def source(cell: dict) -> str:
    """Return a cell's source as one string."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def code_cells(nb: dict) -> list[dict]:
    """Return the notebook's code cells, in order."""
    return [c for c in nb["cells"] if c.get("cell_type") == "code"]


def badge_target(nb: dict) -> str | None:
    """Return the address the Colab badge in the first cell points at, or None."""
    if not nb["cells"]:
        return None
    match = re.search(r"\]\((https://colab\.research\.google\.com/github/[^)\s]+)\)", source(nb["cells"][0]))
    return match.group(1) if match else None


def strip_outputs(nb: dict) -> bool:
    """Clear outputs and execution counts in place; return True when anything changed."""
    changed = False
    for cell in code_cells(nb):
        if cell.get("outputs") or cell.get("execution_count") is not None:
            changed = True
        cell["outputs"] = []
        cell["execution_count"] = None
        for key in ("execution", "collapsed", "scrolled"):
            if cell.get("metadata", {}).pop(key, None) is not None:
                changed = True
    return changed


def strip(paths: list[str]) -> list[str]:
    """Strip outputs from notebook files, writing only those that change; return them."""
    written = []
    for path in paths:
        nb = read(path)
        if strip_outputs(nb):
            Path(path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            written.append(path)
    return written


PAIRED_CELL_METADATA = ("tags", "nbgrader", "course")   # the cell metadata the .py keeps (jupytext.toml)


def _paired_view(cell) -> tuple:
    meta = cell.get("metadata") or {}
    return cell["cell_type"], source(cell).strip(), json.dumps({k: meta[k] for k in PAIRED_CELL_METADATA if k in meta},
                                                               sort_keys=True)


def pair_problems(notebook: Path) -> list[str]:
    """Return how ``notebook`` (.ipynb) and its paired .py differ (sources, and the grading metadata); empty when in sync."""
    import jupytext

    script = notebook.with_suffix(".py")
    if not script.exists():
        return [f"{notebook.name} has no paired {script.name} (run `make sync`)"]
    left = [_paired_view(c) for c in read(notebook)["cells"]]
    right = [_paired_view(c) for c in jupytext.read(script)["cells"]]
    if left == right:
        return []
    for i, (a, b) in enumerate(zip(left, right)):
        if a != b:
            return [f"{notebook.name} and {script.name} differ from cell {i + 1} on (run `make sync`)"]
    return [f"{notebook.name} has {len(left)} cells, {script.name} has {len(right)} (run `make sync`)"]


def write_script(nb, path: Path) -> None:
    """Write ``nb`` as its paired percent-format .py, with the filters of jupytext.toml (also when called
    from Python, where jupytext does not read that file)."""
    import copy

    import jupytext

    nb = copy.deepcopy(nb)
    nb.metadata["jupytext"] = {"notebook_metadata_filter": "kernelspec,-jupytext",
                               "cell_metadata_filter": ",".join(PAIRED_CELL_METADATA) + ",-all"}
    jupytext.write(nb, path, fmt="py:percent")


def sync(scripts: list[str | Path]) -> list[Path]:
    """Bring each pair up to date, the newer file winning; return the files written.

    A newer .py goes into its .ipynb with its cells' sources and their
    ``tags``/``nbgrader``/``course`` metadata (what ``jupytext --sync`` does,
    but it keeps the old metadata of the .ipynb), the cell ids of the .ipynb
    kept where the cells match, outputs cleared; a newer .ipynb goes into its .py.
    """
    import jupytext
    from jupytext.combine import combine_inputs_with_outputs

    written = []
    for script in map(Path, scripts):
        notebook = script.with_suffix(".ipynb")
        if notebook.exists() and notebook.stat().st_mtime > script.stat().st_mtime:
            before = script.read_text(encoding="utf-8")
            write_script(jupytext.read(notebook), script)
            if script.read_text(encoding="utf-8") != before:
                written.append(script)
            continue
        text = jupytext.read(script)
        text.metadata.setdefault("jupytext", {})["cell_metadata_filter"] = ",".join(PAIRED_CELL_METADATA) + ",-all"
        nb = combine_inputs_with_outputs(text, jupytext.read(notebook), fmt="py:percent") if notebook.exists() else text
        nb.metadata.pop("jupytext", None)
        data = json.loads(jupytext.writes(nb, fmt="ipynb"))
        strip_outputs(data)
        new = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
        if not notebook.exists() or notebook.read_text(encoding="utf-8") != new:
            notebook.write_text(new, encoding="utf-8")
            written.append(notebook)
    return written


def problems(root: Path | None = None) -> list[str]:
    """Return every structural problem of the course notebooks (empty when all is well)."""
    root = root or repo_root()
    found = []
    want = first_cell(root)
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        nb = read(path)
        found += pair_problems(path)
        cells = code_cells(nb)
        if not cells or source(cells[0]).strip() != want:
            found.append(f"{path.name}: the first code cell is not the standard one")
        if badge_target(nb) != colab_url(path, root):
            found.append(f"{path.name}: the Colab badge does not point at {colab_url(path, root)}")
        if any(c.get("outputs") or c.get("execution_count") is not None for c in cells):
            found.append(f"{path.name}: outputs are committed (run `make sync`)")
    for path in sorted((root / "notebooks").glob("*.py")):
        if not path.with_suffix(".ipynb").exists():
            found.append(f"{path.name} has no paired {path.with_suffix('.ipynb').name} (run `make sync`)")
    return found


def main(argv: list[str]) -> int:
    if argv[:1] == ["strip"]:
        for path in strip(argv[1:]):
            print(f"stripped outputs from {path}")
        return 0
    if argv[:1] == ["sync"]:
        for path in sync(argv[1:]):
            print(f"wrote {path}")
        return 0
    if argv[:1] == ["check"]:
        found = problems()
        print("\n".join(found) or "notebooks: all in order")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
