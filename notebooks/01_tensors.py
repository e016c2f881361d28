# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/dl-course-lab/deep-learning-course/blob/main/notebooks/01_tensors.ipynb)
#
# # 01 · Tensors and first networks
#
# **What you will learn**
# - what a tensor is, from a single number (0D) to a batch of videos (5D), and how to read `ndim`, `shape` and `dtype`;
# - which tensor shapes real data takes: tables, sequences, images, videos;
# - that a colour photo and a handwritten digit are just 3D and 2D arrays of numbers;
# - how to slice, reshape, broadcast and multiply tensors: all that a `Dense` layer does;
# - how to build, train and evaluate a first neural network with Keras, and why a hidden layer matters;
# - that noise sets a ceiling on any model's accuracy (the Bayes accuracy), and how to compute it when the data's recipe is known.
#
# **What you need**: Python and NumPy basics. No earlier notebook.
#
# **How long it takes**: under 2 minutes on 2 CPU cores (measured with `make bench` in full
# mode on the real MNIST: 1.3 to 1.7 minutes and 1.3 GB of memory at most; the networks are
# tiny); not measured on a Colab GPU.

# %%
# Setup, the same in every notebook: on Colab, install the course helpers first.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "git+https://github.com/dl-course-lab/deep-learning-course"], check=True)

import course_utils as cu

cu.setup()

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.express as px
from sklearn.datasets import make_blobs, make_circles
from sklearn.model_selection import train_test_split

# %% [markdown]
# ## 1. Deep learning, in one picture
#
# Deep learning is the part of machine learning that learns *successive layers of
# representations* with neural networks. The number of layers is the *depth* of the
# model, which is where the "deep" comes from.

# %%
# extra code: draws the figure
fig, ax = plt.subplots(figsize=(5, 3.2))
for radius, label, colour in [(1.5, "Artificial intelligence", "#dbe9f6"),
                              (1.05, "Machine learning", "#9ecae1"),
                              (0.6, "Deep learning", "#4292c6")]:
    ax.add_patch(plt.Circle((0, radius - 1.5), radius, color=colour))
    ax.text(0, 2 * radius - 1.5 - 0.22, label, ha="center", fontsize=10)
ax.set_xlim(-1.6, 1.6)
ax.set_ylim(-1.6, 1.6)
ax.set_aspect("equal")
ax.axis("off")
plt.show()

# %% [markdown]
# ## 2. Tensors
#
# All current machine-learning systems use **tensors** as their basic data structure:
# multi-dimensional arrays of numbers (NumPy arrays, here). Three attributes describe one:
#
# - `ndim`: the number of axes (also called the *rank*);
# - `shape`: how many entries along each axis;
# - `dtype`: the type of the numbers (`float32`, `uint8`, ...), which decides memory use and precision.

# %%
def describe(name, t):
    """Print a tensor's rank, shape and dtype."""
    print(f"{name}: ndim={t.ndim}, shape={t.shape}, dtype={t.dtype}")


# %% [markdown]
# ### Scalars (0D), vectors (1D) and matrices (2D)
#
# A scalar holds one number and has no axis. A vector is an array of numbers, with one
# axis. A matrix is an array of vectors, with two axes (rows and columns).

# %%
t0 = np.array(3.14)
t1 = np.array([1, 2, 34, 54, 3])
t2 = np.array([[5, 7, 2, 1],
               [6, 0, 7, 3],
               [7, 4, 0, 4]])
for name, t in [("t0", t0), ("t1", t1), ("t2", t2)]:
    describe(name, t)

# %% [markdown]
# ### 3D tensors and beyond
#
# Pack matrices into a new array and you get a 3D tensor; pack 3D tensors and you get a
# 4D tensor, and so on. `np.stack` adds the new axis in front.

# %%
t3 = np.stack([t2, t2 + 1, t2 + 2])     # three 3x4 matrices
t4 = np.stack([t3, t3])                 # two of those
t5 = np.stack([t4, t4, t4])             # three of those
for name, t in [("t3", t3), ("t4", t4), ("t5", t5)]:
    describe(name, t)
assert (t3.ndim, t4.ndim, t5.ndim) == (3, 4, 5)

# %% [markdown]
# Each new axis multiplies the number of entries: `t5` holds 3 x 2 x 3 x 3 x 4 numbers.

# %%
print("entries in t5:", t5.size, "=", " x ".join(map(str, t5.shape)))

# %% [markdown]
# ### The shapes of real data
#
# | data | rank | shape |
# | --- | --- | --- |
# | vector data (a table) | 2D | (samples, features) |
# | time series, text | 3D | (samples, timesteps, features) |
# | images | 4D | (samples, height, width, channels) |
# | video | 5D | (samples, frames, height, width, channels) |
#
# Keras puts the channels last, as above. The first axis is always the *batch* of samples.
# Here is what such tensors cost in memory as `float32` (4 bytes a number):

# %%
examples = {
    "1000 customers x 20 features": (1000, 20),
    "250 days x 24 hours x 3 sensors": (250, 24, 3),
    "128 colour images 256x256": (128, 256, 256, 3),
    "4 videos, 240 frames 144x256": (4, 240, 144, 256, 3),
}
rows = [{"data": k, "rank": len(s), "shape": s, "MB as float32": np.prod(s) * 4 / 1e6}
        for k, s in examples.items()]
pd.DataFrame(rows).round(1)

# %% [markdown]
# ## 3. An image is a 3D tensor
#
# A colour photo is a grid of pixels, each with three numbers: red, green and blue
# intensities from 0 to 255. This photo ships with scikit-learn, so no download is needed.

# %%
photo = cu.sample_image("china.jpg")
describe("photo", photo)
print("pixel (0, 0) as RGB:", photo[0, 0], "| smallest and largest values:", photo.min(), photo.max())
assert photo.ndim == 3 and photo.shape[2] == 3 and photo.dtype == np.uint8

# %%
fig = px.imshow(photo, width=560, height=400, title="A colour image: (height, width, 3)")
fig.update_xaxes(visible=False)
fig.update_yaxes(visible=False)
fig.show()

# %% [markdown]
# The last axis holds the channels. Slicing it gives three 2D tensors, one per colour:

# %%
# extra code: one panel per channel
fig, axes = plt.subplots(1, 3, figsize=(11, 2.8))
for i, (ax, name) in enumerate(zip(axes, ["red", "green", "blue"])):
    ax.imshow(photo[:, :, i], cmap="gray")
    ax.set_title(f"photo[:, :, {i}]: {name}, shape {photo[:, :, i].shape}")
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 4. A handwritten digit is a 2D tensor
#
# MNIST holds 70,000 grayscale digits of 28x28 pixels. A grayscale image needs one number
# per pixel, so one digit is a 2D tensor and the whole training set a 3D tensor
# (samples, height, width). The loader prints where the data comes from: the real MNIST,
# or the course's stand-in when it cannot be downloaded.

# %%
(x_train, y_train), (x_test, y_test) = cu.load_mnist()
describe("x_train", x_train)
describe("y_train", y_train)
assert x_train.shape[1:] == (28, 28) and x_train.dtype == np.uint8

# %%
index = len(x_train) - 1      # try any number from 0 to len(x_train) - 1
digit = x_train[index]
describe("digit", digit)
fig = px.imshow(digit, color_continuous_scale="gray", width=380, height=380,
                title=f"x_train[{index}], label {y_train[index]}")
fig.update_xaxes(visible=False)
fig.update_yaxes(visible=False)
fig.show()

# %% [markdown]
# ## 5. Operations on tensors
#
# A network does little more than slice, reshape, add and multiply tensors. Four operations
# carry most of the work; each cell prints the shapes, so you can follow them.
#
# **Slicing** picks part of a tensor along each axis, as for NumPy arrays: `start:stop` on an
# axis, `:` for all of it.

# %%
batch = x_train[:128]                # the first 128 digits
corner = x_train[:, 14:, 14:]        # the bottom-right quarter of every digit
describe("batch", batch)
describe("corner", corner)
assert batch.shape == (128, 28, 28) and corner.shape == (len(x_train), 14, 14)

# %% [markdown]
# **Reshaping** changes the shape and keeps the entries in order. A `Dense` layer takes a
# vector per sample, so an image of 28 x 28 becomes 784 numbers (this is what
# `keras.layers.Flatten` does); `-1` means "whatever size makes the count work".

# %%
flat = batch.reshape(len(batch), -1)
describe("flat", flat)
assert flat.shape == (128, 784)
assert np.array_equal(flat.reshape(batch.shape), batch), "reshaping back gives the same digits"

# %% [markdown]
# **Broadcasting**: when two shapes differ, NumPy repeats the smaller tensor along the
# missing leading axes (or along axes of size 1). Dividing by a scalar divides every entry;
# subtracting the mean image, shape (784,), from every row of `flat`, shape (128, 784),
# needs no loop.

# %%
scaled = flat.astype("float32") / 255          # () broadcast over (128, 784)
mean_image = scaled.mean(axis=0)               # (784,): the average of the 128 digits
centred = scaled - mean_image                  # (128, 784) - (784,) -> (128, 784)
for name, t in [("scaled", scaled), ("mean_image", mean_image), ("centred", centred)]:
    describe(name, t)
assert np.allclose(centred.mean(axis=0), 0, atol=1e-5)

# %% [markdown]
# **The dot product and the matrix product.** The dot product of two vectors multiplies them
# entry by entry and adds up. The matrix product `a @ b` takes the dot product of every row of
# `a` with every column of `b`, so the inner sizes must match: (128, 784) @ (784, 10) gives
# (128, 10).

# %%
rng = np.random.default_rng(0)
W = rng.normal(size=(784, 10)).astype("float32")
b = np.zeros(10, dtype="float32")
z = scaled @ W + b                             # (128, 784) @ (784, 10) + (10,) -> (128, 10)
describe("z", z)
assert np.isclose(z[0, 3], np.dot(scaled[0], W[:, 3]), rtol=1e-4), "one entry = one dot product"
try:
    W @ scaled                                 # (784, 10) @ (128, 784): the inner sizes differ
except ValueError as error:
    print("W @ scaled fails:", error)

# %% [markdown]
# That is exactly what a Keras `Dense` layer computes: `activation(x @ kernel + bias)`. We
# check it against the layer's own weights:

# %%
dense = keras.layers.Dense(10, activation="relu")
out_keras = keras.ops.convert_to_numpy(dense(scaled))
kernel, bias = dense.get_weights()
out_numpy = np.maximum(scaled @ kernel + bias, 0)          # relu(x @ W + b)
describe("kernel", kernel)
print("largest difference between Keras and NumPy:", np.abs(out_keras - out_numpy).max())
assert np.allclose(out_keras, out_numpy, atol=1e-5)

# %% [markdown]
# ## 6. A first network: two groups of points
#
# Any neural network has four parts: **layers** combined into a model, **input data and
# targets**, a **loss function** (the feedback signal used for learning) and an
# **optimizer** (how learning proceeds). We start with two overlapping clouds of points,
# 1000 samples with two features each.

# %%
X, y = make_blobs(n_samples=1000, centers=2, n_features=2, cluster_std=2, random_state=54)
blobs = pd.DataFrame({"X1": X[:, 0], "X2": X[:, 1], "Class": y})
blobs.head()

# %%
px.scatter(blobs, x="X1", y="X2", color=blobs.Class.astype(str),
           color_discrete_map={"0": "cornflowerblue", "1": "indianred"},
           labels={"color": "Class"}, title="Blobs", width=700, height=450)

# %% [markdown]
# We keep three separate sets: a **training** set to learn from, a **validation** set to
# watch during training and to compare models, and a **test** set that we look at only at
# the end, once. Comparing models on the test set would quietly tune them to it.

# %%
def split(X, y):
    """60% train, 20% validation, 20% test, with the class balance kept in each."""
    X_tmp, X_test, y_tmp, y_test = train_test_split(X, y, test_size=0.2, random_state=23, stratify=y)
    X_tr, X_val, y_tr, y_val = train_test_split(X_tmp, y_tmp, test_size=0.25, random_state=23, stratify=y_tmp)
    return (X_tr, y_tr), (X_val, y_val), (X_test, y_test)


(Xb_train, yb_train), (Xb_val, yb_val), (Xb_test, yb_test) = split(X, y)
print(f"train {len(Xb_train)} | validation {len(Xb_val)} | test {len(Xb_test)}")

# %% [markdown]
# The model: one hidden layer of 10 units with the `relu` activation, and one output unit
# with a `sigmoid`, which turns any number into a probability of class 1.
# `keras.Input(shape=(2,))` says that each sample has 2 features.
#
# Without an activation, a `Dense` layer is a dot product plus a bias: a linear map.
# Stacking linear maps gives another linear map, so depth alone would add nothing; the
# non-linearity (`relu`) is what lets more layers learn more. Section 7 puts this to the
# test with hidden layers that have no activation (`activation=None`).

# %%
def make_model(hidden_units=(10,), learning_rate=0.01, activation="relu"):
    """A binary classifier for 2 features with the given hidden layers (none for a linear model)."""
    model = keras.Sequential([keras.Input(shape=(2,))])
    for units in hidden_units:
        model.add(keras.layers.Dense(units, activation=activation))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  metrics=["accuracy"])
    return model


model = make_model()
model.summary()

# %% [markdown]
# The summary counts the parameters: the hidden layer has 2 x 10 weights + 10 biases = 30,
# the output layer 10 weights + 1 bias = 11.
#
# We compile with the binary cross-entropy loss (two classes), the Adam optimizer with a
# learning rate of 0.01, and accuracy as the metric to report. Then `fit` trains: it feeds
# the data in mini-batches of 10 samples, updates the weights after each batch, and repeats
# for several **epochs** (full passes over the training set).

# %%
EPOCHS = cu.epochs(50, reduced=20)
history_blobs = model.fit(Xb_train, yb_train, epochs=EPOCHS, batch_size=10,
                          validation_data=(Xb_val, yb_val), verbose=2)

# %% [markdown]
# `fit` returns a `History` whose `.history` dictionary holds one list per metric, one value
# per epoch. `cu.plot_history` draws them: one panel per metric (the loss, then the accuracy),
# with the training and the validation curve in the same panel.

# %%
print("keys:", list(history_blobs.history))
cu.plot_history(history_blobs, title="Blobs: 10 hidden units")

# %% [markdown]
# The same history, interactive (hover over a point to read it):

# %%
cu.plot_history_interactive(history_blobs, title="Blobs: training history")

# %% [markdown]
# The training and validation curves should stay close together: the model does not merely
# memorise the training points. Their last values:

# %%
last = {k: v[-1] for k, v in history_blobs.history.items()}
print(f"last epoch: training accuracy {last['accuracy']:.3f} | validation accuracy {last['val_accuracy']:.3f}")

# %% [markdown]
# The clouds overlap a little (see the scatter plot), so some points lie on the other class's
# side and no boundary gets them all right. Now the test set, once:

# %%
test_loss, test_accuracy = model.evaluate(Xb_test, yb_test, verbose=0)
print(f"blobs test loss {test_loss:.3f} | test accuracy {test_accuracy:.3f}")
assert test_accuracy > 0.8, "the blobs overlap only a little: a trained model should get most points right"

# %% [markdown]
# ## 7. Circles: where a hidden layer matters
#
# Now one class surrounds the other. No straight line separates them, so we can put the
# role of the hidden layer to the test: we train **fresh** models on this data (a model
# trained on the blobs would start from the wrong solution) and compare
#
# - a model with **no hidden layer** (logistic regression: its boundary is a straight line),
# - two hidden layers of 20 and 10 units **without an activation** (a stack of linear maps),
# - the same network as above, with **one hidden layer** of 10 units and `relu`,
# - a **deeper** network, with two hidden layers of 20 and 10 units and `relu`.
#
# The noise of the circles is set once, in `NOISE`: every cell below reads it.

# %%
NOISE = 0.3        # the standard deviation of the noise make_circles adds; try 0.2
Xc, yc = make_circles(n_samples=1000, factor=0.4, noise=NOISE, random_state=2)
circles = pd.DataFrame({"X1": Xc[:, 0], "X2": Xc[:, 1], "Class": yc})
px.scatter(circles, x="X1", y="X2", color=circles.Class.astype(str),
           color_discrete_map={"0": "cornflowerblue", "1": "indianred"},
           labels={"color": "Class"}, title=f"Circles (noise {NOISE})", width=700, height=450)

# %% [markdown]
# Four models, trained the same way. We use mini-batches of 32 here: fewer, larger
# updates per epoch than with 10, so the twelve trainings of this section (four models,
# three times) go faster. Each model is scored on the validation set only: the test set
# waits until we have chosen one.

# %%
SEED = 42     # the same start for every model; try another seed and compare the tables


def train_and_score(X, y, hidden_units, seed=SEED, activation="relu"):
    """Train a fresh model on a 60/20/20 split; return the model, its history and its accuracies."""
    (X_tr, y_tr), (X_val, y_val), _ = split(X, y)
    keras.utils.set_random_seed(seed)
    model = make_model(hidden_units, activation=activation)
    history = model.fit(X_tr, y_tr, epochs=EPOCHS, batch_size=32,
                        validation_data=(X_val, y_val), verbose=0)
    scores = {"train_accuracy": model.evaluate(X_tr, y_tr, verbose=0)[1],
              "val_accuracy": model.evaluate(X_val, y_val, verbose=0)[1]}
    return model, history, scores


architectures = {"no hidden layer": ((), "relu"), "2 linear layers (20, 10)": ((20, 10), None),
                 "1 hidden layer (10)": ((10,), "relu"), "2 hidden layers (20, 10)": ((20, 10), "relu")}
circle_runs = {name: train_and_score(Xc, yc, units, activation=act) for name, (units, act) in architectures.items()}
results = pd.DataFrame({name: scores for name, (_, _, scores) in circle_runs.items()}).T.round(3)
results

# %% [markdown]
# Where does each model draw its boundary? Red means "class 1", blue "class 0", the black
# line is where the model hesitates (probability 0.5).

# %%
# extra code: the four boundaries side by side
fig, axes = plt.subplots(1, 4, figsize=(18, 4))
for ax, (name, (model_c, _, scores)) in zip(axes, circle_runs.items()):
    cu.plot_decision_boundary(model_c, Xc, yc, ax=ax, title=f"{name}: val acc {scores['val_accuracy']:.2f}")
plt.tight_layout()
plt.show()

# %% [markdown]
# The model without a hidden layer can only draw a straight line, and a straight line
# through rings is right about half the time. Two hidden layers without an activation do
# no better: their two linear maps make one linear map, and their boundary is a straight
# line too. The hidden layer with `relu` bends the boundary around the inner ring. We check
# these claims on the validation set:

# %%
val = results["val_accuracy"]
print(f"no hidden layer: {val['no hidden layer']:.2f} | 2 linear layers: {val['2 linear layers (20, 10)']:.2f} | "
      f"1 hidden layer with relu: {val['1 hidden layer (10)']:.2f}")
assert val["no hidden layer"] < 0.65, "a straight line through rings stays near chance (0.5)"
assert val["2 linear layers (20, 10)"] < 0.65, "stacked linear maps are one linear map: a straight line again"
assert val["1 hidden layer (10)"] > max(val["no hidden layer"], val["2 linear layers (20, 10)"]) + 0.15, val

# %% [markdown]
# ### How good can any model be?
#
# Here we know how the points were made: `make_circles` puts half of them on a circle of
# radius 1 (class 0), half on a circle of radius `factor` = 0.4 (class 1), and adds Gaussian
# noise of standard deviation `noise` to both coordinates. So we can write down how likely a
# point is under each class: a Gaussian bump averaged over the points of the circle. The best
# possible classifier, the **Bayes classifier**, picks the more likely class. Its accuracy,
# the **Bayes accuracy**, is a ceiling that no model, however deep, can pass except by luck
# on a small sample. The average over the circle is one broadcast, as in section 5.

# %%
def circle_density(X, radius, noise, n_angles=180):
    """Density (up to a constant) at each point of X (n, 2) of a circle of `radius` plus noise."""
    angles = np.linspace(0, 2 * np.pi, n_angles, endpoint=False)
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)   # (n_angles, 2)
    squared = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)       # (n, n_angles)
    return np.exp(-squared / (2 * noise ** 2)).mean(axis=1)                  # (n,)


def bayes_predict(X, noise, factor=0.4):
    """The Bayes classifier of make_circles: class 1 (the inner circle) where it is more likely."""
    return (circle_density(X, factor, noise) > circle_density(X, 1.0, noise)).astype(int)


def bayes_accuracy(noise, n=40_000):
    """The Bayes accuracy, estimated on n fresh points drawn the same way."""
    X_new, y_new = make_circles(n_samples=n, factor=0.4, noise=noise, random_state=0)
    return np.mean(bayes_predict(X_new, noise) == y_new)

# %% [markdown]
# The Bayes classifier next to the four networks, on the same 200 validation points, and
# its accuracy in the long run (40,000 fresh points). With 200 points, one validation score
# has a standard error (SE) of about $\sqrt{p(1-p)/200}$. A score within about 2 SE of
# the ceiling is as close as chance lets us tell; and when two scores are compared, their
# difference has a standard error $\sqrt{2}$ times larger, so two scores less than about
# 3 SE apart cannot be told apart with 200 points.

# %%
def with_bayes(table, X, y, noise):
    """`table` with a last row for the Bayes classifier, scored on the same split."""
    (X_tr, y_tr), (X_val, y_val), _ = split(X, y)
    bayes_row = {"train_accuracy": np.mean(bayes_predict(X_tr, noise) == y_tr),
                 "val_accuracy": np.mean(bayes_predict(X_val, noise) == y_val)}
    return pd.concat([table, pd.DataFrame({"Bayes classifier": bayes_row}).T.round(3)])


ceiling = bayes_accuracy(NOISE)
results = with_bayes(results, Xc, yc, noise=NOISE)
standard_error = np.sqrt(ceiling * (1 - ceiling) / len(split(Xc, yc)[1][1]))
print(f"Bayes accuracy at noise {NOISE}: {ceiling:.3f} | standard error of a validation score: {standard_error:.3f}")
results

# %% [markdown]
# Read the table: how far from the Bayes accuracy do the two networks with hidden layers
# sit, in units of the standard error? One run could be a lucky draw of starting weights, so
# the cell below trains the three models once more from another seed (7) and prints the gap
# to the ceiling for both seeds, in units of the standard error. If both networks with
# hidden layers and `relu` sit within about two standard errors of the ceiling for both
# seeds, the deeper one included, then a deeper network has nothing left to win: part of the points sit
# on the wrong side of *any* boundary. Even the Bayes classifier misses some of the 200
# validation points, and a network can land a little above it on so small a sample by luck.

# %%
second_seed = pd.DataFrame({name: train_and_score(Xc, yc, units, seed=7, activation=act)[2]
                            for name, (units, act) in architectures.items()}).T
gaps = pd.DataFrame({"seed 42": ceiling - results["val_accuracy"].drop("Bayes classifier"),
                     "seed 7": ceiling - second_seed["val_accuracy"]})
print("Bayes accuracy minus validation accuracy, in standard errors (negative: above the ceiling):")
print((gaps / standard_error).round(1))
assert (gaps > -3 * standard_error).all(axis=None), "no model passes the ceiling by more than chance allows"

# %% [markdown]
# To see that the limit comes from the data and not from the model, here is the same
# comparison on cleaner circles (noise 0.1), where the Bayes accuracy is close to 1:

# %%
CLEAN_NOISE = 0.1
Xc2, yc2 = make_circles(n_samples=1000, factor=0.4, noise=CLEAN_NOISE, random_state=2)
clean_runs = {name: train_and_score(Xc2, yc2, units, activation=act) for name, (units, act) in architectures.items()}
clean = pd.DataFrame({name: scores for name, (_, _, scores) in clean_runs.items()}).T.round(3)
clean = with_bayes(clean, Xc2, yc2, noise=CLEAN_NOISE)
print(f"Bayes accuracy at noise {CLEAN_NOISE}: {bayes_accuracy(CLEAN_NOISE):.3f}")
pd.concat({f"noise {NOISE}": results, f"noise {CLEAN_NOISE}": clean}, axis=1)

# %%
with_relu = ["1 hidden layer (10)", "2 hidden layers (20, 10)"]
cu.compare_histories({f"noise {NOISE}, {k}": circle_runs[k][1] for k in with_relu}
                     | {f"noise {CLEAN_NOISE}, {k}": clean_runs[k][1] for k in with_relu},
                     metric="val_accuracy", title="Validation accuracy on the circles (networks with relu)")

# %%
assert clean["val_accuracy"]["1 hidden layer (10)"] > results["val_accuracy"]["1 hidden layer (10)"]
assert bayes_accuracy(CLEAN_NOISE) > bayes_accuracy(NOISE), "less noise, a higher ceiling"

# %% [markdown]
# ### The test set, once
#
# For each dataset we choose the model with the best validation accuracy (on a tie, the
# simpler one, listed first), and only that model sees the test set.

# %%
def choose_and_test(runs, X, y):
    """The name of the run with the best validation accuracy, and that model's test accuracy."""
    name = max(runs, key=lambda k: runs[k][2]["val_accuracy"])   # max keeps the first of equals
    _, _, (X_te, y_te) = split(X, y)
    return name, runs[name][0].evaluate(X_te, y_te, verbose=0)[1]


for label, runs, X, y in [(f"noise {NOISE}", circle_runs, Xc, yc), (f"noise {CLEAN_NOISE}", clean_runs, Xc2, yc2)]:
    chosen, test_acc = choose_and_test(runs, X, y)
    print(f"{label}: chosen on validation: {chosen} | test accuracy {test_acc:.3f}")

# %% [markdown]
# ## 8. What we saw
#
# Read these from the tables and plots above (the numbers change a little from machine to
# machine):
#
# - Data is stored in tensors; `ndim`, `shape` and `dtype` tell you what you hold. An image
#   is (height, width, channels), a grayscale digit (height, width), and a batch adds an axis
#   in front.
# - On the blobs, a network with one hidden layer classifies most test points correctly;
#   training and validation curves stay close.
# - On the circles, the model **without** a hidden layer stays near chance (0.5), because it
#   can only draw a straight line, and so do two hidden layers **without** an activation:
#   stacked linear maps are one linear map. One hidden layer with `relu` is enough to bend
#   the boundary.
# - The deeper network did not beat the 10-unit one on either dataset: compare their rows
#   in both tables. At noise 0.3 the Bayes accuracy (about 0.83) is a ceiling that both
#   already reach; at noise 0.1 the ceiling is close to 1 and both reach it too. Noise sets
#   a ceiling no architecture can pass.
# - Tensor operations: slicing, reshaping, broadcasting and the matrix product are all a
#   `Dense` layer needs.
# - We chose models on the validation set and evaluated only the chosen one on the test
#   set, once.
#
# **Try it**: change `NOISE` to 0.2, or the hidden units to `(3,)`, and re-run section 7:
# every table, ceiling and check of the section follows `NOISE`.
#
# *Reference*: F. Chollet, *Deep Learning with Python*, 2nd ed., Manning, 2021, chapter 2.
