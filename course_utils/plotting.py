"""Plots the notebooks share, so that the notebooks keep only what they teach.

Every function draws one figure. By default it shows it and returns None
(so a notebook cell shows it exactly once); with ``show=False`` it returns
the matplotlib ``Figure`` (or plotly figure) for further changes or tests.

A *history* is anything with a ``.history`` dict (a Keras ``History``, the
result of :func:`course_utils.fit_cached`) or such a dict itself.

Example::

    >>> cu.plot_history(history)                       # loss and accuracy, train vs validation
    >>> cu.compare_histories({"SGD": h1, "Adam": h2}, metric="val_loss")
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np


def _curves(history) -> dict[str, list[float]]:
    data = history.history if hasattr(history, "history") else history
    if not isinstance(data, Mapping) or not data:
        raise TypeError("Expected a Keras History, a fit_cached result or a dict of metric lists.")
    return {k: list(map(float, v)) for k, v in data.items()}


def _finish(fig, show: bool):
    import matplotlib.pyplot as plt

    fig.tight_layout()
    if show:
        plt.show()
        return None
    return fig


def _metric_names(curves: Mapping[str, list[float]]) -> list[str]:
    """Training metrics in a stable order, loss first (validation ones are paired later)."""
    names = [k for k in curves if not k.startswith("val_") and k not in {"learning_rate", "lr"}]
    return sorted(names, key=lambda k: (k != "loss", k))


def plot_history(history, metrics: Sequence[str] | None = None, title: str | None = None,
                 show: bool = True):
    """Plot training curves: one panel per metric, training and validation together.

    ``metrics`` defaults to every metric (loss first). Returns the Figure
    when ``show=False``. Used from notebook 01 on.
    """
    import matplotlib.pyplot as plt

    curves = _curves(history)
    names = list(metrics) if metrics else _metric_names(curves)
    missing = [m for m in names if m not in curves]
    if missing:
        raise KeyError(f"No {missing} in this history; it has {sorted(curves)}.")
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        epochs = np.arange(1, len(curves[name]) + 1)
        ax.plot(epochs, curves[name], "o-", ms=3, label=f"training {name}")
        if f"val_{name}" in curves:
            ax.plot(epochs, curves[f"val_{name}"], "s--", ms=3, label=f"validation {name}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return _finish(fig, show)


def plot_history_interactive(history, title: str = "Training history", show: bool = True):
    """Plot every curve of a history with plotly (hover to read values).

    Returns the plotly Figure when ``show=False``. Used in notebook 01.
    """
    import plotly.graph_objects as go

    curves = _curves(history)
    fig = go.Figure()
    for name, values in curves.items():
        fig.add_trace(go.Scatter(x=list(range(1, len(values) + 1)), y=values, mode="lines+markers",
                                 name=name, line={"dash": "dash" if name.startswith("val_") else "solid"}))
    fig.update_layout(title=title, xaxis_title="epoch", yaxis_title="value", width=800, height=450)
    if show:
        fig.show()
        return None
    return fig


def compare_histories(histories: Mapping[str, Any], metric: str = "val_loss", title: str | None = None,
                      logy: bool = False, show: bool = True):
    """Plot one ``metric`` of several labelled histories on one axis.

    ``histories`` maps a label to a history. Returns the Figure when
    ``show=False``. Used in notebooks 03-05 to compare models.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for label, history in histories.items():
        curves = _curves(history)
        if metric not in curves:
            raise KeyError(f"History {label!r} has no {metric!r}; it has {sorted(curves)}.")
        ax.plot(np.arange(1, len(curves[metric]) + 1), curves[metric], "o-", ms=3, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title or f"{metric} by epoch")
    return _finish(fig, show)


def plot_images(images, labels=None, predictions=None, class_names: Sequence[str] | None = None,
                ncols: int = 10, size: float = 1.3, show: bool = True):
    """Show images in a grid, titled with the true label (and the prediction).

    A wrong prediction is titled in red as ``pred (true)``. Images are
    (n, h, w) or (n, h, w, channels). Returns the Figure when ``show=False``.
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * (size + 0.3)), squeeze=False)

    def name(i):
        return class_names[int(i)] if class_names is not None else str(int(i))

    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= n:
            continue
        ax.imshow(images[k], cmap="binary" if images[k].ndim == 2 else None, interpolation="nearest")
        if predictions is not None and labels is not None:
            wrong = int(predictions[k]) != int(labels[k])
            text = f"{name(predictions[k])} ({name(labels[k])})" if wrong else name(labels[k])
            ax.set_title(text, fontsize=8, color="red" if wrong else "black")
        elif labels is not None:
            ax.set_title(name(labels[k]), fontsize=8)
    return _finish(fig, show)


def plot_confusion_matrix(y_true, y_pred, class_names: Sequence[str] | None = None,
                          normalize: bool = False, title: str = "Confusion matrix", show: bool = True):
    """Plot the confusion matrix of integer labels (rows: true, columns: predicted).

    With ``normalize=True`` each row sums to 1. Returns the Figure when
    ``show=False``; the matrix itself is ``fig.axes[0].images[0].get_array()``.
    """
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = np.arange(len(class_names)) if class_names is not None else None
    cm = confusion_matrix(y_true, y_pred, labels=labels).astype(float)
    if normalize:
        cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    k = cm.shape[0]
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * k, 0.8 + 0.55 * k))
    ax.imshow(cm, cmap="Blues")
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k), names, rotation=45, ha="right")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    threshold = cm.max() / 2 if cm.size else 0
    for i in range(k):
        for j in range(k):
            text = f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if cm[i, j] > threshold else "black")
    return _finish(fig, show)


def plot_sweep(values: Sequence[float], results: Mapping[str, Sequence[float]], xlabel: str,
               ylabel: str = "", logx: bool = False, title: str | None = None, show: bool = True):
    """Plot one or more metrics against a swept parameter (width, learning rate, ...).

    ``results`` maps a label to one number per value. Returns the Figure when
    ``show=False``. Used in notebooks 04-05.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for label, ys in results.items():
        if len(ys) != len(values):
            raise ValueError(f"{label!r} has {len(ys)} results for {len(values)} values.")
        ax.plot(values, ys, "o-", label=label)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return _finish(fig, show)


def plot_decision_boundary(model, x, y, title: str = "", ax=None, resolution: int = 200, show: bool = True):
    """Colour the plane by a binary classifier's predicted probability, with the points on top.

    ``x`` is (n, 2), ``y`` holds 0/1 labels; ``model.predict`` must return
    P(class 1). Pass ``ax`` to draw several models side by side (then nothing
    is shown or returned). Returns the Figure when ``show=False``. Used in
    notebook 01.
    """
    import matplotlib.pyplot as plt

    x = np.asarray(x, dtype="float32")
    y = np.asarray(y)
    pad = 0.5
    xs = np.linspace(x[:, 0].min() - pad, x[:, 0].max() + pad, resolution)
    ys = np.linspace(x[:, 1].min() - pad, x[:, 1].max() + pad, resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.c_[gx.ravel(), gy.ravel()].astype("float32")
    proba = np.asarray(model.predict(grid, verbose=0, batch_size=4096)).reshape(gx.shape)
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(5, 4.2))
    ax.contourf(gx, gy, proba, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    ax.contour(gx, gy, proba, levels=[0.5], colors="k", linewidths=1)
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap="RdBu_r", s=8, edgecolors="none")
    ax.set_title(title)
    ax.set_xlabel("X1")
    ax.set_ylabel("X2")
    if not own:
        return None
    return _finish(fig, show)
