# Exercise 3.2-3.3: five SGD runs and one Adam run of the one-hidden-layer network, 25 epochs each.
import numpy as np

import course_utils as cu
from course_utils.grading.checks.helpers import dense_units, epochs_of, learning_rate, optimizer, trained_as_recorded

want = {"SGD 3", "SGD 1", "SGD 0.1", "SGD 0.01", "SGD 0.001", "Adam 0.001"}
assert set(optimizer_runs) == want, f"optimizer_runs has the keys {sorted(optimizer_runs)}"
assert all(epochs_of(h) == cu.epochs(25) for h in optimizer_runs.values()), "each run trains cu.epochs(25) epochs"
for key, model, kind, rate in (("SGD 3", sgd_3, "SGD", 3.0), ("SGD 0.1", sgd_01, "SGD", 0.1),
                               ("Adam 0.001", adam, "Adam", 0.001)):
    assert dense_units(model) == [128, 10], f"{key}: Dense layers {dense_units(model)}, not one hidden layer of 128"
    assert optimizer(model) == kind and np.isclose(learning_rate(model), rate), \
        f"{key}: trained with {optimizer(model)} at {learning_rate(model):g}"
    trained_as_recorded(model, optimizer_runs[key], "mnist", key)
assert trained_as_recorded(adam, optimizer_runs["Adam 0.001"], "mnist", "Adam") > 0.3
