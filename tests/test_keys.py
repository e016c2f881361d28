"""keys: data, code and settings described so that what changes a result changes the description."""

import functools

import numpy as np
import pytest

from course_utils import keys


def test_fingerprint_tells_arrays_apart_and_handles_sparse():
    from scipy import sparse

    a = np.arange(6, dtype="float32").reshape(2, 3)
    assert keys.fingerprint(a) == keys.fingerprint(a.copy())
    assert keys.fingerprint(a) != keys.fingerprint(a.astype("float64"))
    assert keys.fingerprint(a)["shape"] == [2, 3]
    s = keys.fingerprint(sparse.csr_matrix(a))
    assert s["sparse"] == [2, 3] and s["dtype"] == "float32"
    with pytest.raises(TypeError, match="cannot fingerprint"):
        keys.fingerprint(object())


def compile_cell(source, **names):
    namespace = {"__name__": "__main__", **names}
    exec(source, namespace)  # noqa: S102 - test code written in this file
    return namespace["f"]


def test_a_function_is_described_by_its_code_not_its_name_or_place():
    describe = keys.Describer()
    half = describe(compile_cell("def f(x):\n    return x * 0.5\n"))
    moved = describe(compile_cell("\n\n\ndef f(x):\n    # a comment\n    return x * 0.5\n"))
    third = describe(compile_cell("def f(x):\n    return x * 0.3\n"))
    assert half == moved != third
    assert half["function"] == "f"


def test_the_values_a_function_reads_are_part_of_its_description():
    source = "def f(x):\n    return x * RATE + OFFSET[0]\n"
    a = keys.Describer()(compile_cell(source, RATE=0.5, OFFSET=[1]))
    b = keys.Describer()(compile_cell(source, RATE=np.float32(0.5), OFFSET=[1]))
    c = keys.Describer()(compile_cell(source, RATE=0.5, OFFSET=[2]))
    assert len({repr(a), repr(b), repr(c)}) == 3
    assert a["globals"] == {"OFFSET": [1], "RATE": 0.5}
    assert b["globals"]["RATE"] == {"numpy": "float32", "value": 0.5}


def test_attribute_names_are_not_read_as_globals():
    f = compile_cell("def f(self):\n    return self.model\n", model=object())
    assert keys.Describer()(f)["globals"] == {}


def test_library_code_is_named_and_user_code_is_hashed():
    describe = keys.Describer()
    assert describe(np.mean) == {"function": "numpy.mean"}
    assert describe(functools.partial(np.mean, axis=0))["keywords"] == {"axis": 0}
    assert keys.is_library(np.mean) and not keys.is_library(compile_cell("def f():\n    pass\n"))
    cls = compile_cell("class f:\n    def go(self):\n        return 1\n")
    assert set(describe(cls)["methods"]) == {"f.go"}


def test_a_value_that_contains_itself_is_cut_at_the_depth_limit():
    a = {"x": []}
    a["x"].append(a)
    assert keys.Describer(depth=4)(a) == {"x": [{"x": [{"object": "builtins.dict"}]}]}


def test_canonical_names_drops_keras_counters_but_keeps_wiring():
    a = {"layers": [{"name": "dense_3", "inbound": "input_7"}, {"name": "input_7"}]}
    b = {"layers": [{"name": "dense", "inbound": "input"}, {"name": "input"}]}
    assert keys.canonical_names(a) == keys.canonical_names(b)
    assert keys.canonical_names(a)["layers"][0] == {"name": "dense#0", "inbound": "input#1"}


def test_a_set_of_strings_in_code_is_described_the_same_in_every_process():
    """A set literal compiles to a frozenset constant, whose order follows the process's hash seed."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("import json; from course_utils.keys import Describer\n"
            "def pick(kind):\n    return kind in {'relu', 'tanh', 'gelu', 'selu', 'elu'}\n"
            "print(json.dumps(Describer()(pick), sort_keys=True))")
    root = str(Path(__file__).resolve().parent.parent)
    seen = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": root}).stdout
            for seed in ("1", "2", "3")}
    assert len(seen) == 1 and "frozenset" in seen.pop()


def test_a_long_collection_is_kept_by_its_checksum():
    short, long = keys.Describer()(list(range(10))), keys.Describer()(list(range(1000)))
    assert short == list(range(10)) and long["items"] == 1000 and len(long["sha256"]) == 64
    assert keys.Describer()(list(range(1000))) == long != keys.Describer()(list(range(999)) + [0])


def test_what_changed_names_the_parts():
    from course_utils.keys import what_changed

    old = {"compiled": {"optimizer": {"config": {"learning_rate": 0.1}}}, "starting_state": "a",
           "fit": {"epochs": 2}, "architecture": {"custom": {"1": {"code": {"methods": {"Scale.call": 1}}}}}}
    new = {"compiled": {"optimizer": {"config": {"learning_rate": 0.2}}}, "starting_state": "b",
           "fit": {"epochs": 3}, "architecture": {"custom": {"1": {"code": {"methods": {"Scale.call": 2}}}}}}
    assert what_changed(old, new, limit=5) == [
        "the code of `Scale.call`", "the optimizer's learning_rate", "the fit argument epochs",
        "the starting weights (seed, initializers or earlier training)"]
