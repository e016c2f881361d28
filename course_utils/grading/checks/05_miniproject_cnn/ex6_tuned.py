# Exercise 6.2: a tuned CNN, trained as long as the naive one, that improves on its best validation scores.
import course_utils as cu
from course_utils.grading.checks.helpers import epochs_of, kinds, trained_as_recorded

assert set(cnn_runs) >= {"naive CNN", "tuned CNN"}, f"cnn_runs has the keys {sorted(cnn_runs)}"
naive_h, tuned_h = cnn_runs["naive CNN"].history, cnn_runs["tuned CNN"].history
assert "Conv2D" in kinds(tuned), f"the tuned model's layers {kinds(tuned)}: not a CNN"
assert epochs_of(cnn_runs["tuned CNN"]) == epochs_of(cnn_runs["naive CNN"]) == cu.epochs(15), \
    "both CNNs train the same number of epochs, cu.epochs(15)"
trained_as_recorded(tuned, cnn_runs["tuned CNN"], "fashion", "tuned CNN")
better = max(tuned_h["val_accuracy"]) > max(naive_h["val_accuracy"]) or min(tuned_h["val_loss"]) < min(naive_h["val_loss"])
assert better, (f"the tuned CNN (best val accuracy {max(tuned_h['val_accuracy']):.4f}, loss {min(tuned_h['val_loss']):.4f}) "
                f"improves on neither best score of the naive one ({max(naive_h['val_accuracy']):.4f}, "
                f"{min(naive_h['val_loss']):.4f})")
