# Exercise 1.3: prepare() on the first 1,200 training and 120 test images, compared with what the task
# asks, recomputed here: a stratified split of 1/12 with random_state=SEED, images flat and scaled once.
import numpy as np
from sklearn.model_selection import train_test_split

import course_utils as cu
from course_utils.grading.checks.helpers import SEED, flat

(x, y), (xt, yt) = cu.load_mnist()
x, y, xt, yt = x[:1200], y[:1200], xt[:120], yt[:120]
x_train, x_val, l_train, l_val = train_test_split(x, y, test_size=1 / 12, stratify=y, random_state=SEED)
p = probe
assert p.name == "probe", f"name is {p.name!r}, not the name given"
for part, want in (("x_train", flat(x_train)), ("x_val", flat(x_val)), ("x_test", flat(xt))):
    got = getattr(p, part)
    assert got.dtype == np.float32, f"{part} is {got.dtype}, not float32"
    assert got.shape == want.shape, f"{part} has the shape {got.shape}, expected {want.shape}"
    assert 0.5 < got.max() <= 1.0, f"{part} is not scaled once to [0, 1] (its maximum is {got.max():.4g})"
    assert np.allclose(got, want, atol=1e-6), f"{part} is not the task's split of the images, flat and scaled"
for part, labels in (("train", l_train), ("val", l_val), ("test", yt)):
    assert np.array_equal(getattr(p, f"labels_{part}"), labels), f"labels_{part} do not match the images"
    one_hot = getattr(p, f"y_{part}")
    assert one_hot.shape == (len(labels), 10) and np.array_equal(one_hot.argmax(axis=1), labels) and \
        np.all(one_hot.sum(axis=1) == 1), f"y_{part} is not the one-hot form of labels_{part}"
