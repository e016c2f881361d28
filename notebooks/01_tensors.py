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
# - how to build, train and evaluate a first neural network with Keras, and why a hidden layer matters.
#
# **What you need**: Python and NumPy basics. No earlier notebook.
#
# **How long it takes**: about a minute on a laptop CPU (the networks are tiny); the same on a Colab GPU.

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
# ## 5. A first network: two groups of points
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
# Stacking linear maps gives another linear map, so depth would add nothing. The
# non-linearity (`relu`) is what lets more layers learn more.

# %%
def make_model(hidden_units=(10,), learning_rate=0.01):
    """A binary classifier for 2 features with the given hidden layers (none for a linear model)."""
    model = keras.Sequential([keras.Input(shape=(2,))])
    for units in hidden_units:
        model.add(keras.layers.Dense(units, activation="relu"))
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
# per epoch. `cu.plot_history` draws them: training and validation curves side by side.

# %%
print("keys:", list(history_blobs.history))
cu.plot_history(history_blobs, title="Blobs: 10 hidden units")

# %% [markdown]
# The same history, interactive (hover over a point to read it):

# %%
cu.plot_history_interactive(history_blobs, title="Blobs: training history")

# %% [markdown]
# The training and validation curves stay close together: the model does not merely
# memorise the training points. The clouds overlap, so no model can classify every point;
# now the test set, once:

# %%
test_loss, test_accuracy = model.evaluate(Xb_test, yb_test, verbose=0)
print(f"blobs test loss {test_loss:.3f} | test accuracy {test_accuracy:.3f}")
assert test_accuracy > 0.8, "the two blobs are well separated: a trained model should get most points right"

# %% [markdown]
# ## 6. Circles: where a hidden layer matters
#
# Now one class surrounds the other. No straight line separates them, so we can put the
# role of the hidden layer to the test: we train **fresh** models on this data (a model
# trained on the blobs would start from the wrong solution) and compare
#
# - a model with **no hidden layer** (logistic regression: its boundary is a straight line),
# - the same network as above, with **one hidden layer** of 10 units,
# - a **deeper** network, with two hidden layers of 20 and 10 units.

# %%
Xc, yc = make_circles(n_samples=1000, factor=0.4, noise=0.3, random_state=2)
circles = pd.DataFrame({"X1": Xc[:, 0], "X2": Xc[:, 1], "Class": yc})
px.scatter(circles, x="X1", y="X2", color=circles.Class.astype(str),
           color_discrete_map={"0": "cornflowerblue", "1": "indianred"},
           labels={"color": "Class"}, title="Circles (noise 0.3)", width=700, height=450)

# %% [markdown]
# Three models, trained the same way. We use mini-batches of 32 here: fewer, larger
# updates per epoch, so each model trains in a few seconds.

# %%
def train_and_score(X, y, hidden_units):
    """Train a fresh model on a 60/20/20 split; return the model, its history and scores."""
    (X_tr, y_tr), (X_val, y_val), (X_te, y_te) = split(X, y)
    keras.utils.set_random_seed(42)     # the same start for every model
    model = make_model(hidden_units)
    history = model.fit(X_tr, y_tr, epochs=EPOCHS, batch_size=32,
                        validation_data=(X_val, y_val), verbose=0)
    scores = {"val_accuracy": model.evaluate(X_val, y_val, verbose=0)[1],
              "test_accuracy": model.evaluate(X_te, y_te, verbose=0)[1]}
    return model, history, scores


architectures = {"no hidden layer": (), "1 hidden layer (10)": (10,), "2 hidden layers (20, 10)": (20, 10)}
circle_runs = {name: train_and_score(Xc, yc, units) for name, units in architectures.items()}
results = pd.DataFrame({name: scores for name, (_, _, scores) in circle_runs.items()}).T.round(3)
results

# %% [markdown]
# Where does each model draw its boundary? Red means "class 1", blue "class 0", the black
# line is where the model hesitates (probability 0.5).

# %%
# extra code: the three boundaries side by side
fig, axes = plt.subplots(1, 3, figsize=(14, 4))
for ax, (name, (model_c, _, scores)) in zip(axes, circle_runs.items()):
    cu.plot_decision_boundary(model_c, Xc, yc, ax=ax, title=f"{name}: val acc {scores['val_accuracy']:.2f}")
plt.tight_layout()
plt.show()

# %% [markdown]
# The model without a hidden layer can only draw a straight line, and a straight line
# through rings is right about half the time. The hidden layer bends the boundary around
# the inner ring. We check the first claim on the validation set:

# %%
val = results["val_accuracy"]
assert val["1 hidden layer (10)"] > val["no hidden layer"] + 0.15, val
print(f"hidden layer beats no hidden layer by {val['1 hidden layer (10)'] - val['no hidden layer']:.2f} "
      "in validation accuracy")

# %% [markdown]
# Compare the two networks with hidden layers in the table. With this much noise the rings
# overlap, so part of the points sit on the wrong side of *any* boundary, and a deeper
# network has little left to win. To see that the limit comes from the data and not
# from the model, here is the same comparison on cleaner circles (noise 0.1):

# %%
Xc2, yc2 = make_circles(n_samples=1000, factor=0.4, noise=0.1, random_state=2)
clean_runs = {name: train_and_score(Xc2, yc2, units) for name, units in architectures.items()}
clean = pd.DataFrame({name: scores for name, (_, _, scores) in clean_runs.items()}).T.round(3)
pd.concat({"noise 0.3": results, "noise 0.1": clean}, axis=1)

# %%
cu.compare_histories({f"noise 0.3, {k}": h for k, (_, h, _) in circle_runs.items() if k != "no hidden layer"}
                     | {f"noise 0.1, {k}": h for k, (_, h, _) in clean_runs.items() if k != "no hidden layer"},
                     metric="val_accuracy", title="Validation accuracy on the circles")

# %%
assert clean["val_accuracy"]["1 hidden layer (10)"] > results["val_accuracy"]["1 hidden layer (10)"]

# %% [markdown]
# ## 7. What we saw
#
# Read these from the tables and plots above (the numbers change a little from machine to
# machine):
#
# - Data is stored in tensors; `ndim`, `shape` and `dtype` tell you what you hold. An image
#   is (height, width, channels), a grayscale digit (height, width), and a batch adds an axis
#   in front.
# - On the blobs, a network with one hidden layer classifies most test points correctly;
#   training and validation curves stay close.
# - On the circles, the model **without** a hidden layer stays near chance, because it can
#   only draw a straight line; one hidden layer is enough to bend the boundary.
# - Whether the deeper network helps depends on the data: compare its row with the
#   10-unit network's in both tables. Noise sets a ceiling no architecture can pass.
# - We compared models on the validation set and looked at the test set only to report.
#
# **Try it**: change `noise` to 0.2, or the hidden units to `(3,)`, and re-run section 6.
#
# *Reference*: F. Chollet, *Deep Learning with Python*, 2nd ed., Manning, 2021, chapter 2.
