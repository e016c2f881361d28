"""Every number the prose quotes is printed by a cell: the check ``make execute`` runs at its end.

For each executed notebook, :func:`unprinted` lists the decimal numbers of its
markdown cells (``0.931``, ``1.32``, ``3e10``) that no output of the
notebook shows, rounded as the prose rounds them. Left out by design:

* numbers inside ``$...$`` (formulas) and inside backticks (code: settings
  such as ``learning_rate=0.01``);
* numbers followed by a unit of time, memory or size (``4.7 minutes``,
  ``2.5 GB``): the timing notes, which come from ``make bench``;
* what the allow-list names, one line each, ``<notebook>: <number>  # why``
  (a constant of the method, a value the text says was measured outside):
  ``notebooks/numbers-allowed.txt``.

::

    python -m course_utils.prose build/executed/*.ipynb
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from .config import repo_root

NUMBER = re.compile(r"(?<![\w.])[-+]?\d*\.\d+(?:[eE][-+]?\d+)?(?![\w]|\.\d)")
OUT_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
UNITS = re.compile(r"^\s*(?:s\b|sec|seconds?|min|minutes?|hours?|ms\b|GB|MB|KB|GiB|MiB|x\b|times)")
RANGE = re.compile(r"^\s*(?:to|-|–|and|or)\s*\d*\.?\d+\s*(?:s\b|sec|seconds?|min|minutes?|hours?|GB|MB)")
LABEL = re.compile(r"(?:Exercise|exercise|section|Section|arXiv:)\s*$")   # "Exercise 3.6": a name, not a result
MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", re.DOTALL)
CODE = re.compile(r"`[^`]*`")
ALLOWED = "numbers-allowed.txt"


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def printed_numbers(nb: dict) -> list[str]:
    """Return every number in the notebook's outputs (streams, results, displays, as text)."""
    found = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            parts = [_text(out.get("text", ""))]
            data = out.get("data", {})
            parts += [_text(data[k]) for k in ("text/plain", "text/html", "text/markdown") if k in data]
            for part in parts:
                found += OUT_NUMBER.findall(part)
    return found


def quoted_numbers(nb: dict) -> list[tuple[int, str, str]]:
    """Return (cell index, number, context) for the numbers the markdown cells quote (see the module's rules)."""
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "markdown":
            continue
        text = CODE.sub(" ", MATH.sub(" ", _text(cell.get("source", ""))))
        for match in NUMBER.finditer(text):
            after = text[match.end():]
            if UNITS.match(after) or RANGE.match(after) or LABEL.search(text[:match.start()]):
                continue
            context = " ".join(text[max(0, match.start() - 40): match.end() + 20].split())
            found.append((i, match.group(0), context))
    return found


def _value(number: str) -> float:
    return float(number)


def _decimals(number: str) -> int:
    mantissa = re.split(r"[eE]", number)[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def shows(printed: list[str], number: str) -> bool:
    """True when some printed number, rounded as ``number`` is written, is ``number``."""
    want = _value(number)
    scientific = bool(re.search(r"[eE]", number))
    for out in printed:
        try:
            got = float(out)
        except ValueError:
            continue
        if scientific:      # as many significant digits as the prose writes
            digits = len(re.sub(r"\D", "", re.split(r"[eE]", number)[0]).lstrip("0")) or 1
            if float(f"{got:.{digits - 1}e}") == want:
                return True
        elif round(abs(got), _decimals(number)) == round(abs(want), _decimals(number)):   # "0.068 below" too
            return True
    return False


def allowed(stem: str, path: Path | None = None) -> set[str]:
    """Return the numbers the allow-list lets notebook ``stem`` quote without printing them."""
    path = path or repo_root() / "notebooks" / ALLOWED
    found = set()
    if not path.exists():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if ":" in line:
            name, numbers = line.split(":", 1)
            if name.strip() == stem:
                found |= set(numbers.split())
    return found


def unprinted(nb: dict, stem: str, allow: set[str] = frozenset()) -> list[str]:
    """Return one line per number the prose of ``nb`` quotes that no output shows (empty: all printed)."""
    printed = printed_numbers(nb)
    lines = []
    for i, number, context in quoted_numbers(nb):
        if number in allow or shows(printed, number):
            continue
        lines.append(f"{stem}: {number} in cell {i + 1}: ...{context}...")
    return lines


def main(argv: list[str]) -> int:
    strict = "--strict" in argv
    paths = [Path(a) for a in argv if a != "--strict"]
    if not paths:
        print(__doc__)
        return 2
    lines = []
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        lines += unprinted(nb, path.stem, allowed(path.stem))
    print("\n".join(lines) if lines else f"prose: every number quoted in {len(paths)} notebook(s) is printed by a cell")
    return 1 if lines and strict else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
