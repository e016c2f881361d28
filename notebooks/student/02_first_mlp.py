# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-9aa91c91", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "4374949c8ed479c292f962c764cf0848", "cell_type": "markdown"}
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/dl-course-lab/deep-learning-course/blob/main/notebooks/student/02_first_mlp.ipynb)
#
# # 02 · A first multilayer perceptron with Keras
#
# **What you will learn**
# - how to load Fashion-MNIST, keep a validation set apart and scale the pixels to [0, 1];
# - how to build a model with the Keras **Sequential API**, two ways, and inspect it: summary, layers, weights and biases;
# - what `compile` needs (a loss, an optimizer, metrics), written as strings or as objects;
# - how to `fit` with validation data, read the `History`, `evaluate` on the test set and `predict`.
#
# **What you need**: notebook 01 (tensors, a first network, training/validation/test sets).
#
# **How long it takes**: about 3 minutes on 2 CPU cores (measured with `make bench` in full
# mode on the real Fashion-MNIST and MNIST: 3.1 minutes and 1.7 GB of memory at most); the main
# training, 30 epochs on 55,000 images, takes two thirds of it and replays from the cache the
# second time. On a Colab GPU it should take a few minutes too (not measured): such small models keep
# a GPU mostly idle.

# %% nbgrader={"grade": false, "grade_id": "given-7f9589ff", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "1dc73f08a7ba8536d590c7c2871d3639", "cell_type": "code"}
# Setup, the same in every notebook: on Colab, install the course helpers first.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "git+https://github.com/dl-course-lab/deep-learning-course"], check=True)

import course_utils as cu

cu.setup()

# %% nbgrader={"grade": false, "grade_id": "given-9702c782", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "b526c5da2679e9ef926240810b09bda7", "cell_type": "code"}
import importlib.util
import shutil

import keras
import numpy as np
import pandas as pd

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-9853ce42", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "b0a0af63ee39d711e782b8b31fc3c264", "cell_type": "markdown"}
# ## 1. The data: Fashion-MNIST
#
# Fashion-MNIST holds 70,000 grayscale images of 28x28 pixels, each showing one of 10 kinds
# of clothing (T-shirts, trousers, bags, ...): 60,000 for training and 10,000 for testing.
# It has the shapes of MNIST but is harder, which makes it a better first benchmark.
# The loader returns what `keras.datasets.fashion_mnist.load_data()` returns, and says
# whether it is the real data or the course's stand-in.

# %% nbgrader={"grade": false, "grade_id": "given-3d2d1809", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "b783e49cc9b8209383251b1fcea58a9d", "cell_type": "code"}
(X_train_full, y_train_full), (X_test, y_test) = cu.load_fashion_mnist()
print("images:", X_train_full.shape, X_train_full.dtype, "| labels:", y_train_full.shape, y_train_full.dtype)
print("pixel values from", X_train_full.min(), "to", X_train_full.max())
assert X_train_full.shape[1:] == (28, 28) and X_train_full.dtype == np.uint8

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-802679dc", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "fb3e3cf0e23496032610aef487c8e1ec", "cell_type": "markdown"}
# The test set stays untouched until the end. For choosing and watching models we split a
# **validation set** off the training set: the last 1/12 of it (5,000 of 60,000 images in
# full mode). Then we scale the pixels from bytes (0 to 255) to floats in [0, 1], which
# suits gradient descent better, and keep `float32`, the precision Keras computes in.

# %% nbgrader={"grade": false, "grade_id": "given-bacd1cae", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "ef3f2cb6dd3c8e3c082bad4cdd9a6a31", "cell_type": "code"}
n_valid = len(X_train_full) // 12
X_train, y_train = X_train_full[:-n_valid], y_train_full[:-n_valid]
X_valid, y_valid = X_train_full[-n_valid:], y_train_full[-n_valid:]
X_train, X_valid, X_test = (X.astype("float32") / 255.0 for X in (X_train, X_valid, X_test))
print(f"train {len(X_train)} | validation {len(X_valid)} | test {len(X_test)}")
assert 0.0 <= X_train.min() and X_train.max() <= 1.0

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-a760a75f", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "b8aa7af40d173f9816289a1e49b9ff30", "cell_type": "markdown"}
# The labels are class ids from 0 to 9; the class names are kept apart:

# %% nbgrader={"grade": false, "grade_id": "given-1960882e", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "07382288d22849b7e0cdffe7a8c111e6", "cell_type": "code"}
class_names = cu.class_names("fashion_mnist")
print("first labels:", y_train[:10])
print("first image is a", class_names[y_train[0]])

# %% nbgrader={"grade": false, "grade_id": "given-3af4cc37", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "9561c06bbd721f6d561ad57e29c5d1f3", "cell_type": "code"}
cu.plot_images(X_train[:40], y_train[:40], class_names=class_names)

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-d900dc05", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "8afe923d35986e5bff72b9f09d7ca446", "cell_type": "markdown"}
# ## 2. Building the model with the Sequential API
#
# A `keras.Sequential` model is a plain stack of layers, each with one input and one
# output. We build a classifier with two hidden layers:
#
# - `keras.Input(shape=(28, 28))` declares the shape of **one** sample (no batch axis), so
#   Keras can size the first weight matrix;
# - `Flatten` turns each 28x28 image into a vector of 784 numbers (`X.reshape(-1, 784)`);
#   it has no parameters;
# - two `Dense` hidden layers of 300 and 100 units with `relu`; each holds a weight matrix
#   (one weight per input and unit) and a bias vector (one per unit);
# - a `Dense` output layer with one unit per class and `softmax`, which turns the 10 outputs
#   into probabilities that sum to 1 (the classes exclude each other).
#
# First way: create an empty model and `add()` the layers one by one.

# %% nbgrader={"grade": false, "grade_id": "given-9930863d", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "d9c4835e37d4b2f3a06922bbf9d591c4", "cell_type": "code"}
keras.utils.set_random_seed(42)
model = keras.Sequential()
model.add(keras.Input(shape=(28, 28)))
model.add(keras.layers.Flatten())
model.add(keras.layers.Dense(300, activation="relu"))
model.add(keras.layers.Dense(100, activation="relu"))
model.add(keras.layers.Dense(10, activation="softmax"))

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-504881d6", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "15bedc83db1fb7e7625e6e3b30bdafef", "cell_type": "markdown"}
# Second way, more concise: pass the list of layers. `clear_session()` resets Keras's name
# counters, so that the layers get the same names (`dense`, `dense_1`, ...) as above.

# %% nbgrader={"grade": false, "grade_id": "given-0d2ce73b", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "531a70afc4433c5eacb584fffbcec015", "cell_type": "code"}
keras.utils.clear_session()
keras.utils.set_random_seed(42)
model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    keras.layers.Flatten(),
    keras.layers.Dense(300, activation="relu"),
    keras.layers.Dense(100, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-0e8fc01f", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "af6ae9411e7b42a1d132ae7946ae93fe", "cell_type": "markdown"}
# ## 3. Inspecting the model
#
# `summary()` lists the layers with their output shapes and parameter counts. `None` in a
# shape is the batch size, unknown until data arrives.

# %% nbgrader={"grade": false, "grade_id": "given-52c6d363", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "ac7352f0c8740b09246f8fa5818b759e", "cell_type": "code"}
model.summary()

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-8f0c0659", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "faae6e292d319b0b92a357cb4cbfc857", "cell_type": "markdown"}
# Check the counts by hand: a `Dense` layer has (inputs x units) weights + units biases.

# %% nbgrader={"grade": false, "grade_id": "given-38bd3308", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "97f3dc693c321cfafb9a57e1fa2adc8c", "cell_type": "code"}
expected = {"dense": 784 * 300 + 300, "dense_1": 300 * 100 + 100, "dense_2": 100 * 10 + 10}
for name, count in expected.items():
    print(f"{name}: {count:,} parameters")
assert model.count_params() == sum(expected.values()) == 266_610

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-b610a668", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "e00f216c40c8841223b9e3845e2290af", "cell_type": "markdown"}
# A diagram of the model needs two extra tools, `pydot` (Python) and Graphviz (a system
# program). Where they are missing, the next cell says what to install instead of failing.

# %% nbgrader={"grade": false, "grade_id": "given-2892f832", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "553c06857cbca3b83951298f1311df1c", "cell_type": "code"}
if importlib.util.find_spec("pydot") and shutil.which("dot"):
    diagram = cu.cache_dir("figures") / "02_fashion_mlp.png"
    from IPython.display import display
    display(keras.utils.plot_model(model, to_file=str(diagram), show_shapes=True))
else:
    print("No diagram: keras.utils.plot_model needs pydot and Graphviz. Install them with\n"
          "  pip install pydot   and   apt install graphviz (Linux) / brew install graphviz (macOS)\n"
          "then restart the kernel. The summary above holds the same information.")

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-d3c29032", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "05d5d21dd6c93e4eb0e76984ca67d7bf", "cell_type": "markdown"}
# The layers are in the `layers` list, and each can be fetched by name. The `Input` is a
# layer too (an `InputLayer`), but `Sequential.layers` leaves it out, as Keras 2 did, so the
# list starts with `Flatten`:

# %% nbgrader={"grade": false, "grade_id": "given-ae4208cd", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "7f1eac99101c25901c123b41aceac6ae", "cell_type": "code"}
for layer in model.layers:
    print(f"{layer.name:10s} {type(layer).__name__}")
hidden1 = model.layers[1]
assert model.get_layer(hidden1.name) is hidden1
print("first hidden layer:", hidden1.name)

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-b8f7dd89", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "5e24dbbae8acc06e9a8f4c0a68c6a083", "cell_type": "markdown"}
# A `Dense` layer's parameters are its weight matrix (inputs x units) and its bias vector.
# Keras starts the weights at small random values (so that units differ from each other)
# and the biases at zero.

# %% nbgrader={"grade": false, "grade_id": "given-393f1171", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "94d8645607d31755a47898ac9cea51d4", "cell_type": "code"}
weights, biases = hidden1.get_weights()
print("weights:", weights.shape, "| biases:", biases.shape)
print("a corner of the weights:\n", weights[:3, :5].round(3))
assert weights.shape == (784, 300) and biases.shape == (300,)
assert np.all(biases == 0) and weights.std() > 0

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-f7242d38", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "5fc7d0d1a5060a5bb2a7d9002b3a4e4d", "cell_type": "markdown"}
# ## 4. Compiling: loss, optimizer, metrics
#
# `compile` says how the model learns:
#
# - the **loss** `sparse_categorical_crossentropy`: the labels are class ids (0 to 9), one
#   per image, and the classes exclude each other (one-hot labels would use
#   `categorical_crossentropy`);
# - the **optimizer** `sgd`: plain stochastic gradient descent, learning rate 0.01 by default;
# - the **metric** `accuracy`, reported during training.
#
# Strings are short names for objects:

# %% nbgrader={"grade": false, "grade_id": "given-c14ff1b7", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "53f3eb3f28bd4ca321b062252a6e2883", "cell_type": "code"}
model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
with_strings = (type(model.optimizer).__name__, round(float(model.optimizer.learning_rate), 6))

model.compile(loss=keras.losses.SparseCategoricalCrossentropy(),
              optimizer=keras.optimizers.SGD(learning_rate=0.01),
              metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
with_objects = (type(model.optimizer).__name__, round(float(model.optimizer.learning_rate), 6))
print("strings:", with_strings, "| objects:", with_objects)
assert with_strings == with_objects

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-731b9313", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "52f61c30043f1f169ea94a640fa67248", "cell_type": "markdown"}
# The two compiles are the same model set-up. The object form is what you need once you
# change a setting, such as the learning rate.

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-82dd69c4", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "2ccc7a2e9e6de175f09f4bf6555d7fa2", "cell_type": "markdown"}
# ## 5. Training
#
# `fit` feeds the training set in **mini-batches** (32 images by default), updates the weights
# after each batch, and repeats for several **epochs** (full passes over the training set).
# With 55,000 images that is 1,719 updates per epoch. Larger batches use more memory and
# compute faster per image; smaller ones give noisier updates; 32 is a common default.
# After each epoch Keras also measures the loss and accuracy on `validation_data`.
#
# The two are not measured the same way. The training loss and accuracy of an epoch are the
# running means over its batches, while the weights were still changing; the validation
# scores are measured once, at the end of the epoch, with the final weights of that epoch.
# So in the first epoch, where the model improves most from batch to batch, the training
# accuracy can come out *below* the validation accuracy. A gap in favour of training alone
# is therefore no proof of overfitting: the model **overfits** when the validation loss
# stops improving and turns up while the training loss keeps going down.
#
# `cu.fit_cached` calls `model.fit` with these arguments once and keeps the result on disk,
# so a second run of this notebook replays it in a second. `cu.epochs(30)` is 30 epochs here,
# and 2 when the course's tests run the notebook in reduced mode.
#
# **This is the slow cell**: 30 epochs on 55,000 images take about 2 minutes on 2 CPU cores
# (measured: 126 s, about 4 s an epoch, one line per epoch); it replays from the cache the
# second time.

# %% nbgrader={"grade": false, "grade_id": "given-c1c5513b", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "5d70a741cea375e829476e1cb9d2a22f", "cell_type": "code"}
EPOCHS = cu.epochs(30)
history = cu.fit_cached("02_fashion_mlp", model, X_train, y_train, epochs=EPOCHS,
                        validation_data=(X_valid, y_valid))

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-71c3516a", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "6a1b4c5b614e713992b09346cc6d98b0", "cell_type": "markdown"}
# The returned history holds the training parameters (`params`), the list of epochs it went
# through (`epoch`), and, most useful, `history`: one list per metric, on the training and
# on the validation set, one value per epoch.

# %% nbgrader={"grade": false, "grade_id": "given-fca5cffd", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "5e3a6e556b9fd2f9bdf80dd7a816d0d1", "cell_type": "code"}
print("params:", history.params)
print("epochs:", history.epoch)
print("metrics:", list(history.history))
assert len(history.epoch) == EPOCHS

# %% nbgrader={"grade": false, "grade_id": "given-8e2ff3d2", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "1b51d4e5758659eeebb6d6f78f00a9dc", "cell_type": "code"}
pd.DataFrame(history.history, index=np.arange(1, EPOCHS + 1)).rename_axis("epoch").round(3).tail()

# %% nbgrader={"grade": false, "grade_id": "given-4591a749", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "15f1b5efbe93cfa94d86eb259811a1d8", "cell_type": "code"}
cu.plot_history(history, title="Fashion-MNIST MLP, SGD")

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-b767ebbe", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "b7241f3e67287618c3b83a2f7ec410f6", "cell_type": "markdown"}
# Read the two panels: the training loss goes down epoch after epoch. What to look for in a
# full run: the validation curves first follow the training curves, then flatten while the
# training curves keep improving. The same in numbers, at a few epochs: the gap at epoch 1
# is the running mean at work (see section 5), and the epoch of the lowest validation loss
# is where overfitting would begin; after it, the validation loss rises while the training
# loss still falls.

# %% nbgrader={"grade": false, "grade_id": "given-9832923d", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "770778d8d2f35afbc3477e80742fd3e5", "cell_type": "code"}
gap = pd.DataFrame({"training accuracy": history.history["accuracy"],
                    "validation accuracy": history.history["val_accuracy"],
                    "validation loss": history.history["val_loss"]}, index=np.arange(1, EPOCHS + 1))
gap["gap (training - validation)"] = gap["training accuracy"] - gap["validation accuracy"]
print(gap.loc[sorted({1, max(1, EPOCHS // 3), max(1, 2 * EPOCHS // 3), EPOCHS})].round(3))
print("lowest validation loss at epoch", gap["validation loss"].idxmin())

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-d8504efd", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "6e6b7957a6fe9758864a43739aab64a6", "cell_type": "markdown"}
# ## 6. Evaluating on the test set
#
# Once, at the end: the test set estimates how the model does on images it never saw and
# that played no part in our choices. Ten classes make 10% accuracy the level of chance.

# %% nbgrader={"grade": false, "grade_id": "given-bafadcc2", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "7c87e171d213ca77afdac7ffe9442db8", "cell_type": "code"}
test_loss, test_accuracy = model.evaluate(X_test, y_test, verbose=0)
print(f"test loss {test_loss:.3f} | test accuracy {test_accuracy:.3f}")
assert test_accuracy > 0.3, "a trained model should beat chance (10%) by far"

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-4369bb3a", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "8397d31265e998bf2190a49fd383ef32", "cell_type": "markdown"}
# ## 7. Predicting
#
# `predict` returns, for each image, the 10 class probabilities from the softmax.

# %% nbgrader={"grade": false, "grade_id": "given-145f1130", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "8a650a3a4f4601cc3ad64908cfdf94e2", "cell_type": "code"}
X_new = X_test[:10]
y_proba = model.predict(X_new, verbose=0)
print(y_proba[:3].round(2))
assert y_proba.shape == (10, 10) and np.allclose(y_proba.sum(axis=1), 1, atol=1e-5)

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-b4d1cb27", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "940035c8b933ebd0b7e3d8f9ff2b88f2", "cell_type": "markdown"}
# The predicted class is the most probable one, `argmax` along the class axis; the class
# names make it readable.

# %% nbgrader={"grade": false, "grade_id": "given-c52325d7", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "1660d58b667989997a5b143189aa3109", "cell_type": "code"}
y_pred = y_proba.argmax(axis=-1)
print("predicted:", y_pred, np.array(class_names)[y_pred[:3]])
print("true:     ", y_test[:10], np.array(class_names)[y_test[:3]])

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-d569dbd6", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "d08d58449013b51a44efef6bb1ff55eb", "cell_type": "markdown"}
# The same ten test images, titled with the prediction; a wrong one is red, as
# `predicted (true)`:

# %% nbgrader={"grade": false, "grade_id": "given-53545132", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "9cf8e12f584765da1cc1cb8c62c82a9f", "cell_type": "code"}
cu.plot_images(X_new, y_test[:10], predictions=y_pred, class_names=class_names)

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-2f8e14f0", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "05d2655a0a4381255eeed751b177371d", "cell_type": "markdown"}
# ## 8. Exercise: an MLP for MNIST (4 points)
#
# Build an MLP for the MNIST handwritten digits, in a variable named `mnist_model`:
#
# - flatten the images with a `Flatten` layer (after `keras.Input(shape=(28, 28))`);
# - add one or two `Dense` layers with `relu`;
# - finish with a `Dense` output layer of 10 units (one per digit) and `softmax`;
# - compile with the `adam` optimizer, the `sparse_categorical_crossentropy` loss and the
#   `accuracy` metric;
# - train with `validation_split=0.2` (Keras then keeps the **last** 20% of the training
#   data for validation), for `cu.epochs(10)` epochs;
# - if you try other numbers of units, layers or epochs, compare them by their **validation**
#   accuracy (`val_accuracy` in the history), never by the test set (notebook 03 explains why),
#   and keep the best in `mnist_model`;
# - evaluate that one model once on the test set and keep its test accuracy in a variable
#   named `digits_accuracy`.
#
# The check cell below reads `mnist_model` and `digits_accuracy`. Here is the data, scaled
# to [0, 1]. The solution trains 10 epochs on 48,000 images (the first 80% of the 60,000), in
# batches of 32: 46 s on 2 CPU cores (measured in full mode).

# %% nbgrader={"grade": false, "grade_id": "given-d3ddd2d6", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "40ba4cc8e05866763f874a5baf9d0a6c", "cell_type": "code"}
(x_train_digits, y_train_digits), (x_test_digits, y_test_digits) = cu.load_mnist()
x_train_digits = x_train_digits.astype("float32") / 255.0
x_test_digits = x_test_digits.astype("float32") / 255.0

# %% nbgrader={"grade": false, "grade_id": "mnist_mlp_solution", "locked": false, "schema_version": 3, "solution": true, "task": false, "checksum": "bdd49d72ff6af3da755bc94286f12c05", "cell_type": "code"}
# YOUR CODE HERE
raise NotImplementedError()

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-ea141b99", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "434d17a64d58f38f8df127f499929a8f", "cell_type": "markdown"}
# The checks: the model as the task asks (3 points), and `digits_accuracy` as its test
# accuracy (1 point).

# %% course={"uses": {"mnist_model": "keras"}} nbgrader={"grade": true, "grade_id": "mnist_mlp", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false, "checksum": "6c713a020fd140a71daa84e142787994", "cell_type": "code"}
assert mnist_model.output_shape == (None, 10), "the output layer has 10 units, one per digit"
assert mnist_model.evaluate(x_test_digits, y_test_digits, verbose=0)[1] > 0.5, \
    "a working MLP beats chance (10%) on the digits by far"

# %% course={"uses": {"digits_accuracy": "json", "mnist_model": "keras"}} nbgrader={"grade": true, "grade_id": "digits_accuracy", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false, "checksum": "fa3f680ea04fdfd02a39e209fe39ade7", "cell_type": "code"}
assert abs(digits_accuracy - mnist_model.evaluate(x_test_digits, y_test_digits, verbose=0)[1]) < 0.005, \
    "digits_accuracy is the test accuracy of the model kept in mnist_model"

# %% [markdown] nbgrader={"grade": false, "grade_id": "given-0a90fb95", "locked": true, "schema_version": 3, "solution": false, "task": false, "checksum": "b4b9a688673e488655c4020d404c1f8c", "cell_type": "markdown"}
# ## 9. What we saw
#
# - A Sequential model is a stack of layers; `keras.Input` gives the shape of one sample,
#   `summary()` and `get_weights()` show what each layer holds, and the parameter counts
#   follow from the layer sizes.
# - `compile` needs a loss, an optimizer and metrics; strings and objects set up the same
#   model, and objects let you change their settings.
# - `fit` returns a history, one value per metric and epoch, which the curves in section 5
#   show; the model overfits once its validation loss turns up while its training loss keeps
#   falling (a training score above the validation one is not enough: the training scores
#   are running means over each epoch).
# - The test accuracy in section 6 is far above the 10% of chance; `predict` gives class
#   probabilities and `argmax` the predicted class.
#
# *Reference*: A. Géron, *Hands-On Machine Learning with Scikit-Learn, Keras and
# TensorFlow*, 3rd ed., O'Reilly, 2022, chapter 10.
