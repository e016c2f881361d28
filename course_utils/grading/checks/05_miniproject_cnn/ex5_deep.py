# Exercise 5.1: the 3x128 Adam network, trained with save_best=True (its kept model has the lowest val loss).
import numpy as np

import course_utils as cu
from course_utils.grading.checks.helpers import dense_units, epochs_of, kinds, optimizer, trained_as_recorded, \
    validation_split

history = deep_runs["3x128"]
assert dense_units(plain) == [128, 128, 128, 10] and "Dropout" not in kinds(plain) and optimizer(plain) == "Adam", \
    f"3x128: layers {kinds(plain)}, units {dense_units(plain)}, {optimizer(plain)}"
assert 1 <= epochs_of(history) <= cu.epochs(20)
trained_as_recorded(plain, history, "fashion", "3x128")
x_val, labels = validation_split("fashion")
loss = float(np.mean(-np.log(np.clip(kept.predict(x_val, verbose=0)[np.arange(len(labels)), labels], 1e-7, 1))))
assert abs(loss - min(history.history["val_loss"])) < 0.01, \
    f"the kept model's validation loss is {loss:.4f}, the history's lowest {min(history.history['val_loss']):.4f}"
