"""grading's parts one by one: points from metadata, intake of a folder, the hand-over read back safely.

(The class run, the sandbox and the attacks are in test_grading.py.)
"""

import json
import os
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils import notebooks
from course_utils.grading import exports, intake, spec

ROOT = Path(__file__).resolve().parent.parent


def _cell(kind, text, **nbgrader):
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    meta = {"nbgrader": {"schema_version": 3, "solution": False, "grade": False, "locked": False, "task": False,
                         **nbgrader}} if nbgrader else {}
    return make[kind](text, metadata=meta)


def _nb(*cells):
    return json.loads(json.dumps(nbformat.v4.new_notebook(cells=list(cells))))


DEMO = _nb(_cell("markdown", "## Exercise 1: sums (3 + 1 points)"),
           _cell("code", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION", grade_id="s1", solution=True),
           _cell("code", "assert x == 1", grade_id="c1", grade=True, points=2, locked=True),
           _cell("markdown", "**Answer:** because", grade_id="a1", grade=True, solution=True, points=1),
           _cell("markdown", "Bonus: a plot.", grade_id="t1", task=True, points=1))
DEMO["cells"][4]["metadata"]["course"] = {"bonus": True}
DEMO["cells"][2]["metadata"]["course"] = {"uses": {"x": "json", "probe": ["keras", "build(1)"]}}


def test_points_come_from_the_metadata_only():
    found = spec.parts(DEMO)
    assert [(p.grade_id, p.kind, p.points, p.bonus) for p in found] == [
        ("c1", "auto", 2.0, False), ("a1", "written", 1.0, False), ("t1", "task", 1.0, True)]
    assert found[0].uses == {"x": ("json", "x"), "probe": ("keras", "build(1)")}
    assert spec.totals(found) == {"Exercise 1": (3.0, 1.0)} and spec.heading_mismatches(DEMO) == []
    reworded = json.loads(json.dumps(DEMO))           # a task reworded, its metadata unchanged: same points
    reworded["cells"][0]["source"] = "## Exercise 1: explain and report the sums? (3 + 1 points)"
    reworded["cells"][3]["source"] = "**Answer:** discuss, describe, say why?"
    assert [(p.grade_id, p.kind, p.points) for p in spec.parts(reworded)] == \
        [(p.grade_id, p.kind, p.points) for p in found]


def test_a_heading_that_disagrees_with_the_metadata_is_caught():
    wrong = json.loads(json.dumps(DEMO))
    wrong["cells"][0]["source"] = "## Exercise 1: sums (4 points)"
    assert spec.heading_mismatches(wrong) == ["Exercise 1: the heading says 4 + 0 bonus points, the metadata 3 + 1"]


@pytest.mark.parametrize("edit,message", [
    (lambda nb: nb["cells"][2]["metadata"]["nbgrader"].update(grade_id="s1"), "is used twice"),
    (lambda nb: nb["cells"][2]["metadata"]["nbgrader"].update(points=-1), "must be a number of 0 or more"),
    (lambda nb: nb["cells"][2]["metadata"]["nbgrader"].update(points="4"), "must be a number of 0 or more"),
    (lambda nb: nb["cells"][2]["metadata"]["nbgrader"].update(solution=True), "cannot also be a solution"),
    (lambda nb: nb["cells"][2]["metadata"]["course"].update(uses={"x": "pickle"}), "is not a name with one of"),
])
def test_metadata_that_could_mean_two_things_is_refused(edit, message):
    nb = json.loads(json.dumps(DEMO))
    edit(nb)
    with pytest.raises(ValueError, match=message):
        spec.parts(nb)


@pytest.mark.parametrize("stem", ["02_first_mlp", "05_miniproject_cnn"])
def test_the_course_headings_agree_with_the_metadata(stem):
    for path in (ROOT / "notebooks" / f"{stem}.ipynb", ROOT / "notebooks" / "student" / f"{stem}.ipynb"):
        nb = notebooks.read(path)
        assert spec.heading_mismatches(nb) == [] and spec.parts(nb)


def test_every_autograded_part_of_the_course_has_its_check():
    from course_utils.grading.checker import course_checks

    for path in sorted((ROOT / "notebooks" / "student").glob("*.ipynb")):
        for part in spec.parts(notebooks.read(path)):
            if part.kind == "auto":
                assert course_checks(path.stem, part.grade_id), f"{path.stem}: no check for {part.grade_id}"
                assert part.uses, f"{path.stem}: {part.grade_id} names no object for its checks"


def test_intake_matches_names_without_regard_to_case_and_skips_links(tmp_path):
    for name in ("Alice_02_First_MLP.ipynb", "bob-05_miniproject_cnn.ipynb", "notes.ipynb", "alice_02_first_mlp.ipynb"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "link_02_first_mlp.ipynb").symlink_to(tmp_path / "notes.ipynb")
    (tmp_path / "folder_02_first_mlp.ipynb").mkdir()
    os.mkfifo(tmp_path / "pipe_02_first_mlp.ipynb")
    entries = {e.name: e for e in intake.scan(tmp_path, ["02_first_mlp", "05_miniproject_cnn"])}
    assert (entries["Alice_02_First_MLP.ipynb"].notebook, entries["Alice_02_First_MLP.ipynb"].student) == \
        ("02_first_mlp", "Alice")
    assert entries["Alice_02_First_MLP.ipynb"].duplicate_of == ("alice_02_first_mlp.ipynb",)
    assert (entries["bob-05_miniproject_cnn.ipynb"].notebook, entries["bob-05_miniproject_cnn.ipynb"].student) == \
        ("05_miniproject_cnn", "bob")
    assert entries["notes.ipynb"].notebook == "" and "matches no notebook" in entries["notes.ipynb"].problem
    assert entries["link_02_first_mlp.ipynb"].skipped and "symbolic link" in entries["link_02_first_mlp.ipynb"].problem
    assert entries["folder_02_first_mlp.ipynb"].skipped and entries["pipe_02_first_mlp.ipynb"].skipped


@pytest.mark.parametrize("content,reason", [
    ("not json", "not JSON"),
    ("[1, 2]", "JSON, but not a notebook"),
    ('{"cells": [], "nbformat": "4", "nbformat_minor": 5, "metadata": {}}', "not a version-4 notebook"),
    ('{"cells": [{"cell_type": "code"}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "not a valid notebook"),
])
def test_intake_refuses_what_is_not_a_notebook_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "x.ipynb"
    path.write_text(content)
    with pytest.raises(intake.NotGradable, match=reason):
        intake.load(path)


def test_intake_refuses_a_huge_file_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_BYTES", 100)
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x" * 200)])))
    with pytest.raises(intake.NotGradable, match="larger than"):
        intake.load(path)


def test_the_hand_over_is_copied_without_following_links(tmp_path):
    shared, out = tmp_path / "shared", tmp_path / "out"
    (shared / "ns").mkdir(parents=True)
    (shared / "ok.json").write_text("1")
    (shared / "ns" / "a.npy").write_bytes(b"x")
    secret = tmp_path / "secret.txt"
    secret.write_text("the grader's secret")
    (shared / "leak.json").symlink_to(secret)
    (shared / "ns" / "leak.npy").symlink_to(secret)
    os.mkfifo(shared / "fifo.json")
    refused = exports.copy_out(shared, out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == ["ns/a.npy", "ok.json"]
    assert any(r.startswith("leak.json") for r in refused) and any(r.startswith("fifo.json") for r in refused)
    assert "secret" not in "".join(p.read_text(errors="ignore") for p in out.rglob("*") if p.is_file())


def test_arrays_are_read_without_pickle_and_json_is_bounded(tmp_path):
    np.save(tmp_path / "good.npy", np.arange(3))
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "manifest.json").write_text(json.dumps({"good": "ok", "objects": "ok", "gone": "NameError: x"}))
    objects, problems = exports.load_all(tmp_path, {"good": ("array", "good"), "objects": ("array", "objects"),
                                                    "gone": ("json", "gone"), "absent": ("history", "h")})
    assert list(objects) == ["good"] and objects["good"].tolist() == [0, 1, 2]
    assert "Object arrays cannot be loaded when allow_pickle=False" in problems["objects"]
    assert problems["gone"] == "`gone` could not be handed over (NameError: x)"
    assert problems["absent"].startswith("`h` was not handed over as a history")


def test_a_keras_file_that_names_code_of_its_own_is_refused_unread(tmp_path):
    config = {"module": "keras", "class_name": "Sequential", "config": {"layers": [
        {"module": "keras.layers", "class_name": "Dense", "config": {}, "registered_name": None},
        {"module": "builtins", "class_name": "eval", "config": {}, "registered_name": None}]}}
    for name, layer in (("foreign", None), ("lambda", {"module": "keras.layers", "class_name": "Lambda"}),
                        ("custom", {"module": "keras.layers", "class_name": "Dense", "registered_name": "Custom>X"})):
        if layer is not None:
            config["config"]["layers"][1] = layer
        with zipfile.ZipFile(tmp_path / f"{name}.keras", "w") as archive:
            archive.writestr("config.json", json.dumps(config))
    for name, said in (("foreign", "builtins.eval"), ("lambda", "keras.layers.Lambda"), ("custom", "keras.layers.Dense")):
        with pytest.raises(ValueError, match=f"the model is refused: it uses {said}, which is not one of Keras"):
            exports.load_one(tmp_path, name, "keras")
    with zipfile.ZipFile(tmp_path / "extra.keras", "w") as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("payload.py", "import os")
    with pytest.raises(ValueError, match="unexpected members"):
        exports.load_one(tmp_path, "extra", "keras")


def test_the_hand_over_cell_writes_what_the_checks_read(tmp_path, keras):
    """The cell the grader appends, run here as a kernel would run it, and the files read back."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")

    class H:
        history, epoch = {"loss": [1.0, np.float32(0.5)]}, [0, 1]

    from types import SimpleNamespace

    ns = {"model": model, "h": H(), "data": SimpleNamespace(name="d", x=np.ones((2, 2), "float32")), "n": np.int64(3)}
    spec_ = {"model": ("keras", "model"), "hist": ("histories", "{'a': h}"), "data": ("namespace", "data"),
             "n": ("json", "n"), "bad": ("array", "[{'a': 1}]"), "missing": ("keras", "nothing_here")}
    exec(exports.export_code(spec_, str(tmp_path)), ns)  # noqa: S102 - the grader's own cell
    objects, problems = exports.load_all(tmp_path, spec_)
    assert objects["model"].layers[0].units == 2 and objects["n"] == 3
    assert objects["hist"]["a"].history == {"loss": [1.0, 0.5]} and objects["hist"]["a"].epoch == [0, 1]
    assert objects["data"].name == "d" and objects["data"].x.shape == (2, 2)
    assert problems["bad"].startswith("`[{'a': 1}]` could not be handed over (TypeError")
    assert problems["missing"].startswith("`nothing_here` could not be handed over (NameError")
    assert "__course_export" not in ns
