# Exercise 3.7: the noisy run is the Adam network trained cu.epochs(25) epochs, as its history says.
import course_utils as cu
from course_utils.grading.checks.helpers import dense_units, epochs_of, optimizer, trained_as_recorded

assert set(noise_pair) == {"clean labels", "20% wrong labels"}, f"noise_pair has the keys {sorted(noise_pair)}"
assert dense_units(noisy_model) == [128, 10] and optimizer(noisy_model) == "Adam", "the noisy run is the Adam network"
assert epochs_of(noise_pair["20% wrong labels"]) == cu.epochs(25)
trained_as_recorded(noisy_model, noise_pair["20% wrong labels"], "mnist", "20% wrong labels")
