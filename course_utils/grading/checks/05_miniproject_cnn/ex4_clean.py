# Exercise 4.1: one Adam network per width on Fashion-MNIST, at most cu.epochs(20) epochs each.
import course_utils as cu
from course_utils.grading.checks.helpers import dense_units, epochs_of, optimizer, trained_as_recorded

assert list(clean) == [str(w) for w in widths], f"sweeps['clean'] has the widths {list(clean)}, not {widths}"
assert all(1 <= epochs_of(h) <= cu.epochs(20) for h in clean.values()), "each run trains at most cu.epochs(20) epochs"
for width, model in ((widths[0], narrow), (widths[-1], wide)):
    assert dense_units(model) == [width, 10] and optimizer(model) == "Adam", \
        f"width {width}: Dense layers {dense_units(model)} trained with {optimizer(model)}"
    trained_as_recorded(model, clean[str(width)], "fashion", f"width {width}")
