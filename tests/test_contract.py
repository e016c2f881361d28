"""The exercise contract: what a given cell takes from a solution, the task text names.

A given (non-solution) code cell may use a name, or a string key of one, that only a solution
defines, when the exercise's task text names it in backticks: a student who follows the text
never meets a NameError (or a KeyError) in a given cell. Two tests hold the notebooks to it:

* a static one reads each instructor notebook: the names every solution block binds at module
  level (assignment, ``def``, ``class``, ``import``, ``for``, ``with ... as``, walrus, ...), the
  names and constant string keys (``results["adam"]``) each given cell reads, and the backticked
  words of the exercise's markdown cells before that solution;
* a runtime one fills every placeholder of each student version with a minimal answer written
  from the task text alone (``tests/contract_answers/<notebook>.py``), runs it in reduced mode on
  the stand-in data and expects it to reach the end; and once more with every bonus left out.
  It catches what the static test leaves alone: keyword arguments and attributes given cells
  rely on (``save_best=True``, ``data.x_val``).
"""

from __future__ import annotations

import ast
import builtins
import re
import symtable
import textwrap
from pathlib import Path

import nbformat
import pytest

from course_utils import grading, notebooks, student
from course_utils.grading import spec

ROOT = Path(__file__).resolve().parent.parent
EXERCISE_NOTEBOOKS = [p for p in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
                      if student.has_solutions(notebooks.read(p))]
ANSWERS_DIR = Path(__file__).resolve().parent / "contract_answers"
BACKTICKS = re.compile(r"`([^`]+)`")
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
ANSWER_HEADER = re.compile(r"^# %% (?P<exercise>.+), solution (?P<number>\d+)(?P<bonus>, bonus)?\s*$")


# --------------------------------------------------------------------------
# the static check
# --------------------------------------------------------------------------


def _python(code: str) -> str:
    """Return ``code`` with IPython's magic and shell lines commented out, so that it parses."""
    return "\n".join("# " + line if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines())


def split_cell(code: str) -> tuple[str, list[str]]:
    """Return a code cell's given code (its solution blocks replaced by the stub) and its solution blocks."""
    blocks: list[str] = []
    inside: list[str] | None = None
    for line in code.splitlines():
        if line.strip() == student.BEGIN:
            inside = []
        elif line.strip() == student.END:
            blocks.append(textwrap.dedent("\n".join(inside or [])))
            inside = None
        elif inside is not None:
            inside.append(line)
    return student.strip_solutions(code), blocks


def _tables(code: str) -> list[symtable.SymbolTable]:
    """Return the module's symbol table of ``code``, then those of every function, class and comprehension in it."""
    tables = [symtable.symtable(_python(code), "<cell>", "exec")]
    for table in tables:
        tables += table.get_children()
    return tables


def bound_names(code: str) -> set[str]:
    """Return the module-level names ``code`` binds (an assignment, def, class, import, for or with
    target, ``except ... as``, a walrus, also one inside a comprehension, a ``global`` assignment)."""
    top, *inner = _tables(code)
    names = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    return names | {s.get_name() for t in inner for s in t.get_symbols() if s.is_declared_global() and s.is_assigned()}


def used_names(code: str) -> set[str]:
    """Return the module-level names ``code`` reads, at the top or inside its functions, classes and
    comprehensions; builtins left out."""
    top, *inner = _tables(code)
    names = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    names |= {s.get_name() for t in inner for s in t.get_symbols() if s.is_global() and s.is_referenced()}
    return names - set(dir(builtins))


def string_keys(code: str) -> set[tuple[str, str]]:
    """Return (name, key) for every ``name["key"]`` in ``code``."""
    return {(node.value.id, node.slice.value) for node in ast.walk(ast.parse(_python(code)))
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)}


def is_named(text: str, name: str, key: str | None = None) -> bool:
    """Return True when ``text`` names ``name`` (an identifier inside a backtick span) or, with
    ``key``, that key (a span that is the key, quoted or not, or holds it quoted)."""
    spans = BACKTICKS.findall(text)
    if key is None:
        return any(name in IDENTIFIER.findall(span) for span in spans)
    return any(span.strip().strip("\"'") == key or f'"{key}"' in span or f"'{key}'" in span for span in spans)


def _first_line(code: str) -> str:
    return next((line.strip() for line in code.splitlines() if line.strip()), "")[:70]


def contract_violations(nb: dict, name: str = "notebook") -> list[str]:
    """Return one line per name or string key that a given code cell of ``nb`` takes from a
    solution block and the exercise's task text does not name in backticks.

    The task text of a solution is the markdown of its exercise (the cells below the exercise's
    heading) before the solution's cell. Names bound by any given cell do not count.
    """
    labels = grading.exercise_of_cells(nb)
    given: dict[int, str] = {}
    solved_in: dict[str, list[int]] = {}        # name: the cells whose solution blocks bind it
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            given[i], blocks = split_cell(notebooks.source(cell))
            for block in blocks:
                for bound in bound_names(block):
                    solved_in.setdefault(bound, []).append(i)
    given_names = set().union(*map(bound_names, given.values()))

    def task_text(i: int) -> str:
        return "\n".join(notebooks.source(c) for j, c in enumerate(nb["cells"][:i])
                         if c["cell_type"] == "markdown" and labels[j] == labels[i])

    found = []
    for i, code in given.items():
        wanted = [(n, None) for n in sorted(used_names(code))] + sorted(string_keys(code))
        for used, key in wanted:
            sources = [d for d in solved_in.get(used, []) if d <= i]
            if used in given_names or not sources or any(is_named(task_text(d), used, key) for d in sources):
                continue
            what = f"`{used}`" if key is None else f"the key {key!r} of `{used}`"
            found.append(f"{name}, {labels[sources[0]]}: the given cell `{_first_line(code)}` (cell {i + 1}) uses "
                         f"{what}, which only the solution defines and the task text does not name in backticks")
    return found


# --------------------------------------------------------------------------
# the parser on tiny notebooks
# --------------------------------------------------------------------------


def _notebook(*cells: tuple[str, str]) -> dict:
    make = {"md": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    return nbformat.v4.new_notebook(cells=[make[kind](text) for kind, text in cells])


def _solution(code: str) -> str:
    return f"{student.BEGIN}\n{code}\n{student.END}"


def test_a_notebook_that_keeps_the_contract():
    nb = _notebook(
        ("code", "import numpy as np\nSEED = 1\ndef helper(x):\n    return x"),
        ("md", "## Exercise 1: scores (2 points)\n\nWrite `score(x)` and store the runs in `runs`,\n"
               "under the keys `\"adam\"` and `sgd`, and the total as `total`."),
        ("code", _solution("def score(x):\n    return np.sum(x)\nruns = {'adam': 1, 'sgd': 2}\nlocal_only = 3")),
        ("code", _solution("total = score([1, 2])")),
        ("code", "print(score([SEED]), runs['adam'], runs['sgd'], total, len(runs), helper(2))\n"
                 "local_only = 4\nprint(local_only)"),
        ("md", "## Exercise 2: more (1 point)\n\nUse `score` again."),
        ("code", "if SEED:\n    " + _solution("more = score([3])").replace("\n", "\n    ") + "\n"
                 "    print(SEED)"),
        ("code", "print([score(v) for v in runs.values()])"),
    )
    assert contract_violations(nb) == []


@pytest.mark.parametrize("solution,given,what", [
    ("result = 1", "print(result)", "`result`"),
    ("def compute():\n    return 1", "compute()", "`compute`"),
    ("class Model:\n    pass", "Model()", "`Model`"),
    ("from math import pi as PI_VALUE", "print(PI_VALUE)", "`PI_VALUE`"),
    ("import json", "json.dumps(1)", "`json`"),
    ("for last in range(3):\n    pass", "print(last)", "`last`"),
    ("with open(__file__) as handle:\n    pass", "handle.close()", "`handle`"),
    ("if (found := 3):\n    pass", "print(found)", "`found`"),
    ("[(kept := v) for v in range(3)]", "print(kept)", "`kept`"),
    ("try:\n    1 / 0\nexcept ZeroDivisionError as problem:\n    saved = problem", "print(saved)", "`saved`"),
    ("answer = 1", "def show():\n    return answer\nshow()", "`answer`"),
    ("answer = 1", "print([answer + i for i in range(2)])", "`answer`"),
    ("scores = {'adam': 1}", "print(scores['adam'])", "the key 'adam' of `scores`"),
])
def test_each_kind_of_violation_is_found(solution, given, what):
    nb = _notebook(("md", "## Exercise 3: the task (1 point)\n\nWrite the code; store the runs in `scores`."),
                   ("code", _solution(solution)),
                   ("md", "The check:"),
                   ("code", given))
    first = given.splitlines()[0]
    assert contract_violations(nb, "09_demo") == [
        f"09_demo, Exercise 3: the given cell `{first}` (cell 4) uses {what}, which only the solution "
        "defines and the task text does not name in backticks"]


def test_the_task_text_is_the_exercise_before_its_solution():
    later = _notebook(("md", "## Exercise 1: a (1 point)\n\nCompute it."),
                      ("code", _solution("value = 1")),
                      ("md", "Now `value` is known."),       # after the solution: too late for the student
                      ("code", "print(value)"))
    other = _notebook(("md", "## Exercise 1: a (1 point)\n\nCompute `value`."),
                      ("code", "value = 0"),
                      ("md", "## Exercise 2: b (1 point)\n\nCompute it again."),
                      ("code", _solution("value, extra = 1, 2")),
                      ("code", "print(value, extra)"))
    assert [v.split(": the")[0] for v in contract_violations(later)] == ["notebook, Exercise 1"]
    assert contract_violations(other) == [
        "notebook, Exercise 2: the given cell `print(value, extra)` (cell 5) uses `extra`, which only the "
        "solution defines and the task text does not name in backticks"]


def test_backticks_name_identifiers_and_keys():
    text = "Write `prepare(x_train, name)` and keep `results` with the keys `\"SGD 0.1\"` and `Adam`."
    assert is_named(text, "prepare") and is_named(text, "x_train") and is_named(text, "results")
    assert not is_named(text, "keys") and not is_named(text, "pre")
    assert is_named(text, "results", "SGD 0.1") and is_named(text, "results", "Adam")
    assert not is_named(text, "results", "adam")


def test_every_exercise_notebook_is_checked():
    assert [p.stem for p in EXERCISE_NOTEBOOKS] == sorted(p.stem for p in ANSWERS_DIR.glob("*.py"))


@pytest.mark.parametrize("path", EXERCISE_NOTEBOOKS, ids=lambda p: p.stem)
def test_given_cells_use_only_what_the_task_text_names(path):
    found = contract_violations(notebooks.read(path), path.stem)
    assert found == [], "\n".join(found)


# --------------------------------------------------------------------------
# the student versions, answered from the task text
# --------------------------------------------------------------------------


def read_answers(path: Path) -> dict[tuple[str, int], dict[str, str]]:
    """Return {(exercise, k): {"answer": code, "bonus": code}} from an answers file.

    A block starts with ``# %% <exercise>, solution <k>`` (the k-th solution cell of that exercise)
    or ``# %% <exercise>, solution <k>, bonus`` (the code a student who does the bonus adds to it).
    """
    answers: dict[tuple[str, int], dict[str, str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        header = ANSWER_HEADER.match(line)
        if header:
            part = "bonus" if header["bonus"] else "answer"
            current = answers.setdefault((header["exercise"], int(header["number"])), {}).setdefault(part, [])
        elif current is not None:
            current.append(line)
        elif line.startswith("# %%"):
            raise ValueError(f"{path.name}: {line!r} is not `# %% <exercise>, solution <k>[, bonus]`")
    return {key: {part: "\n".join(lines).strip() for part, lines in parts.items()} for key, parts in answers.items()}


def placeholders(nb: dict) -> list[tuple[int, str, int]]:
    """Return (cell index, exercise, k) for each solution placeholder of a student version, k counting
    the placeholders of each exercise from 1."""
    labels, count, found = grading.exercise_of_cells(nb), {}, []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        lines = [line.strip() for line in notebooks.source(cell).splitlines()]
        for j in range(len(lines) - 1):
            if lines[j:j + 2] == STUB:
                count[labels[i]] = count.get(labels[i], 0) + 1
                found.append((i, labels[i], count[labels[i]]))
    return found


def answered(nb: dict, answers: dict, bonus: bool = True) -> dict:
    """Return a copy of the student version ``nb`` with each placeholder replaced by its answer (and its
    bonus part, with ``bonus``; ``pass`` where nothing is left), between the solution markers."""
    nb = nbformat.from_dict(nb)
    slots = placeholders(nb)
    keys = {(label, k) for _, label, k in slots}
    assert set(answers) <= keys, f"answers for no placeholder: {sorted(set(answers) - keys)}"
    assert keys <= set(answers), f"placeholders without an answer: {sorted(keys - set(answers))}"
    for i, label, k in slots:
        parts = answers[label, k]
        code = "\n\n".join(p for p in (parts.get("answer"), parts.get("bonus") if bonus else None) if p) or "pass"
        cell = nb.cells[i]
        lines = notebooks.source(cell).splitlines()
        at = next(j for j in range(len(lines) - 1) if [ln.strip() for ln in lines[j:j + 2]] == STUB)
        indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
        block = [student.BEGIN, *code.splitlines(), student.END]
        cell.source = "\n".join(lines[:at] + [indent + ln if ln else ln for ln in block] + lines[at + 2:])
    return nb


def test_answers_fill_the_placeholders_at_their_indentation():
    nb = _notebook(("md", "## Exercise 1: a (1 point)\n\nCompute `value`."),
                   ("code", "# YOUR CODE HERE\nraise NotImplementedError()\nprint(value)"),
                   ("code", "if True:\n    # YOUR CODE HERE\n    raise NotImplementedError()"),
                   ("md", student.ANSWER_PROMPT))
    answers = {("Exercise 1", 1): {"answer": "value = 1"}, ("Exercise 1", 2): {"bonus": "x = 1\n\ny = 2"}}
    full, skipped = answered(nb, answers), answered(nb, answers, bonus=False)
    assert full.cells[1].source == f"{student.BEGIN}\nvalue = 1\n{student.END}\nprint(value)"
    assert full.cells[2].source == f"if True:\n    {student.BEGIN}\n    x = 1\n\n    y = 2\n    {student.END}"
    assert skipped.cells[2].source == f"if True:\n    {student.BEGIN}\n    pass\n    {student.END}"
    assert skipped.cells[3].source == student.ANSWER_PROMPT
    with pytest.raises(AssertionError, match=r"without an answer: \[\('Exercise 1', 2\)\]"):
        answered(nb, {("Exercise 1", 1): {"answer": "value = 1"}})
    with pytest.raises(AssertionError, match=r"for no placeholder: \[\('Exercise 2', 1\)\]"):
        answered(nb, {**answers, ("Exercise 2", 1): {"answer": "pass"}})


def test_read_answers(tmp_path):
    path = tmp_path / "09_demo.py"
    path.write_text('"""The answers."""\n\n# %% Exercise 1, solution 1\nvalue = 1\n\n'
                    "# %% Exercise 1, solution 1, bonus\nextra = 2\n\n# %% Exercise 2, solution 1\npass\n")
    assert read_answers(path) == {("Exercise 1", 1): {"answer": "value = 1", "bonus": "extra = 2"},
                                  ("Exercise 2", 1): {"answer": "pass"}}
    path.write_text("# %% exercise one\npass\n")
    with pytest.raises(ValueError, match="is not"):
        read_answers(path)


def _student(stem: str) -> dict:
    return nbformat.read(ROOT / "notebooks" / student.STUDENT_DIR / f"{stem}.ipynb", as_version=4)


def _answers(stem: str) -> dict:
    return read_answers(ANSWERS_DIR / f"{stem}.py")


STEMS = [p.stem for p in EXERCISE_NOTEBOOKS]
WITH_BONUS = [s for s in STEMS if (ANSWERS_DIR / f"{s}.py").exists()
              and any("bonus" in parts for parts in _answers(s).values())]


@pytest.mark.parametrize("stem", STEMS)
def test_the_bonus_answers_are_the_bonus_tasks(stem):
    """The exercises whose answers hold a bonus part are those with a bonus part in the metadata."""
    bonus_tasks = {part.exercise for part in spec.parts(_student(stem)) if part.bonus}
    assert {label for (label, _), parts in _answers(stem).items() if "bonus" in parts} == bonus_tasks


@pytest.mark.parametrize("stem", STEMS)
def test_the_answers_use_only_names_the_task_text_gives(stem):
    assert contract_violations(answered(_student(stem), _answers(stem)), f"{stem} answered") == []
