# Exercise 6.1: build_cnn(tuned=False) is a compiled CNN for the flat inputs; the naive run trained it
# for cu.epochs(15) epochs.
import course_utils as cu
from course_utils.grading.checks.helpers import activation, epochs_of, kinds, loss_name, trained_as_recorded

for model in (fresh, naive):
    assert model.input_shape == (None, 784) and "Conv2D" in kinds(model), f"layers {kinds(model)}: not a CNN"
    assert model.layers[-1].units == 10 and activation(model.layers[-1]) == "softmax"
assert loss_name(fresh) == "categorical_crossentropy", f"compiled with {loss_name(fresh)}"
assert epochs_of(cnn_runs["naive CNN"]) == cu.epochs(15), f"the naive CNN trained {epochs_of(cnn_runs['naive CNN'])} epochs"
trained_as_recorded(naive, cnn_runs["naive CNN"], "fashion", "naive CNN")
