# Exercise 4.3: the same sweep with half the training labels wrong (validated on the clean labels).
import course_utils as cu
from course_utils.grading.checks.helpers import dense_units, epochs_of, trained_as_recorded

assert list(noisy) == [str(w) for w in widths], f"the noisy sweep has the widths {list(noisy)}, not {widths}"
assert all(1 <= epochs_of(h) <= cu.epochs(20) for h in noisy.values())
assert dense_units(noisy_wide) == [widths[-1], 10]
trained_as_recorded(noisy_wide, noisy[str(widths[-1])], "fashion", f"noisy labels, width {widths[-1]}")
