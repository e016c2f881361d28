# Exercise 5.4: no L2, dropout 0.5 and 0.05 after each hidden layer.
from course_utils.grading.checks.helpers import dense_units, kinds, l2_factor, trained_as_recorded

for key, model, rate in (("dropout 0.5", drop_big, 0.5), ("dropout 0.05", drop_small, 0.05)):
    assert kinds(model) == ["Dense", "Dropout"] * 3 + ["Dense"] and dense_units(model) == [128, 128, 128, 10], \
        f"{key}: layers {kinds(model)}"
    assert all(abs(layer.rate - rate) < 1e-9 for layer in model.layers if type(layer).__name__ == "Dropout")
    assert all(l2_factor(layer) == 0 for layer in model.layers), f"{key}: no L2 in the dropout runs"
    trained_as_recorded(model, deep_runs[key], "fashion", key)
