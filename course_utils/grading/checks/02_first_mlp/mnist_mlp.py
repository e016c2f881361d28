# The MNIST MLP of exercise 8: its layers and compile settings as the task asks, and its test accuracy,
# recomputed here on the grader's copy of MNIST, well above chance.
import course_utils as cu
from course_utils.grading.checks.helpers import accuracy, activation, flat, kinds, loss_name, optimizer

layers = kinds(mnist_model)
assert mnist_model.input_shape == (None, 28, 28), f"the model takes {mnist_model.input_shape}, not 28x28 images"
assert layers[0] == "Flatten", f"the first layer is a {layers[0]}, not a Flatten layer"
hidden = [layer for layer in mnist_model.layers[1:-1] if type(layer).__name__ == "Dense"]
assert 1 <= len(hidden) <= 2 and set(layers[1:-1]) <= {"Dense", "Dropout"}, \
    f"between Flatten and the output there should be one or two Dense layers, not {layers[1:-1]}"
assert all(activation(layer) == "relu" for layer in hidden), "the hidden Dense layers use relu"
out = mnist_model.layers[-1]
assert layers[-1] == "Dense" and out.units == 10 and activation(out) == "softmax", \
    "the output layer is a Dense layer of 10 units with softmax"
assert optimizer(mnist_model) == "Adam", f"compiled with {optimizer(mnist_model) or 'no'} optimizer, not adam"
assert loss_name(mnist_model) == "sparse_categorical_crossentropy", \
    f"compiled with the loss {loss_name(mnist_model)}, not sparse_categorical_crossentropy"
(_, _), (x_test, y_test) = cu.load_mnist()
score = accuracy(mnist_model, flat(x_test).reshape(-1, 28, 28), y_test)
assert score > 0.5, f"the model classifies {score:.3f} of the test digits right: a working MLP beats 0.5"
