# Exercise 2.2-2.4: softmax regression trained with SGD on both datasets, as its histories say.
import course_utils as cu
from course_utils.grading.checks.helpers import epochs_of, kinds, optimizer, trained_as_recorded

assert set(linear) == {"MNIST", "Fashion-MNIST"}, f"linear has the keys {sorted(linear)}"
for label, model, dataset in (("MNIST", linear_mnist, "mnist"), ("Fashion-MNIST", linear_fashion, "fashion")):
    assert 1 <= epochs_of(linear[label]) <= cu.epochs(40), f"{label}: {epochs_of(linear[label])} epochs"
    assert kinds(model) == ["Dense"] and model.count_params() == 7850, f"{label}: not softmax regression"
    assert optimizer(model) == "SGD", f"{label}: trained with {optimizer(model)}, not SGD"
    score = trained_as_recorded(model, linear[label], dataset, label)
    assert score > 0.3, f"{label}: validation accuracy {score:.3f}, softmax regression beats chance by far"
