# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-0f35bc24", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "ec9042918352defbe70a69da0e6573e7", "cell_type": "markdown"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/dl-course-lab/deep-learning-course/blob/main/notebooks/student/05_miniproject_cnn.ipynb)
#
# # 05 · Miniproject: from softmax regression to a CNN on MNIST and Fashion-MNIST
#
# The oldest tradition in deep learning is to start with MNIST, the handwritten digits. MNIST
# is too easy to show what modern models can do, so after the first exercises we move to
# Fashion-MNIST, which has the same shapes and is harder. Six exercises take you from a model
# with no hidden layer to a convolutional network, one design choice at a time.
#
# **What you will learn**
# - how to prepare image data for a network: one-hot labels, flat and scaled inputs, a
#   training / validation / test split that you keep to;
# - how to write one model builder that serves every dense network of the project, and test it;
# - what the learning rate of SGD does, and how Adam compares;
# - how networks cope with wrong labels and noisy pixels, and how width changes that;
# - how L2, dropout and data augmentation fight overfitting in a deeper network;
# - why a small convolutional network beats every dense network on images.
#
# **What you need**: notebooks 02 (a Keras MLP), 03 (validation, overfitting, EarlyStopping)
# and 04 (optimizers, batch normalisation, dropout).
#
# **How long it takes**: the first time, about half an hour and 2.6 GB of memory at most on
# 2 CPU cores (measured with `make bench` in full mode on the real data: 27.6 and 31.8 minutes
# in two runs; the CNNs of exercise 6 take 12 of them), and well under a minute the second
# time (37 s, measured the same way), because every training goes through `cu.fit_cached` and
# replays from the cache. If you stop the notebook halfway, the runs that finished are kept:
# run it again and it resumes where it stopped. On a Colab GPU it should be faster (not
# measured): small dense networks keep a GPU mostly idle; only the CNNs of exercise 6 gain
# much.
#
# **Points**: 6 + 10 + 10 + (8 + 2) + (10 + 2) + 10 = 54, plus 4 bonus points. Each exercise
# gives the task, then the solution between `### BEGIN SOLUTION` and `### END SOLUTION`, then
# the written answers in a cell that starts with **Answer:**.

# %% nbgrader={"grade": false, "grade_id": "given-d245731f", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "b186192c50c8eab49280834c90d11e52", "cell_type": "code"}
# Setup, the same in every notebook: on Colab, install the course helpers first.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "git+https://github.com/dl-course-lab/deep-learning-course"], check=True)

import course_utils as cu

cu.setup()

# %% nbgrader={"grade": false, "grade_id": "given-89e997a0", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "63f63c1a18a8387a9678836edaef7da9", "cell_type": "code"}
from types import SimpleNamespace

import keras
import numpy as np
import pandas as pd
from keras import layers
from sklearn.model_selection import train_test_split

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-8ef0540c", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "5ae2094da62427b852844ae3ad133773", "cell_type": "markdown"}
# ## The settings and two helpers
#
# The settings of the whole project sit in one cell. The course's tests run this notebook in
# *reduced mode* (`cu.FAST`): a 3,000-image subset of each dataset, at most 2 epochs per
# training (`cu.epochs`), and a shorter width sweep. Nothing else differs between the modes.

# %% nbgrader={"grade": false, "grade_id": "given-ac6f7069", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "722a9d7085308597cc5415bd8357a4e9", "cell_type": "code"}
SEED = 42          # every model starts from this seed, so every run is repeatable
BATCH_SIZE = 128   # 430 updates per epoch on 55,000 images; fast on a CPU
WIDTHS = [10, 1000] if cu.FAST else [10, 30, 100, 300, 1000]   # exercise 4: hidden units

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-bf789d00", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "4d4f5f0f60b1716e599110b92aeed86a", "cell_type": "markdown"}
# `train` is the only way this notebook trains: it fits on the training set (or on `x`/`y`
# when given, such as noisy copies), watches the **validation** set after each epoch, and goes
# through `cu.fit_cached`, so a run is trained once and replayed afterwards.
# With `patience`, EarlyStopping ends the run once the validation loss has not improved for
# that many epochs. `best` reads a history: the best validation loss and accuracy, the epochs
# where each was reached, and the final training accuracy; `table` lines up several histories.

# %% nbgrader={"grade": false, "grade_id": "given-6a6932f4", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "9e4f444ee60b1fca93e0bac8ce4e8459", "cell_type": "code"}
def train(name, model, data, epochs, x=None, y=None, patience=None, save_best=False, verbose=2):
    """Fit `model` on data.x_train/y_train (or x/y), validate on data.x_val/y_val; cached."""
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)] if patience else []
    return cu.fit_cached(name, model, data.x_train if x is None else x, data.y_train if y is None else y,
                         validation_data=(data.x_val, data.y_val), epochs=epochs,
                         batch_size=BATCH_SIZE, callbacks=callbacks, save_best=save_best, verbose=verbose)


def best(history):
    """Return the best validation scores of a history and the final training accuracy."""
    h = history.history
    return {"best val loss": min(h["val_loss"]), "epoch of best val loss": int(np.argmin(h["val_loss"])) + 1,
            "best val accuracy": max(h["val_accuracy"]),
            "epoch of best val accuracy": int(np.argmax(h["val_accuracy"])) + 1,
            "final training accuracy": h["accuracy"][-1], "final val accuracy": h["val_accuracy"][-1],
            "epochs run": len(h["loss"])}


def table(histories):
    """Return a DataFrame with one row of `best(history)` per label of {label: history}."""
    return pd.DataFrame.from_dict({label: best(h) for label, h in histories.items()}, orient="index")


def train_and_val(histories, metric="loss"):
    """Turn {label: history} into {"label training": ..., "label validation": ...} for one plot."""
    return {f"{label} {part}": {metric: h.history[key]}
            for label, h in histories.items()
            for part, key in (("training", metric), ("validation", f"val_{metric}"))}


# %% [markdown] nbgrader={"grade": false, "grade_id": "given-f61c5e09", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "526b4b0c899a9044a7e3da4bee3ca4b2", "cell_type": "markdown"}
# ## Exercise 1: data import and visualisation (6 points)
#
# Both datasets hold grayscale images of 28x28 pixels, 60,000 for training and 10,000 for
# testing. The low resolution loses some information, but it makes training fast, which is
# what we want while we try many things.
#
# 1. Load MNIST and Fashion-MNIST with `cu.load_mnist()` and `cu.load_fashion_mnist()` (they
#    return what `keras.datasets.*.load_data()` returns) into `(x_mnist_train, y_mnist_train),
#    (x_mnist_test, y_mnist_test)` and `(x_fashion_train, y_fashion_train), (x_fashion_test,
#    y_fashion_test)`: the cells below use these names. (1 pt)
# 2. Plot some samples of both datasets with `cu.plot_images`. What does the title above each
#    image show? Which Fashion-MNIST classes do you expect to be confused? (2 pts)
# 3. Write `prepare(x_train, y_train, x_test, y_test, name)`, which returns a
#    `SimpleNamespace` with these attributes (3 pts):
#    - `name`, the name given;
#    - `x_train`, `x_val`, `x_test`: the images flattened to vectors of 784 numbers and scaled
#      **once** to [0, 1], as `float32`;
#    - `y_train`, `y_val`, `y_test`: the labels as one-hot vectors (`keras.utils.to_categorical`),
#      and `labels_train`, `labels_val`, `labels_test`: the integer labels (handy for plots);
#    - a validation set of 1/12 of the training images (5,000 of 60,000), stratified by class,
#      split off with `train_test_split(..., random_state=SEED)`.
#
# **The protocol, for the whole project**: models learn from the training set; every curve,
# every early stop and every choice (learning rate, width, regularisation) uses the
# validation set; the test set is touched only to look at the final models: the errors in
# exercise 3 and the final comparison in exercise 6. (The seed notebook validated on the test
# set in places and split the test set in others; then the test score is no longer an honest
# estimate.)

# %% nbgrader={"grade": false, "grade_id": "ex1_load_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "5d79fc4a0191344eccc4554af122b645", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% course={"uses": {"fashion_head": ["array", "x_fashion_train[:200]"], "label_heads": ["json", "[y_mnist_train[:200].tolist(), y_fashion_train[:200].tolist(), y_mnist_test[:50].tolist(), y_fashion_test[:50].tolist()]"], "mnist_head": ["array", "x_mnist_train[:200]"], "shapes": ["json", "[list(np.shape(a)) for a in (x_mnist_train, y_mnist_train, x_mnist_test, y_mnist_test, x_fashion_train, y_fashion_train, x_fashion_test, y_fashion_test)]"]}} nbgrader={"grade": true, "grade_id": "ex1_load", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false, "checksum": "0bf2553c6d3f856037b212b3685fb2c0", "cell_type": "code"}
for name, images in [("x_mnist_train", x_mnist_train), ("x_fashion_test", x_fashion_test)]:
    assert images.shape[1:] == (28, 28) and images.dtype == np.uint8, f"{name}: 28x28 uint8 images"
assert len(x_mnist_train) == len(y_mnist_train) and len(x_fashion_test) == len(y_fashion_test)

# %% nbgrader={"grade": false, "grade_id": "ex1_plots_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "11fdacd2043218359b72f1bedbe90d31", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% nbgrader={"grade": false, "grade_id": "ex1_prepare_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "e9ad5e8dbbb99db9892b7102b705f428", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-ecba1fd5", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "eb6e532057b50cfe055bb72607f93cfa", "cell_type": "markdown"}
# The checks below hold for any correct `prepare`:

# %% course={"uses": {"probe": ["namespace", "prepare(x_mnist_train[:1200], y_mnist_train[:1200], x_mnist_test[:120], y_mnist_test[:120], 'probe')"]}} nbgrader={"grade": true, "grade_id": "ex1_prepare", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false, "checksum": "8f6e75233feacb8553f21ebb2d7723cf", "cell_type": "code"}
mnist = prepare(x_mnist_train, y_mnist_train, x_mnist_test, y_mnist_test, "mnist")
fashion = prepare(x_fashion_train, y_fashion_train, x_fashion_test, y_fashion_test, "fashion")
for data, images in ((mnist, x_mnist_train), (fashion, x_fashion_train)):
    print(f"{data.name:8s} train {data.x_train.shape} | validation {data.x_val.shape} | "
          f"test {data.x_test.shape} | labels {data.y_train.shape}")
    assert data.x_train.shape[1:] == (784,) and data.x_train.dtype == np.float32
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0 and data.x_train.max() > 0.5
    assert data.y_train.shape == (len(data.x_train), 10) and np.all(data.y_train.sum(axis=1) == 1)
    assert np.array_equal(data.y_val.argmax(axis=1), data.labels_val)
    assert len(data.x_val) == round(len(images) / 12)
    assert len(data.x_train) + len(data.x_val) == len(images), "every training image in one of the two sets"
    assert np.isclose(data.x_train.sum(dtype="float64") + data.x_val.sum(dtype="float64"),
                      images.sum(dtype="float64") / 255, rtol=1e-6), "the two sets split the images, none twice"
    assert np.allclose(np.bincount(data.labels_val) / len(data.labels_val),
                       np.bincount(data.labels_train) / len(data.labels_train), atol=0.01)
print("one label, one-hot:", mnist.labels_train[0], "->", mnist.y_train[0])

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex1_answer", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false, "checksum": "d380a35dc0e86585b25b3fec029a0e0a", "cell_type": "markdown"}
# **Answer:** _Write your answer here (a few sentences)._

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex2_plots", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": true, "checksum": "81d4740c263aee2702963fb3c9423950", "cell_type": "markdown"}
# ## Exercise 2: no hidden layer (10 points)
#
# A network with no hidden layer is **softmax regression**: one `Dense` layer of 10 units with
# the softmax activation, straight from the 784 pixels to the 10 class probabilities.
#
# 1. Write `build_mlp`, one builder for every dense network of this project: `n_hidden` hidden
#    layers (0, 1, 2, ...) of `width` ReLU units, a `dropout` rate for a `Dropout` layer after
#    each hidden layer (0: none), an `l2` factor for the L2 regularisation of the hidden
#    layers' kernels (0: none), a list of `preprocessing` layers right after the input
#    (exercise 5), a 10-unit softmax output, compiled with the `categorical_crossentropy` loss,
#    the `accuracy` metric and a **new** optimizer: `optimizer="sgd"` (the default) or
#    `optimizer="adam"`, with `learning_rate` (default `None`: the optimizer's own default).
#    Start each model from `keras.utils.set_random_seed(seed)` (default `seed=SEED`). Name the
#    input size `n_inputs` (default 784; Keras 3 has no `input_dim`): use
#    `keras.Input(shape=(n_inputs,))`. Every argument has a default, so that
#    `build_mlp(n_hidden=0)` is softmax regression. (5 pts)
#    (The seed's builder ignored its input-size argument and always inserted a 10-unit ReLU
#    layer, so its "no hidden layer" model had one; the tests below catch that.)
# 2. Train softmax regression with SGD on MNIST until the validation loss stops decreasing:
#    use `train(..., patience=5)` with at most `cu.epochs(40)` epochs. Keep the histories in a
#    dict `linear` with the keys `"MNIST"` and `"Fashion-MNIST"` (the cells below read it). (1 pt)
# 3. Plot the learning curves with `cu.plot_history`. (1 pt)
# 4. Repeat 2 and 3 on Fashion-MNIST. (2 pts)
# 5. Report the best validation accuracy on each dataset. Do you see overfitting with this
#    simple model? Answer for each dataset. (1 pt)

# %% nbgrader={"grade": false, "grade_id": "ex2_build_mlp_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "2133d130742ade169233f5e126173d97", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-288baa39", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "c78c6c5416097ba15a265384d32b81b1", "cell_type": "markdown"}
# The tests: a builder that passes them builds exactly the layers asked for.

# %% course={"uses": {"again": ["keras", "build_mlp(n_hidden=3, width=5, dropout=0.2, l2=0.01, optimizer='sgd', learning_rate=0.05, n_inputs=30, seed=3)"], "deep": ["keras", "build_mlp(n_hidden=2, width=64, dropout=0.1, l2=1e-3, optimizer='adam')"], "fast": ["keras", "build_mlp(learning_rate=0.5)"], "other": ["keras", "build_mlp(n_hidden=3, width=5, dropout=0.2, l2=0.01, optimizer='sgd', learning_rate=0.05, n_inputs=30, seed=3)"], "pre": ["keras", "build_mlp(n_hidden=1, width=4, preprocessing=[layers.Reshape((28, 28, 1)), layers.Flatten()])"], "seed4": ["keras", "build_mlp(n_hidden=3, width=5, dropout=0.2, l2=0.01, optimizer='sgd', learning_rate=0.05, n_inputs=30, seed=4)"], "small": ["keras", "build_mlp(n_hidden=1, width=7, n_inputs=20)"], "softmax": ["keras", "build_mlp(n_hidden=0)"]}} nbgrader={"grade": true, "grade_id": "ex2_build_mlp", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false, "checksum": "2c1de1d469201b87bdc508d7c1e99eeb", "cell_type": "code"}
linear_model = build_mlp(n_hidden=0)
assert [type(layer).__name__ for layer in linear_model.layers] == ["Dense"]
assert linear_model.layers[0].units == 10 and linear_model.count_params() == 784 * 10 + 10

deep = build_mlp(n_hidden=2, width=64, dropout=0.1, l2=1e-3, optimizer="adam")
assert [type(layer).__name__ for layer in deep.layers] == ["Dense", "Dropout", "Dense", "Dropout", "Dense"]
assert deep.count_params() == (784 * 64 + 64) + (64 * 64 + 64) + (64 * 10 + 10)
assert [layer.units for layer in deep.layers if isinstance(layer, layers.Dense)] == [64, 64, 10]
assert all(np.isclose(float(deep.layers[i].kernel_regularizer.l2), 1e-3) for i in (0, 2))
assert deep.layers[-1].kernel_regularizer is None and deep.layers[1].rate == 0.1
assert isinstance(deep.optimizer, keras.optimizers.Adam) and deep.loss == "categorical_crossentropy"
assert build_mlp(n_hidden=1, width=7, n_inputs=20).count_params() == (20 * 7 + 7) + (7 * 10 + 10)
assert np.isclose(float(build_mlp(learning_rate=0.5).optimizer.learning_rate), 0.5)
linear_model.summary()

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-983159c4", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "6151062636c85863fc081d0ba47d444c", "cell_type": "markdown"}
# **Slow cell** (full mode): two runs of at most 40 epochs; on the real data neither stopped
# early, and they took 1.3 minutes on 2 CPU cores (measured with `make bench`; about 1 s an
# epoch). We use
# SGD with a learning rate of 0.1: with batches of 128 images, the default 0.01 needs far
# more epochs to settle.

# %% nbgrader={"grade": false, "grade_id": "ex2_linear_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "3a495887f108a075e7db81c8f6e01c28", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% nbgrader={"grade": false, "grade_id": "given-6f36bafb", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "c62a49027e706a2d4084c0677d8d851a", "cell_type": "code"}
linear_table = table(linear)
linear_table["val loss rise after its minimum"] = [h.history["val_loss"][-1] - min(h.history["val_loss"])
                                                  for h in linear.values()]
linear_table["final gap (train - val accuracy)"] = [h.history["accuracy"][-1] - h.history["val_accuracy"][-1]
                                                    for h in linear.values()]
linear_table.round(3)

# %% course={"uses": {"linear": ["histories", "linear"], "linear_fashion": ["keras", "linear['Fashion-MNIST'].model"], "linear_mnist": ["keras", "linear['MNIST'].model"]}} nbgrader={"grade": true, "grade_id": "ex2_linear", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false, "checksum": "cca8770564151a139382193f010797dd", "cell_type": "code"}
for label, h in linear.items():
    assert max(h.history["val_accuracy"]) > 0.3, f"{label}: softmax regression should beat chance (10%)"

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex2_answer", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false, "checksum": "677ecfb1ba6c8e4ff259381c38a6ebec", "cell_type": "markdown"}
# **Answer:** _Write your answer here (a few sentences)._

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex3_summary_and_plot", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": true, "checksum": "57ce1f15e5c7b24dc8bb37f51e8b10bb", "cell_type": "markdown"}
# ## Exercise 3: one hidden layer, optimizers, errors and noisy labels (10 points)
#
# We stay on MNIST and add one hidden layer of 128 ReLU units.
#
# 1. Build the model and show its `summary()`. (1 pt)
# 2. Train it with SGD at the learning rates 3, 1, 0.1, 0.01 and 0.001, each run on a **fresh**
#    model, for `cu.epochs(25)` epochs, and keep the histories in a dict `optimizer_runs` under
#    the keys `"SGD 3"`, `"SGD 1"`, `"SGD 0.1"`, `"SGD 0.01"`, `"SGD 0.001"`. What happens with
#    a very large and a very small learning rate? Comment on the fluctuations of the curves.
#    (The seed went up to 1 only; on this network 1 turns out not to be too large, so 3 is
#    added to show what a rate too large does.) (2 pts)
# 3. Train the same architecture with Adam at its default learning rate; its history goes
#    into `optimizer_runs` under `"Adam 0.001"`. (1 pt)
# 4. Compare SGD at a good learning rate (in [0.01, 0.1]) with Adam in one plot, with clear
#    labels. (1 pt)
# 5. Explain the difference between the loss and the accuracy curves regarding overfitting.
#    Report the best validation accuracy of SGD and Adam. Which is better, and why? (2 pts)
# 6. Find the indices of all test images that the Adam model misclassifies, as an array named
#    `wrong`, and plot some. (1 pt)
# 7. Real labels contain mistakes. Write `corrupt_labels(labels, p, seed=SEED)`: it returns a
#    copy of the integer `labels` in which the labels of **exactly** `round(p * n)` images,
#    chosen without repetition, are changed, each to a random **other** class (a changed label
#    is always wrong). Train the Adam model on MNIST with p = 0.2 and compare with the clean
#    run: put both histories in a dict `noise_pair` under `"clean labels"` and
#    `"20% wrong labels"`. Do you see overfitting in the validation accuracy? Does the
#    training accuracy take longer to approach 100%? (2 pts)
#
# (The seed drew the indices with replacement, and let a "changed" label land on the true
# class, so fewer than p of the labels were actually wrong.)

# %% nbgrader={"grade": false, "grade_id": "ex3_summary_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "98b902b2ee989af80d40424e0e80007f", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-4c6040b5", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "7aeca3400c193027d70dbbb3e7da3da6", "cell_type": "markdown"}
# **Slow cell** (full mode): six runs of 25 epochs (five SGD rates and Adam), about 1.3 s an
# epoch: 3.3 minutes on 2 CPU cores (measured with `make bench`). No EarlyStopping here: the
# exercise asks to watch the curves over all epochs.

# %% nbgrader={"grade": false, "grade_id": "ex3_runs_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "d5d296bfbd7baf0cf40982c94b83e462", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-6325a7cc", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "005871e5bd6060eb89024303f27bc3ff", "cell_type": "markdown"}
# All five runs, validation loss (log scale) and validation accuracy:

# %% nbgrader={"grade": false, "grade_id": "given-5b7f50c7", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "a41291ddfedf5b32e113fad0cc460252", "cell_type": "code"}
cu.compare_histories(optimizer_runs, metric="val_loss", logy=True, title="MNIST, 1 hidden layer: validation loss")
cu.compare_histories(optimizer_runs, metric="val_accuracy", title="MNIST, 1 hidden layer: validation accuracy")
optimizer_table = table(optimizer_runs)
optimizer_table["largest val accuracy drop"] = [-np.diff(h.history["val_accuracy"]).min(initial=0.0)
                                                for h in optimizer_runs.values()]
optimizer_table.round(3)

# %% course={"uses": {"adam": ["keras", "optimizer_runs['Adam 0.001'].model"], "optimizer_runs": ["histories", "optimizer_runs"], "sgd_01": ["keras", "optimizer_runs['SGD 0.1'].model"], "sgd_3": ["keras", "optimizer_runs['SGD 3'].model"]}} nbgrader={"grade": true, "grade_id": "ex3_runs", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false, "checksum": "716b4080e451361319af27dac2232e14", "cell_type": "code"}
assert set(optimizer_runs) == {"SGD 3", "SGD 1", "SGD 0.1", "SGD 0.01", "SGD 0.001", "Adam 0.001"}
assert all(len(h.history["loss"]) == cu.epochs(25) for h in optimizer_runs.values()), "cu.epochs(25) epochs"

# %% nbgrader={"grade": false, "grade_id": "ex3_compare_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "d0a375b9b7033b34f2373eeb88d35b76", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex3_answer_optimizers", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false, "checksum": "14df5ac15619845f2bdd309822f9adaf", "cell_type": "markdown"}
# **Answer:** _Write your answer here (a few sentences)._

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-760986e4", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "b33682385f4235572c32ef8952454cc9", "cell_type": "markdown"}
# Exercise 3.6: the errors of the Adam model on the **test** set (we only look; nothing is
# chosen from it).

# %% nbgrader={"grade": false, "grade_id": "ex3_wrong_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "99f8eda952dd3543857741a87eb48256", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% course={"uses": {"adam": ["keras", "optimizer_runs['Adam 0.001'].model"], "wrong": ["array", "wrong"]}} nbgrader={"grade": true, "grade_id": "ex3_wrong", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false, "checksum": "d6df70b44c7f5c044a3d8c82a9c953bd", "cell_type": "code"}
assert len(wrong) < 0.7 * len(mnist.x_test), "a trained network gets most test digits right"

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-2e0eb3ab", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "d50733828e7be0399f9ec1ab249b1aee", "cell_type": "markdown"}
# Exercise 3.7: noisy labels. First the function, then tests that hold for any correct one.

# %% nbgrader={"grade": false, "grade_id": "ex3_corrupt_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "ef9a49f29c990b53a61e7129df32f846", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% course={"uses": {"c_0": ["array", "corrupt_labels(np.arange(1000) % 10, p=0.0)"], "c_1": ["array", "corrupt_labels(np.arange(1000) % 10, p=1.0)"], "c_a": ["array", "corrupt_labels(np.arange(1000) % 10, p=0.3, seed=5)"], "c_again": ["array", "corrupt_labels(np.arange(1000) % 10, p=0.3, seed=5)"], "c_b": ["array", "corrupt_labels(np.arange(1000) % 10, p=0.3, seed=6)"]}} nbgrader={"grade": true, "grade_id": "ex3_corrupt", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false, "checksum": "803668f82aaaa900d17f8ae866d6ed8e", "cell_type": "code"}
labels_noisy = corrupt_labels(mnist.labels_train, p=0.2)
changed = labels_noisy != mnist.labels_train
print(f"{changed.sum()} of {len(changed)} labels changed ({changed.mean():.1%}); "
      f"new labels per class: {np.bincount(labels_noisy[changed], minlength=10)}")
assert changed.sum() == round(0.2 * len(changed)), "exactly round(p * n) labels change"
assert labels_noisy.dtype == mnist.labels_train.dtype and set(np.unique(labels_noisy)) <= set(range(10))
assert not np.any(corrupt_labels(mnist.labels_train, p=0.0) != mnist.labels_train)
assert np.all(corrupt_labels(mnist.labels_train, p=1.0) != mnist.labels_train), "a changed label is never the true one"

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-75775e74", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "d20eefeaf12ba16976b9cac201563b79", "cell_type": "markdown"}
# **Slow cell** (full mode): one run of 25 epochs, 42 s on 2 CPU cores (measured with
# `make bench`). The validation labels stay clean: we measure how well the model learned the
# *true* classes from partly wrong ones.

# %% nbgrader={"grade": false, "grade_id": "ex3_noisy_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "bd278b452e37012bd48a8bf7856cacc2", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% nbgrader={"grade": false, "grade_id": "given-76258764", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "aafd5edd23ab28635d4b3fbd827257b0", "cell_type": "code"}
table(noise_pair).round(3)

# %% course={"uses": {"noise_pair": ["histories", "noise_pair"], "noisy_model": ["keras", "noise_pair['20% wrong labels'].model"]}} nbgrader={"grade": true, "grade_id": "ex3_noisy", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false, "checksum": "490479b2e8cae2e49b77f1b203d88ed1", "cell_type": "code"}
assert set(noise_pair) == {"clean labels", "20% wrong labels"}
assert len(noise_pair["20% wrong labels"].history["loss"]) == cu.epochs(25), "cu.epochs(25) epochs"

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex3_answer_noise", "locked": false, "points": 1, "schema_version": 3, "solution": true, "task": false, "checksum": "bc536201da2de6a2db7ee9cd2ae6086e", "cell_type": "markdown"}
# **Answer:** _Write your answer here (a few sentences)._

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-e68a4e1b", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "320f9e3030d69cd506ab492132e9a35c", "cell_type": "markdown"}
# ## Exercise 4: width (8 + 2 points)
#
# MNIST is nearly solved by one hidden layer, so from now on we use Fashion-MNIST. How do the
# best validation loss and accuracy depend on the number of hidden units of a single layer?
#
# 1. Write `width_sweep(tag, widths, x, y)`: for each width, train a fresh one-hidden-layer
#    network with Adam on `x`, `y` (at most `cu.epochs(20)` epochs, `patience=5`) and return
#    `{width: history}`. Run it on Fashion-MNIST for `WIDTHS` (10 to 1,000 units) and keep
#    the result in a dict `sweeps` under the key `"clean"`. (2 pts)
# 2. Plot the best validation loss and accuracy against the width. Does the trend agree with
#    the universal approximation theorem? Do wider networks overfit more? (2 pts)
# 3. Change p = 0.5 of the training labels with `corrupt_labels` and run the same sweep; it
#    goes into `sweeps` under `"50% wrong labels"` (the cells below read that key). (2 pts)
# 4. BONUS: keep the labels, add Gaussian noise of mean 0 and variance 0.1 to the training
#    pixels, and run the same sweep, into `sweeps` under `"pixel noise (variance 0.1)"`. The
#    cells below plot every entry of `sweeps`, so they work without it too. (2 pts)
# 5. Answer 2 for the noisy datasets and compare the three width curves. (2 pts)
#
# EarlyStopping changes nothing we ask for here: the best validation loss is reached before
# it stops a run (it waits 5 epochs without improvement), and the histories still show the
# validation loss turning up. Only the final training accuracy depends on it: read it as the
# fit a network reached by the time its validation loss stopped improving.

# %% nbgrader={"grade": false, "grade_id": "ex4_width_sweep_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "0012cfdc85c309b76fafef5382a7b7cb", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-98ba90a9", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "9af48d0f7f8f66769ab42b5676f8f8c5", "cell_type": "markdown"}
# **Slow cell** (full mode): each sweep trains 5 networks for at most 20 epochs, the widest
# the slowest: measured 5.8 minutes for the clean sweep and the one with wrong labels together,
# on 2 CPU cores (with `make bench`), and 2.1 minutes for the bonus sweep below (EarlyStopping
# ends its wide networks sooner). The noise is drawn
# once, with a fixed seed, and only the training set gets it.

# %% nbgrader={"grade": false, "grade_id": "ex4_sweeps_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "6c4b86182b351d9bb3c5d34182d72883", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-aa4c6853", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "9df2d6be019dd2610e892fd39d331f05", "cell_type": "markdown"}
# Exercise 4.4 (bonus): the same sweep on noisy pixels.

# %% nbgrader={"grade": false, "grade_id": "ex4_pixels_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "c96c850a8e4691f81d667160d796d053", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% nbgrader={"grade": false, "grade_id": "given-c4045901", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "68cc160f8f8e2d4c313fa3470eeb7a9a", "cell_type": "code"}
sweep_table = pd.concat({kind: table(runs) for kind, runs in sweeps.items()}, names=["training data", "width"])
sweep_table.round(3)

# %% course={"uses": {"clean": ["histories", "sweeps['clean']"], "narrow": ["keras", "sweeps['clean'][WIDTHS[0]].model"], "wide": ["keras", "sweeps['clean'][WIDTHS[-1]].model"], "widths": ["json", "WIDTHS"]}} nbgrader={"grade": true, "grade_id": "ex4_clean", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false, "checksum": "3eb8743d86b24b1849ee9534e7c0b1a3", "cell_type": "code"}
assert list(sweeps["clean"]) == WIDTHS, "one run per width of WIDTHS"

# %% course={"uses": {"noisy": ["histories", "sweeps['50% wrong labels']"], "noisy_wide": ["keras", "sweeps['50% wrong labels'][WIDTHS[-1]].model"], "widths": ["json", "WIDTHS"]}} nbgrader={"grade": true, "grade_id": "ex4_noisy", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false, "checksum": "9072bba7bc8037b2a24b269600f8f0de", "cell_type": "code"}
assert list(sweeps["50% wrong labels"]) == WIDTHS, "one run per width of WIDTHS"

# %% course={"bonus": true, "points": 2, "uses": {"pixels": ["histories", "sweeps['pixel noise (variance 0.1)']"], "pixels_wide": ["keras", "sweeps['pixel noise (variance 0.1)'][WIDTHS[-1]].model"], "widths": ["json", "WIDTHS"]}} nbgrader={"grade": true, "grade_id": "ex4_pixels", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": false, "checksum": "0dbd7b1f9db0dd2429a51a155c5d2172", "cell_type": "code"}
if "pixel noise (variance 0.1)" in sweeps:
    assert list(sweeps["pixel noise (variance 0.1)"]) == WIDTHS, "one run per width of WIDTHS"
else:
    print("bonus 4.4 not done: nothing to check")

# %% nbgrader={"grade": false, "grade_id": "given-bbb27d44", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "c7971c28ea3d25778f0e9a219659139e", "cell_type": "code"}
cu.plot_sweep(WIDTHS, {kind: [best(h)["best val loss"] for h in runs.values()] for kind, runs in sweeps.items()},
              xlabel="hidden units", ylabel="best validation loss", logx=True, title="Fashion-MNIST: loss vs width")
cu.plot_sweep(WIDTHS, {kind: [best(h)["best val accuracy"] for h in runs.values()] for kind, runs in sweeps.items()},
              xlabel="hidden units", ylabel="best validation accuracy", logx=True, title="Fashion-MNIST: accuracy vs width")
cu.plot_sweep(WIDTHS, {kind: [best(h)["final training accuracy"] for h in runs.values()] for kind, runs in sweeps.items()},
              xlabel="hidden units", ylabel="final training accuracy", logx=True, title="Fashion-MNIST: training fit vs width")

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-5ba9c5f9", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "4aff6f60af1231d856a1f40f598beb1e", "cell_type": "markdown"}
# The histories behind the sweep with wrong labels (the runs of this exercise, by width):

# %% nbgrader={"grade": false, "grade_id": "given-a7c7baf2", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "b72fb5f7754ea6cc15f93e017f1ca5fa", "cell_type": "code"}
noisy_sweep = {f"{w} units": h for w, h in sweeps["50% wrong labels"].items()}
cu.compare_histories(noisy_sweep, metric="val_loss", title="50% wrong labels: validation loss by width")
cu.compare_histories(noisy_sweep, metric="accuracy", title="50% wrong labels: training accuracy by width")

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex4_answer", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false, "checksum": "5ef9582bd5c34a796b54d12f73fd3a98", "cell_type": "markdown"}
# **Answer:** _Write your answer here (a few sentences)._

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-727586d3", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "0d12371fe9eb32b165c71d0124382bb0", "cell_type": "markdown"}
# ## Exercise 5: going deeper, with L2, dropout and augmentation (10 + 2 points)
#
# More layers do not automatically mean better results. On Fashion-MNIST:
#
# 1. Take 3 hidden layers of 128 units and train with Adam for `cu.epochs(20)` epochs. (We use
#    Adam so that 20 epochs show the overfitting that SGD needs 150 epochs to show.) Keep the
#    histories of this exercise in a dict `deep_runs`, this one under `"3x128"`. (2 pts)
# 2. Plot the learning curves and report the best validation accuracy. Do you see overfitting? (2 pts)
# 3. Same network, with a large (1) and a small (0.001) L2 factor on the kernels, under
#    `"L2 1"` and `"L2 0.001"`. (2 pts)
# 4. No L2; a large (0.5) and a small (0.05) dropout rate after each hidden layer, under
#    `"dropout 0.5"` and `"dropout 0.05"`. (2 pts)
# 5. BONUS: data augmentation with Keras preprocessing layers (`RandomFlip`, `RandomRotation`,
#    `RandomTranslation`, `RandomZoom`) inside the model: they change the images only during
#    training, and take the already scaled pixels as they are (the seed scaled the augmented
#    images a second time). Write `augmentation()`, which returns a new list of layers for
#    `build_mlp(preprocessing=...)`, from flat 784-pixel vectors back to flat vectors; give
#    each random layer its own seed (`SEED`, `SEED + 1`, ...): layers built with the same seed
#    draw the same random numbers, so their changes would be tied together. Train the same
#    network with it, under `"augmentation"`. Say which augmentations you used and why they
#    suit the data. (2 pts)
# 6. Compare all attempts in one table. Did any of them improve the validation accuracy? If
#    not, why not? (2 pts)
#
# Train every run with `save_best=True`: it keeps the model with the lowest validation loss,
# which exercise 6 compares on the test set. The cells below read every entry of `deep_runs`,
# so they work without the bonus. Two things to know when you read the results: the loss of
# the L2 runs includes the penalty (and so does the validation loss that chooses their kept
# model), so compare them by accuracy; and Keras measures the training accuracy with dropout
# (and augmentation) switched on, which lowers it.

# %% nbgrader={"grade": false, "grade_id": "ex5_augmentation_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "1af58fa0f435af00f485b153941d58c7", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-85440362", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "ccb1c3b84f3ac6d8fd27c641336f94ea", "cell_type": "markdown"}
# What the augmentation does to eight training images (a new variant at every epoch), and a
# check that its random layers draw different numbers: the first uniform draws of each
# layer's random generator, one row per layer. (This cell and the augmented run are skipped
# when the bonus is not done.)

# %% course={"bonus": true, "points": 2, "uses": {"augment": ["keras", "keras.Sequential([keras.Input(shape=(784,)), *augmentation()])"], "augmented": ["keras", "deep_runs['augmentation'].model"], "deep_runs": ["histories", "deep_runs"]}} nbgrader={"grade": true, "grade_id": "ex5_augmentation", "locked": true, "points": 0, "schema_version": 3, "solution": false, "task": false, "checksum": "55641d46e9619a4076cadaabe342a70e", "cell_type": "code"}
if "augmentation" in globals():
    sample = fashion.x_train[:8]
    augmented = keras.Sequential([keras.Input(shape=(784,)), *augmentation()])(sample, training=True)
    cu.plot_images(np.concatenate([sample, np.asarray(augmented)]).reshape(-1, 28, 28),
                   np.concatenate([fashion.labels_train[:8]] * 2), class_names=cu.FASHION_CLASSES, ncols=8)
    assert 0.5 < np.asarray(augmented).max() <= 1.0 + 1e-6, "augmentation keeps the scale: the pixels are scaled once"
    random_layers = [layer for layer in augmentation() if type(layer).__name__.startswith("Random")]
    draws = np.array([keras.ops.convert_to_numpy(keras.random.uniform((5,), seed=layer.generator))
                      for layer in random_layers])
    print(pd.DataFrame(draws, index=[type(layer).__name__ for layer in random_layers]).round(3))
    assert len(np.unique(draws.round(6), axis=0)) == len(random_layers), "each random layer needs its own seed"
else:
    print("augmentation() is not defined (bonus 5.5 not done): no augmented images to show")

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-b25cdcbc", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "813b0a52b41dd865bfeba1bd2ded6d80", "cell_type": "markdown"}
# **Slow cell** (full mode): five runs of 20 epochs, about 2.2 s an epoch: measured 3.7 minutes
# on 2 CPU cores (with `make bench`); the bonus run with augmentation, in the cell after it,
# took 1.9 minutes (5.7 s an epoch).

# %% nbgrader={"grade": false, "grade_id": "ex5_runs_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "ce23669beb2a671394dc70fe21305603", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-fb81a379", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "8d122cdbcb5824a24d871bb45fbe5df0", "cell_type": "markdown"}
# Exercise 5.5 (bonus): the same network with augmentation.

# %% nbgrader={"grade": false, "grade_id": "ex5_augmented_run_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "43128838cd9b3e93dc0690efab71ee5a", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% nbgrader={"grade": false, "grade_id": "given-e70750a6", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "7cbc4f2754c3f4a8802d229a8d5cd4a0", "cell_type": "code"}
deep_table = table(deep_runs)
deep_table["gap (train - val)"] = deep_table["final training accuracy"] - deep_table["final val accuracy"]
print(f"L2 1: best validation accuracy {deep_table.loc['L2 1', 'best val accuracy']:.3f}, "
      f"final training accuracy {deep_table.loc['L2 1', 'final training accuracy']:.3f} "
      f"(chance: 0.100; the largest class share of the validation set: "
      f"{np.bincount(fashion.labels_val).max() / len(fashion.labels_val):.3f})")
deep_table.round(3)

# %% nbgrader={"grade": false, "grade_id": "given-c721773a", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "db967c26fb0630d83d776d5c6ef81b00", "cell_type": "code"}
cu.compare_histories(deep_runs, metric="val_loss", logy=True, title="Fashion-MNIST, 3x128: validation loss")
cu.compare_histories(deep_runs, metric="val_accuracy", title="Fashion-MNIST, 3x128: validation accuracy")

# %% course={"uses": {"deep_runs": ["histories", "deep_runs"], "kept": ["keras", "keras.models.load_model(deep_runs['3x128'].best_model_path)"], "plain": ["keras", "deep_runs['3x128'].model"]}} nbgrader={"grade": true, "grade_id": "ex5_deep", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false, "checksum": "b88d2c631a81f30ae0aec1fd9e1fc5fe", "cell_type": "code"}
assert [layer.units for layer in deep_runs["3x128"].model.layers if isinstance(layer, layers.Dense)] == \
    [128, 128, 128, 10], "3 hidden layers of 128 units"
assert deep_runs["3x128"].best_model_path is not None, "train with save_best=True"

# %% course={"uses": {"deep_runs": ["histories", "deep_runs"], "l2_big": ["keras", "deep_runs['L2 1'].model"], "l2_small": ["keras", "deep_runs['L2 0.001'].model"]}} nbgrader={"grade": true, "grade_id": "ex5_l2", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false, "checksum": "9fde5f031c5710a37ddefd298ccd9806", "cell_type": "code"}
assert {"L2 1", "L2 0.001"} <= set(deep_runs), "the two L2 runs"

# %% course={"uses": {"deep_runs": ["histories", "deep_runs"], "drop_big": ["keras", "deep_runs['dropout 0.5'].model"], "drop_small": ["keras", "deep_runs['dropout 0.05'].model"]}} nbgrader={"grade": true, "grade_id": "ex5_dropout", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false, "checksum": "8b3fd986ba65cb2ee8a9742e8ef6350f", "cell_type": "code"}
assert {"dropout 0.5", "dropout 0.05"} <= set(deep_runs), "the two dropout runs"

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex5_answer", "locked": false, "points": 4, "schema_version": 3, "solution": true, "task": false, "checksum": "ba9ae0f6158d653ab5d75e9893245159", "cell_type": "markdown"}
# **Answer:** _Write your answer here (a few sentences)._

# %% [markdown] nbgrader={"grade": false, "grade_id": "ex6_plot", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": true, "checksum": "7684c237802011fd5e225a59644f2955", "cell_type": "markdown"}
# ## Exercise 6: convolutional networks (10 points)
#
# Convolutional networks have an inductive bias that suits images: small filters, shared
# across the image, followed by pooling.
#
# 1. Write `build_cnn(tuned=False)`, which returns a compiled CNN for the flat 784-pixel
#    inputs (`categorical_crossentropy` loss, `accuracy` metric); the cell after it builds
#    `naive_cnn = build_cnn(tuned=False)`. Train that one without regularisation for
#    `cu.epochs(15)` epochs (the naive CNN). (2 pts)
# 2. Improve its best validation scores (the tuned CNN, from `build_cnn(tuned=True)` with any
#    further arguments you add): batch normalisation, dropout, L2, a learning-rate schedule,
#    augmentation, more filters are all fair, within the same number of epochs. (4 pts)
#    Keep both histories in a dict `cnn_runs` under `"naive CNN"` and `"tuned CNN"`, trained
#    with `save_best=True` (the final comparison loads the kept models).
# 3. Plot the learning curves of both in one comparison plot. (2 pts)
# 4. How does the CNN compare with the best dense network so far? (2 pts)
#
# Size the network for the inputs. The seed stacked six convolutions up to 256 filters and a
# 1,024-unit head: about 6 minutes an epoch on a 2-core CPU. Two blocks of 32 and 64 filters
# and a 128-unit head reach the same accuracy class at a fraction of the cost. The model takes
# the flat vectors of exercise 1 and turns them back into 28x28x1 images with a `Reshape`
# layer, so that all models share one data layout.

# %% nbgrader={"grade": false, "grade_id": "ex6_build_cnn_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "de9f56ae5f8a61d313f544ff0bc66581", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% course={"uses": {"cnn_runs": ["histories", "cnn_runs"], "fresh": ["keras", "build_cnn(tuned=False)"], "naive": ["keras", "cnn_runs['naive CNN'].model"]}} nbgrader={"grade": true, "grade_id": "ex6_naive", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false, "checksum": "88e3798adb51091a270ab22279bcdd28", "cell_type": "code"}
naive_cnn = build_cnn(tuned=False)
naive_cnn.summary()
assert naive_cnn.output_shape == (None, 10)

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-3707b6a0", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "35749eb641e2b296c0a500b4709debfb", "cell_type": "markdown"}
# **Slow cell** (full mode): two runs of 15 epochs: measured 4.7 minutes (naive) and 7.9
# minutes (tuned) on 2 CPU cores (with `make bench`); on a GPU, a few seconds an epoch.
# (The seed's CNN took about 6 minutes an epoch on the same CPU.)

# %% nbgrader={"grade": false, "grade_id": "ex6_runs_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "efe8c128a48423157a63f9cb39d7e4da", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-756563a9", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "2003aa1af8492d4d621d223cf2ae1b90", "cell_type": "markdown"}
# Did the tuning pay off on the validation set?

# %% nbgrader={"grade": false, "grade_id": "given-754f46f5", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "9db903f64da71f12464b0730aaab9817", "cell_type": "code"}
print(table(cnn_runs)[["best val loss", "best val accuracy", "epoch of best val accuracy"]].round(4))
gain = best(cnn_runs["tuned CNN"])["best val accuracy"] - best(cnn_runs["naive CNN"])["best val accuracy"]
print(f"tuned minus naive, best validation accuracy: {gain:+.4f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-69b6fc06", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "8b8c03d63fed42845b49ae72dc628914", "cell_type": "markdown"}
# The two CNNs and the dense network with the best validation accuracy of exercise 5, in one
# plot each for the loss and the accuracy:

# %% nbgrader={"grade": false, "grade_id": "given-de3ab28a", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "8f98342f280961a99e6b9825b28f465a", "cell_type": "code"}
def kept_epoch(history):
    """Return the epoch (from 1) of the model that save_best=True kept: the lowest validation loss."""
    return int(np.argmin(history.history["val_loss"])) + 1


best_dense = max(deep_runs, key=lambda k: deep_runs[k].history["val_accuracy"][kept_epoch(deep_runs[k]) - 1])
final = {**cnn_runs, f"best dense ({best_dense})": deep_runs[best_dense]}
cu.compare_histories(train_and_val(cnn_runs, "loss"), metric="loss", logy=True, title="Naive vs tuned CNN: loss")
cu.compare_histories(final, metric="val_accuracy", title="Fashion-MNIST: validation accuracy")

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-b5a2c40b", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "40b009797184b6fc32303de8f2eab141", "cell_type": "markdown"}
# Last, the test set, once. Every row is one model, as it was at its lowest validation loss
# (the checkpoint `save_best=True` kept; for the L2 runs that loss includes the penalty): its
# validation and test scores come from that same checkpoint. The losses are the data loss
# only (the cross-entropy of the predictions, without any L2 penalty), so that all rows
# compare.

# %% nbgrader={"grade": false, "grade_id": "given-f600afc4", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "fd832cdade7654a2136f9d5a53349e2c", "cell_type": "code"}
def kept_scores(history):
    """Return the epoch, data loss and accuracy on validation and test of the kept checkpoint."""
    kept = keras.models.load_model(history.best_model_path)
    row = {"epoch kept": kept_epoch(history)}
    for part, x, y in (("val", fashion.x_val, fashion.y_val), ("test", fashion.x_test, fashion.y_test)):
        proba = kept.predict(x, verbose=0)
        row[f"{part} data loss"] = float(np.mean(keras.ops.convert_to_numpy(
            keras.losses.categorical_crossentropy(y, proba))))
        row[f"{part} accuracy"] = float(np.mean(proba.argmax(axis=1) == y.argmax(axis=1)))
    assert np.isclose(row["val accuracy"], history.history["val_accuracy"][row["epoch kept"] - 1], atol=1e-3), \
        "the kept checkpoint is the model of that epoch"
    return row


final_table = pd.DataFrame.from_dict({label: kept_scores(h) for label, h in final.items()}, orient="index")
final_table.round(3)

# %% course={"uses": {"cnn_runs": ["histories", "cnn_runs"], "tuned": ["keras", "cnn_runs['tuned CNN'].model"]}} nbgrader={"grade": true, "grade_id": "ex6_tuned", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false, "checksum": "445a5305ae37a56a852b23a1a7c9b36c", "cell_type": "code"}
assert final_table.loc["tuned CNN", "test accuracy"] > 0.3, "a trained CNN beats chance (10%) by far"

# %% [markdown] nbgrader={"grade": true, "grade_id": "ex6_answer", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false, "checksum": "21ecace588f221d947493a7771c6c61e", "cell_type": "markdown"}
# **Answer:** _Write your answer here (a few sentences)._

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-f858cd50", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "b080d1611afd6173237afe0aee944c8b", "cell_type": "markdown"}
# ## What we saw
#
# - One protocol throughout: learn on the training set, choose on the validation set, look at
#   the test set once at the end.
# - One tested builder covers every dense network, from softmax regression to deep, regularised
#   ones; a wrong builder silently changes every experiment that uses it.
# - The learning rate sets the speed of SGD, and a rate too large (3 here) breaks the training
#   for good; Adam gets there in fewer epochs.
# - With wrong labels, networks begin to fit the wrong labels (the wide ones sooner): the
#   validation accuracy peaks early and then slides; the validation set shows it.
# - L2, dropout and augmentation narrow the gap between training and validation; the
#   architecture (convolutions) is what lifts the accuracy on images.
#
# *References*: the seed miniproject (MNIST and Fashion-MNIST, exercises 1-6);
# H. Xiao, K. Rasul, R. Vollgraf, *Fashion-MNIST*, arXiv:1708.07747, 2017;
# A. Géron, *Hands-On Machine Learning with Scikit-Learn, Keras and TensorFlow*, 3rd ed.,
# O'Reilly, 2022, chapters 10, 11 and 14.
