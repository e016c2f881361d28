# Exercise 8: `digits_accuracy` is the test accuracy of the model kept in `mnist_model`, recomputed here.
import course_utils as cu
from course_utils.grading.checks.helpers import accuracy, flat

(_, _), (x_test, y_test) = cu.load_mnist()
score = accuracy(mnist_model, flat(x_test).reshape(-1, 28, 28), y_test)
assert abs(float(digits_accuracy) - score) < 0.005, \
    f"digits_accuracy is {float(digits_accuracy):.4f}, but the model's test accuracy is {score:.4f}"
