# Exercise 5.5 (bonus): augmentation layers from flat vectors to flat vectors that act in training only,
# keep the scale, draw independently; the augmented run trained with them.
import numpy as np

from course_utils.grading.checks.helpers import dense_units, trained_as_recorded, validation_split

x, _ = validation_split("fashion")
x = x[:64]
assert augment.output_shape == (None, 784), f"augmentation() maps 784 pixels to {augment.output_shape}"
assert np.allclose(augment.predict(x, verbose=0), x, atol=1e-6), "outside training the augmentation changes nothing"
changed = np.asarray(augment(x, training=True))
assert not np.allclose(changed, x) and 0.5 < changed.max() <= 1.0 + 1e-6, \
    "in training the images change, and stay scaled once to [0, 1]"
seeds = [layer.seed for layer in augment.layers if type(layer).__name__.startswith("Random")]
assert seeds and len(set(seeds)) == len(seeds), f"the random layers have the seeds {seeds}: each needs its own"
assert dense_units(augmented) == [128, 128, 128, 10]
assert [type(layer).__name__ for layer in augmented.layers[:len(augment.layers)]] == \
    [type(layer).__name__ for layer in augment.layers], "the augmented run starts with augmentation()'s layers"
trained_as_recorded(augmented, deep_runs["augmentation"], "fashion", "augmentation")
