"""Helpers that live in a notebook's own code, tested like course_utils.

A notebook defines a few functions in its cells because they are part of the lesson. Each test
takes the function's source from the notebook's paired ``.py`` file (by name, with ``ast``),
runs it in a fresh namespace and checks what the prose says it does.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def notebook_function(stem: str, name: str, namespace: dict):
    """Return the function ``name`` defined at the top level of notebooks/<stem>.py, run in ``namespace``."""
    tree = ast.parse((NOTEBOOKS / f"{stem}.py").read_text(encoding="utf-8"))
    found = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name]
    assert len(found) == 1, f"notebooks/{stem}.py defines {name} {len(found)} times at the top level"
    exec(compile(ast.Module(body=found, type_ignores=[]), f"{stem}.py", "exec"), namespace)
    return namespace[name]


@pytest.fixture(scope="module")
def own_initializer(keras):
    return notebook_function("04_optimizers_bn_dropout", "own_initializer", {})


def _kernel(keras, initializer, shape=(30, 20)):
    return keras.ops.convert_to_numpy(initializer(shape))


def test_a_shared_unseeded_initializer_repeats_itself(keras):
    # The problem own_initializer solves: one object, called for two layers, gives the same numbers.
    shared = keras.initializers.HeNormal()
    assert np.array_equal(_kernel(keras, shared), _kernel(keras, shared))


def test_own_initializer_gives_each_seed_its_own_weights(keras, own_initializer):
    base = keras.initializers.HeNormal()
    first, second = own_initializer(base, seed=1), own_initializer(base, seed=2)
    assert type(first) is keras.initializers.HeNormal and first is not base
    a, b = _kernel(keras, first), _kernel(keras, second)
    assert a.shape == (30, 20) and not np.array_equal(a, b)
    # the same seed again: the same weights (a re-run cell gives the same network)
    assert np.array_equal(a, _kernel(keras, own_initializer(base, seed=1)))
    # He normal's spread survives the copy: stddev sqrt(2 / fan_in), truncated at 2 stddev
    assert a.std() == pytest.approx(np.sqrt(2 / 30) * 0.88, rel=0.15)
    assert base.get_config()["seed"] is None, "the object passed in is left as it was"


def test_own_initializer_keeps_the_rest_of_the_config(keras, own_initializer):
    copy = own_initializer(keras.initializers.RandomNormal(mean=0.5, stddev=2.0), seed=3)
    assert copy.get_config() == {"mean": 0.5, "stddev": 2.0, "seed": 3}


def test_own_initializer_passes_names_and_seedless_initializers_through(keras, own_initializer):
    assert own_initializer("he_normal", seed=5) == "he_normal"
    zeros = own_initializer(keras.initializers.Zeros(), seed=5)
    assert np.array_equal(_kernel(keras, zeros), np.zeros((30, 20)))


def _dense_kernels(keras, model):
    return [keras.ops.convert_to_numpy(layer.kernel) for layer in model.layers
            if isinstance(layer, keras.layers.Dense)]


def test_the_notebooks_mlp_gives_same_shaped_layers_different_kernels(keras, own_initializer):
    namespace = {"keras": keras, "layers": keras.layers, "SEED": 42, "own_initializer": own_initializer}
    mlp = notebook_function("04_optimizers_bn_dropout", "mlp", namespace)
    model = mlp(hidden=(16, 16, 16), initializer=keras.initializers.RandomNormal(stddev=1.0))
    kernels = _dense_kernels(keras, model)
    assert [k.shape for k in kernels] == [(784, 16), (16, 16), (16, 16), (16, 10)]
    assert not np.array_equal(kernels[1], kernels[2])
    again = mlp(hidden=(16, 16, 16), initializer=keras.initializers.RandomNormal(stddev=1.0))
    assert all(np.array_equal(k, k2) for k, k2 in zip(kernels, _dense_kernels(keras, again))), \
        "the same seed builds the same network"
