"""plotting: each function draws what it says, and rejects what it cannot draw."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import plotting  # noqa: E402

HISTORY = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.7, 0.8],
           "val_accuracy": [0.4, 0.6, 0.7]}


def test_plot_history_pairs_training_and_validation():
    fig = plotting.plot_history(HISTORY, show=False)
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy"]
    lines = fig.axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == ["training loss", "validation loss"]
    np.testing.assert_allclose(lines[1].get_ydata(), HISTORY["val_loss"])
    np.testing.assert_allclose(lines[0].get_xdata(), [1, 2, 3])


def test_plot_history_accepts_history_objects_and_rejects_unknown_metrics():
    class FakeHistory:
        history = HISTORY

    assert len(plotting.plot_history(FakeHistory(), metrics=["loss"], show=False).axes) == 1
    with pytest.raises(KeyError, match="f1"):
        plotting.plot_history(HISTORY, metrics=["f1"], show=False)
    with pytest.raises(TypeError):
        plotting.plot_history([1, 2], show=False)


def test_interactive_history_has_one_trace_per_curve():
    fig = plotting.plot_history_interactive(HISTORY, show=False)
    assert [t.name for t in fig.data] == list(HISTORY)
    assert list(fig.data[1].y) == HISTORY["val_loss"]


def test_compare_histories_labels_each_run():
    fig = plotting.compare_histories({"SGD": HISTORY, "Adam": {"val_loss": [0.9, 0.4]}}, show=False)
    ax = fig.axes[0]
    assert [ln.get_label() for ln in ax.get_lines()] == ["SGD", "Adam"]
    assert list(ax.get_lines()[1].get_ydata()) == [0.9, 0.4]
    with pytest.raises(KeyError, match="no 'f1'"):
        plotting.compare_histories({"SGD": HISTORY}, metric="f1", show=False)


def test_plot_images_marks_wrong_predictions_in_red():
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    fig = plotting.plot_images(images, labels=[0, 1, 2], predictions=[0, 2, 2], class_names=["a", "b", "c"],
                               show=False)
    titles = [(ax.get_title(), ax.title.get_color()) for ax in fig.axes]
    assert titles == [("a", "black"), ("c (b)", "red"), ("c", "black")]


def test_confusion_matrix_counts_and_normalises():
    fig = plotting.plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], class_names=["neg", "pos"], show=False)
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), [[1, 1], [0, 2]])
    fig = plotting.plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], class_names=["neg", "pos"],
                                         normalize=True, show=False)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), [[0.5, 0.5], [0, 1]])


def test_plot_sweep_checks_lengths():
    fig = plotting.plot_sweep([10, 100, 1000], {"val acc": [0.8, 0.85, 0.86]}, xlabel="width", logx=True,
                              show=False)
    assert fig.axes[0].get_xscale() == "log"
    with pytest.raises(ValueError, match="2 results for 3 values"):
        plotting.plot_sweep([1, 2, 3], {"x": [1, 2]}, xlabel="w", show=False)


def test_decision_boundary_draws_the_half_probability_line(make_model):
    x = np.random.default_rng(0).normal(size=(50, 2)).astype("float32")

    class Half:
        def predict(self, grid, **kwargs):
            return (grid[:, 0] > 0).astype("float32")

    fig = plotting.plot_decision_boundary(Half(), x, (x[:, 0] > 0).astype(int), show=False, resolution=50)
    assert len(fig.axes[0].collections) >= 3     # filled contours, the 0.5 line, the points
