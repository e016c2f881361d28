# Exercise 2.1: build_mlp builds exactly the layers and settings asked for, with any arguments.
import numpy as np

from course_utils.grading.checks.helpers import activation, dense_units, kinds, l2_factor, learning_rate, \
    loss_name, optimizer, same_weights

assert kinds(softmax) == ["Dense"] and softmax.count_params() == 784 * 10 + 10, \
    f"build_mlp(n_hidden=0) has the layers {kinds(softmax)}: softmax regression is one Dense layer"
assert activation(softmax.layers[0]) == "softmax" and optimizer(softmax) == "SGD", \
    "build_mlp(n_hidden=0) is a softmax layer trained with SGD (the default)"
assert kinds(deep) == ["Dense", "Dropout", "Dense", "Dropout", "Dense"] and dense_units(deep) == [64, 64, 10], \
    f"build_mlp(n_hidden=2, width=64, dropout=0.1, ...) has the layers {kinds(deep)}"
assert [round(l2_factor(layer), 6) for layer in deep.layers if type(layer).__name__ == "Dense"] == [0.001, 0.001, 0.0], \
    "the L2 factor goes on the hidden layers' kernels only"
assert deep.layers[1].rate == 0.1 and optimizer(deep) == "Adam", "dropout rate or optimizer not as asked"
assert small.input_shape == (None, 20) and small.count_params() == (20 * 7 + 7) + (7 * 10 + 10), \
    "n_inputs sets the input size"
assert np.isclose(learning_rate(fast), 0.5), "learning_rate sets the optimizer's learning rate"
assert kinds(other) == ["Dense", "Dropout"] * 3 + ["Dense"] and dense_units(other) == [5, 5, 5, 10], \
    f"build_mlp(n_hidden=3, width=5, dropout=0.2, ...) has the layers {kinds(other)}"
assert all(activation(layer) == "relu" for layer in other.layers[:-1] if type(layer).__name__ == "Dense"), \
    "the hidden layers use relu"
assert other.input_shape == (None, 30) and optimizer(other) == "SGD" and np.isclose(learning_rate(other), 0.05)
assert all(np.isclose(l2_factor(other.layers[i]), 0.01) for i in (0, 2, 4)) and l2_factor(other.layers[-1]) == 0
assert loss_name(other) == "categorical_crossentropy", f"compiled with {loss_name(other)}"
assert kinds(pre)[:2] == ["Reshape", "Flatten"], "the preprocessing layers come right after the input"
assert same_weights(other, again), "two models built with the same seed must start from the same weights"
assert not same_weights(other, seed4), "another seed must give other starting weights"
