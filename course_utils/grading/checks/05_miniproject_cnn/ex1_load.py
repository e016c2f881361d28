# Exercise 1.1: the eight arrays are the grader's MNIST and Fashion-MNIST, as cu.load_* return them.
import numpy as np

import course_utils as cu

(xm, ym), (xmt, ymt) = cu.load_mnist()
(xf, yf), (xft, yft) = cu.load_fashion_mnist()
want = [list(a.shape) for a in (xm, ym, xmt, ymt, xf, yf, xft, yft)]
assert shapes == want, f"the arrays have the shapes {shapes}, the datasets {want}"
assert np.array_equal(mnist_head, xm[:200]) and np.array_equal(fashion_head, xf[:200]), \
    "x_mnist_train / x_fashion_train are not the images cu.load_mnist / cu.load_fashion_mnist return"
assert label_heads == [ym[:200].tolist(), yf[:200].tolist(), ymt[:50].tolist(), yft[:50].tolist()], \
    "the labels are not the ones the loaders return"
