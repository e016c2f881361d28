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
