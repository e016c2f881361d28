# Exercise 3.6: `wrong` holds exactly the test images the Adam model misclassifies.
import numpy as np

from course_utils.grading.checks.helpers import predict_labels, test_set

x_test, labels = test_set("mnist")
expected = np.flatnonzero(predict_labels(adam, x_test) != labels)
assert np.array_equal(np.sort(np.asarray(wrong).ravel()), expected), \
    f"wrong holds {np.size(wrong)} indices; the Adam model misclassifies {len(expected)} test images"
