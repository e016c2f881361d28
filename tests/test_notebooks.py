"""Structure of the notebooks: pairs in sync, the standard first cell, badges, no outputs, Keras 3 only.

The notebooks themselves are executed by nbval (see the Makefile's test target).
"""

import re
from pathlib import Path

import pytest

from course_utils import notebooks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))

# Removed or deprecated in Keras 3 (or unsafe), with what to use instead.
FORBIDDEN = {
    # keyword arguments (after "(" or ","), not variables that happen to share the name
    r"[(,]\s*lr\s*=(?!=)": "learning_rate=",
    r"[(,]\s*decay\s*=(?!=)": "a learning-rate schedule",
    r"[(,]\s*(?:input_dim|input_shape)\s*=(?!=)": "keras.Input(shape=...)",
    r"ImageDataGenerator": "preprocessing layers (keras.layers.RandomFlip, ...)",
    # Keras 3 saves weights alone only as ``.weights.h5``; a whole model as ``.keras``
    r"(?<!\.weights)\.h5\b": "the .keras format",
    r"predict_classes|predict_on_batch|fit_generator": "predict / fit",
    r"keras\.wrappers|tensorflow\.keras\.wrappers": "keras-tuner or scikeras",
    r"import torch": "Keras only",
    r"allow_pickle\s*=\s*True": "a format that needs no pickle",
}


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"
    assert NOTEBOOKS[0].name == "01_tensors.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_pair_in_sync(path):
    assert notebooks.pair_problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_standard_first_cell(path):
    first = notebooks.source(notebooks.code_cells(notebooks.read(path))[0]).strip()
    assert first == notebooks.first_cell(ROOT)
    assert notebooks.repository_url(ROOT) in first


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_colab_badge_points_at_this_file(path):
    target = notebooks.badge_target(notebooks.read(path))
    assert target == notebooks.colab_url(path, ROOT)
    assert target.endswith(f"/blob/main/notebooks/{path.name}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_outputs_committed(path):
    cells = notebooks.code_cells(notebooks.read(path))
    assert [i for i, c in enumerate(cells) if c.get("outputs") or c.get("execution_count") is not None] == []


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.py")) + sorted((ROOT / "course_utils").glob("*.py")),
                         ids=lambda p: p.name)
def test_no_removed_keras_api(path):
    text = path.read_text(encoding="utf-8")
    found = [f"{m.group(0)!r} (use {fix})" for pattern, fix in FORBIDDEN.items()
             for m in re.finditer(pattern, text)]
    assert found == []


@pytest.mark.parametrize("code,bad", [("SGD(lr=0.1)", True), ("Adam(0.1,\n     lr = 2)", True),
                                      ("lr = 0.1", False), ("Dense(3, input_shape=(2,))", True),
                                      ("Dense(3, input_dim=2)", True), ("SGD(learning_rate=0.1)", False),
                                      ("model.save('m.h5')", True), ("model.save_weights('m.weights.h5')", False)])
def test_forbidden_patterns_catch_keyword_arguments_only(code, bad):
    assert any(re.search(p, code) for p in FORBIDDEN) is bad


def test_colab_url_and_first_cell_follow_pyproject(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "pyproject.toml").write_text('[project.urls]\nRepository = "https://github.com/someone/fork/"\n')
    assert notebooks.colab_url(tmp_path / "notebooks" / "x.ipynb", tmp_path) == \
        "https://colab.research.google.com/github/someone/fork/blob/main/notebooks/x.ipynb"
    assert "git+https://github.com/someone/fork\"" in notebooks.first_cell(tmp_path)


def test_strip_clears_outputs(tmp_path):
    import json

    nb = {"cells": [{"cell_type": "code", "source": "1", "outputs": [{"output_type": "stream"}],
                     "execution_count": 3, "metadata": {"execution": {}}}], "metadata": {},
          "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(nb))
    assert notebooks.strip([str(path)]) == [str(path)]
    cell = json.loads(path.read_text())["cells"][0]
    assert cell["outputs"] == [] and cell["execution_count"] is None and cell["metadata"] == {}
    assert notebooks.strip([str(path)]) == []


def test_a_file_that_is_not_a_notebook_is_reported(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("not json")
    with pytest.raises(ValueError, match="not a readable notebook"):
        notebooks.read(bad)
