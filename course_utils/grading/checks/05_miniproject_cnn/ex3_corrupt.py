# Exercise 3.7: corrupt_labels changes exactly round(p * n) labels, each to another class, repeatably.
import numpy as np

true = np.arange(1000) % 10
for got, p in ((c_a, 0.3), (c_b, 0.3), (c_0, 0.0), (c_1, 1.0)):
    assert got.shape == true.shape and got.dtype.kind in "iu", f"p={p}: got {got.shape} {got.dtype}"
    assert set(np.unique(got)) <= set(range(10)), f"p={p}: labels outside 0-9"
    assert (got != true).sum() == round(p * len(true)), f"p={p}: {(got != true).sum()} labels changed, not {round(p * 1000)}"
assert np.array_equal(c_a, c_again), "the same seed must change the same labels the same way"
assert not np.array_equal(c_a, c_b), "another seed must change other labels"
