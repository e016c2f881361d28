# Exercise 4.4 (bonus): the same sweep on noisy pixels.
import course_utils as cu
from course_utils.grading.checks.helpers import dense_units, epochs_of, trained_as_recorded

assert list(pixels) == [str(w) for w in widths], f"the pixel-noise sweep has the widths {list(pixels)}"
assert all(1 <= epochs_of(h) <= cu.epochs(20) for h in pixels.values())
assert dense_units(pixels_wide) == [widths[-1], 10]
trained_as_recorded(pixels_wide, pixels[str(widths[-1])], "fashion", f"pixel noise, width {widths[-1]}")
