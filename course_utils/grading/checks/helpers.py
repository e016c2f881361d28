"""What the course's checks share: reading a model's layers, and scoring it on the grader's data.

Example (``checks/02_first_mlp/mnist_mlp.py``)::

    >>> kinds(mnist_model)
    ['Flatten', 'Dense', 'Dense']
    >>> accuracy(mnist_model, x_test / 255, y_test)
    0.97
"""

from __future__ import annotations

import numpy as np


def kinds(model) -> list[str]:
    """Return the class names of the model's layers (without its input), in order."""
    return [type(layer).__name__ for layer in model.layers]


def activation(layer) -> str:
    """Return the name of a layer's activation ("relu", "softmax", "linear"...)."""
    fn = getattr(layer, "activation", None)
    return getattr(fn, "__name__", str(fn))


def optimizer(model) -> str:
    """Return the class name of the model's optimizer ("Adam", "SGD"...), or "" when it is not compiled."""
    return type(model.optimizer).__name__ if getattr(model, "optimizer", None) is not None else ""


def learning_rate(model) -> float:
    """Return the optimizer's (initial) learning rate as a float."""
    rate = model.optimizer.learning_rate
    config = getattr(rate, "get_config", None)
    if config is not None and "initial_learning_rate" in (config() or {}):
        return float(config()["initial_learning_rate"])
    return float(np.asarray(rate))


def loss_name(model) -> str:
    """Return the name of the loss the model was compiled with ("categorical_crossentropy"...)."""
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        return loss
    return getattr(loss, "name", None) or getattr(loss, "__name__", type(loss).__name__)


def predict_labels(model, x, batch_size: int = 1024) -> np.ndarray:
    """Return the class the model predicts for each row of ``x``."""
    return np.asarray(model.predict(np.asarray(x), batch_size=batch_size, verbose=0)).argmax(axis=-1)


def accuracy(model, x, labels) -> float:
    """Return the share of ``x`` the model classifies as ``labels`` (integer labels or one-hot rows)."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    return float(np.mean(predict_labels(model, x) == labels))


def flat(x) -> np.ndarray:
    """Return images as flat float32 vectors scaled to [0, 1], as the notebooks prepare them."""
    x = np.asarray(x)
    return x.reshape(len(x), -1).astype("float32") / 255.0


def same_weights(a, b) -> bool:
    """Return True when two models hold the same weights (same shapes, same values)."""
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(wa, wb))


SEED = 42          # the miniproject's seed (notebook 05), which its validation split uses


_SPLITS: dict[str, tuple] = {}


def validation_split(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (x_val, labels_val) of notebook 05's protocol, recomputed from the grader's copy of ``dataset``.

    ``dataset`` is "mnist" or "fashion"; the images flat and scaled, 1/12 of
    the training set split off, stratified, with ``random_state=SEED``, as
    exercise 1 asks.
    """
    if dataset not in _SPLITS:
        import course_utils as cu
        from sklearn.model_selection import train_test_split

        (x, y), _ = (cu.load_mnist if dataset == "mnist" else cu.load_fashion_mnist)()
        _, x_val, _, labels_val = train_test_split(x, y, test_size=1 / 12, stratify=y, random_state=SEED)
        _SPLITS[dataset] = (flat(x_val), labels_val)
    return _SPLITS[dataset]


def test_set(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (x_test flat and scaled, labels_test) of the grader's copy of ``dataset`` ("mnist" or "fashion")."""
    import course_utils as cu

    _, (x, y) = (cu.load_mnist if dataset == "mnist" else cu.load_fashion_mnist)()
    return flat(x), y


def trained_as_recorded(model, history, dataset: str, what: str) -> float:
    """Check that ``model`` is the one its history describes; return its validation accuracy.

    The history's last validation accuracy must be what the handed-over
    model (as it was at the end of its training) scores on the validation
    set recomputed here: a history edited by hand, or a model that is not
    the one trained, fails.
    """
    recorded = history.history.get("val_accuracy")
    assert recorded, f"{what}: the history has no val_accuracy (train with validation_data=...)"
    x_val, labels_val = validation_split(dataset)
    score = accuracy(model, x_val, labels_val)
    assert abs(score - recorded[-1]) < 0.006, \
        f"{what}: the model scores {score:.4f} on the validation set, its history says {recorded[-1]:.4f}"
    return score


def dense_units(model) -> list[int]:
    """Return the units of the model's Dense layers, in order."""
    return [layer.units for layer in model.layers if type(layer).__name__ == "Dense"]


def l2_factor(layer) -> float:
    """Return the L2 factor of a layer's kernel regularizer (0.0 for none)."""
    reg = getattr(layer, "kernel_regularizer", None)
    return float(getattr(reg, "l2", 0.0)) if reg is not None else 0.0


def epochs_of(history) -> int:
    """Return the number of epochs a history holds."""
    return len(history.history.get("loss", []))
