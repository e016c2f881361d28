# Exercise 5.3: the same network with L2 factors 1 and 0.001 on the hidden kernels.
import numpy as np

from course_utils.grading.checks.helpers import dense_units, l2_factor, trained_as_recorded

for key, model, factor in (("L2 1", l2_big, 1.0), ("L2 0.001", l2_small, 0.001)):
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    assert dense_units(model) == [128, 128, 128, 10], f"{key}: units {dense_units(model)}"
    assert all(np.isclose(l2_factor(layer), factor) for layer in dense[:-1]) and l2_factor(dense[-1]) == 0, \
        f"{key}: L2 factors {[l2_factor(layer) for layer in dense]}"
    trained_as_recorded(model, deep_runs[key], "fashion", key)
