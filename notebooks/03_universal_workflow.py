# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/dl-course-lab/deep-learning-course/blob/main/notebooks/03_universal_workflow.ipynb)
#
# # 03 · The universal workflow of machine learning
#
# **What you will learn**
# - the eight steps of the workflow: define the problem, choose metrics, choose an evaluation
#   protocol, prepare the data, beat a baseline, scale up until the model overfits,
#   regularise, tune the hyperparameters;
# - text as features: bag-of-words and TF-IDF, kept as a sparse matrix;
# - accuracy, F1, the confusion matrix and the classification report; what class weights do,
#   and how moving the decision threshold trades precision for recall;
# - dropout, L2 and a Hyperband search with keras-tuner; early stopping with
#   `restore_best_weights`;
# - the end of the workflow: retrain the chosen model on all the training data, and look at
#   the test set once.
#
# **What you need**: notebook 02 (Sequential models, `compile`, `fit`, `evaluate`, `predict`).
#
# **How long it takes**: about 5 minutes on 2 CPU cores the first time (measured with
# `make bench`: 4.7 minutes and 2.5 GB of memory at most, in full mode on the real
# Fashion-MNIST and the stand-in IMDB, which has the real one's size; the timing notes below
# come from the same run); every training and both searches replay from the course
# cache the second time. A Colab GPU should not be much faster (not measured): these models
# are small.

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
import json
import logging
import warnings

import keras
import keras_tuner as kt
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from keras import layers, regularizers
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from scipy import sparse
from sklearn.metrics import (classification_report, f1_score, precision_recall_curve, precision_score,
                             recall_score)
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_class_weight

# extra code: keep TensorFlow's retracing notes and keras-tuner's optimizer-reload notes out of the output
logging.getLogger("tensorflow").setLevel(logging.ERROR)
warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")

SEED = 42         # the seed of every model's starting weights and of both searches: change it to try another

# %% [markdown]
# ## 1. The workflow
#
# 1. **Define the problem** and gather the data: what is the input, what do we predict?
# 2. **Choose the metrics** of success: accuracy, and F1 when one class matters more or is rare.
# 3. **Choose an evaluation protocol**: here a held-out validation set to choose with, and a
#    test set used once, when the model is final.
# 4. **Prepare the data**: turn it into float tensors of a fixed shape.
# 5. **Beat a baseline**: a simple model that must do better than chance.
# 6. **Scale up** until the model overfits: then we know it has enough capacity.
# 7. **Regularise** (dropout, L2) to trade some of that capacity for generalisation.
# 8. **Tune the hyperparameters** (here with Hyperband); then retrain the chosen model on the
#    training and validation data together, and check it once on the test set.
#
# We go through the steps twice: on IMDB movie reviews (two classes) and on Fashion-MNIST
# (ten classes). Every model's **validation** scores go into one table; the test set is
# scored only for the one model chosen per dataset, at the end of each part.

# %%
results = []      # one row per model: its validation scores, filled by `record` below
builders = {}     # (dataset, model) -> a function that builds that model afresh, for the final step


def predicted_labels(model, X, threshold=0.5):
    """Class ids predicted by a model: above `threshold` for one sigmoid unit, argmax for a softmax."""
    proba = model.predict(X, verbose=0, batch_size=1024)
    return (proba[:, 0] > threshold).astype(int) if proba.shape[1] == 1 else proba.argmax(axis=1)


def record(dataset, name, history, X_val, y_val, build, average="binary"):
    """Score a trained model on the validation set only, add a row to `results`, return the row.

    The model scored is the one of `best_epoch`, the epoch of the lowest validation loss (the
    checkpoint `save_best=True` kept): the same epoch the final retraining stops at, so that
    one criterion chooses both the model and its length of training. `build()` makes a fresh,
    untrained copy. A lowest validation loss at the last epoch means the loss was still
    falling: the row says "no" under `minimum_reached`, and the model should train longer.
    """
    best_model = keras.models.load_model(history.best_model_path)
    val_pred = predicted_labels(best_model, X_val)
    row = {"dataset": dataset, "model": name,
           "val_accuracy": float(np.mean(val_pred == y_val)),
           "val_F1": float(f1_score(y_val, val_pred, average=average)),
           "best_epoch": int(np.argmin(history.history["val_loss"])) + 1,
           "epochs_trained": len(history.epoch)}
    row["minimum_reached"] = "yes" if row["best_epoch"] < row["epochs_trained"] else "no"
    if row["minimum_reached"] == "no":
        print(f"{dataset}, {name}: the lowest validation loss is at the last epoch ({row['best_epoch']}): "
              "the minimum was not reached; train longer before trusting this row")
    results.append(row)
    builders[dataset, name] = build
    return row


def final_model(dataset, X_train, y_train, X_val, y_val, batch_size):
    """Step 8's end: the model with the best validation accuracy (at its best epoch), retrained from
    scratch on the training and validation data together for its `best_epoch` epochs.
    Returns (name, epochs, model)."""
    part = pd.DataFrame(results).query("dataset == @dataset").set_index("model")
    chosen = part["val_accuracy"].idxmax()
    n_epochs = int(part.loc[chosen, "best_epoch"])
    stack = sparse.vstack if sparse.issparse(X_train) else np.concatenate
    X_full, y_full = stack([X_train, X_val]), np.concatenate([y_train, y_val])
    if sparse.issparse(X_full):
        X_full = X_full.tocsr()
        X_full.sort_indices()
    keras.utils.set_random_seed(SEED)
    model = builders[dataset, chosen]()
    cu.fit_cached(f"03_{dataset}_final", model, X_full, y_full, epochs=n_epochs, batch_size=batch_size)
    return chosen, n_epochs, model


# %% [markdown]
# # Part A: IMDB reviews, positive or negative
#
# ## A1. Define the problem and gather the data
#
# 50,000 movie reviews from IMDB, half for training and half for testing, labelled
# positive (1) or negative (0). Keras ships them integer-encoded: each word is replaced by
# its frequency rank, and we keep the 10,000 most frequent words.

# %%
NUM_WORDS = 10_000
(seq_train, y_train_all), (seq_test, y_test_imdb) = cu.load_imdb(num_words=NUM_WORDS)
print(f"train {len(seq_train)} reviews | test {len(seq_test)} reviews")
print("first review as integers:", seq_train[0][:12], "...")

# %% [markdown]
# ## A2. Choose the metrics
#
# Chance, or rather the **majority-class** guess, sets the bar a baseline must pass. The
# classes are balanced here, so accuracy is a fair metric; we add **F1** (the harmonic mean
# of precision and recall of the positive class), which stays informative when one class is
# rare, and look at the confusion matrix.

# %%
labels, counts = np.unique(y_train_all, return_counts=True)
print("label counts:", dict(zip(labels.tolist(), counts.tolist())))
majority_accuracy = counts.max() / counts.sum()
print(f"majority-class accuracy: {majority_accuracy:.3f}")

# %% [markdown]
# ## A3. Choose an evaluation protocol
#
# We hold out 20% of the training reviews as a validation set, stratified so both halves
# keep the class balance. We compare and choose models on it; the test set stays untouched
# until the chosen model is final (A9).

# %%
idx_train, idx_val = train_test_split(np.arange(len(y_train_all)), test_size=0.2,
                                      random_state=42, stratify=y_train_all)
print(f"train {len(idx_train)} | validation {len(idx_val)} | test {len(y_test_imdb)}")

# %% [markdown]
# ## A4. Prepare the data: from integers to TF-IDF
#
# First back to text: the word index maps words to ranks; the ids are offset by 3 because
# 0, 1 and 2 mean padding, start and unknown word (shown as `?`).

# %%
word_index = cu.imdb_word_index()
print(cu.decode_review(seq_train[0], word_index)[:300])

# %%
reverse_index = {rank + 3: word for word, rank in word_index.items()}   # built once, used 50,000 times
texts_train = [" ".join(reverse_index.get(i, "?") for i in seq) for seq in seq_train]
texts_test = [" ".join(reverse_index.get(i, "?") for i in seq) for seq in seq_test]
print(texts_train[0][:120])

# %% [markdown]
# A **bag of words** forgets the order of the words and keeps, per review, one number per
# word of the vocabulary: its count (`CountVectorizer`), or 0/1 for absent/present
# (`binary=True`, "multi-hot"). **TF-IDF** weighs each count by how rare the word is across
# reviews, so words found in nearly every review ("the", "a") count for little. On three
# tiny documents:

# %%
toy = ["a good film", "a bad film", "a good good story"]
bow = CountVectorizer(token_pattern=r"\b\w+\b").fit(toy)
tfidf_toy = TfidfVectorizer(token_pattern=r"\b\w+\b").fit(toy)
toy_weights = tfidf_toy.transform(toy).toarray()
a_column = list(tfidf_toy.get_feature_names_out()).index("a")
assert all(row[a_column] == row[row > 0].min() for row in toy_weights), "'a' has the smallest weight in each row"
pd.concat({"counts": pd.DataFrame(bow.transform(toy).toarray(), columns=bow.get_feature_names_out()),
           "TF-IDF": pd.DataFrame(toy_weights, columns=tfidf_toy.get_feature_names_out())},
          axis=1).round(2)

# %% [markdown]
# "a" appears in every document, so its TF-IDF weight is the smallest in each row (the cell
# checks it).
#
# On the reviews, TF-IDF gives a 25,000 x 10,000 matrix that is almost all zeros. We keep it
# **sparse and float32**. As dense float64 arrays, the way they are often converted, the
# training and test matrices would take 2 x 25,000 x 10,000 x 8 bytes = 4 GB, a third of a
# free Colab's memory, before any copy that converting or training makes.

# %%
vectorizer = TfidfVectorizer(max_features=NUM_WORDS, dtype=np.float32)
vectorizer.fit([texts_train[i] for i in idx_train])   # vocabulary and weights from the training part only
X_all = vectorizer.transform(texts_train)
X_test_imdb = vectorizer.transform(texts_test)
for X in (X_all, X_test_imdb):
    X.sort_indices()          # Keras wants the entries of a sparse matrix in order
X_train_imdb, X_val_imdb = X_all[idx_train], X_all[idx_val]
y_train_imdb, y_val_imdb = y_train_all[idx_train], y_train_all[idx_val]
n_features = X_train_imdb.shape[1]
print("TF-IDF:", X_train_imdb.shape, X_train_imdb.dtype, f"| {X_train_imdb.nnz / np.prod(X_train_imdb.shape):.1%} non-zero")
print(f"sparse size {(X_all.data.nbytes + X_all.indices.nbytes + X_all.indptr.nbytes) / 1e6:.0f} MB "
      f"| as dense float64 it would be {np.prod(X_all.shape) * 8 / 1e6:.0f} MB")
assert X_train_imdb.dtype == np.float32 and X_train_imdb.shape[0] == len(y_train_imdb)
del texts_train, texts_test, seq_train, seq_test, X_all   # free memory: only the matrices are needed now

# %% [markdown]
# Keras 3 (TensorFlow backend) trains on a SciPy sparse matrix directly when the input is
# declared sparse: `keras.Input(shape=(n_features,), sparse=True)`. The first `Dense` layer
# then multiplies sparse by dense and never builds the dense matrix.

# %% [markdown]
# ## A5. A baseline: logistic regression
#
# The simplest model: one `Dense` unit with a sigmoid on the TF-IDF features, which is
# logistic regression. All IMDB models use the same batch size, 128, and Adam, and train for
# the same number of epochs, `IMDB_EPOCHS`, so that they are compared at equal budgets.

# %%
BATCH = 128
IMDB_EPOCHS = 8


def imdb_model(hidden=(), dropout=0.0, l2=0.0, learning_rate=1e-3):
    """A binary classifier on sparse TF-IDF input with the given hidden layers."""
    model = keras.Sequential([keras.Input(shape=(n_features,), sparse=True)])
    for units in hidden:
        model.add(layers.Dense(units, activation="relu",
                               kernel_regularizer=regularizers.l2(l2) if l2 else None))
        if dropout:
            model.add(layers.Dropout(dropout))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


# %% [markdown]
# Training runs through `cu.fit_cached`, which trains once and replays afterwards; with
# `save_best=True` it also keeps the model of the epoch with the lowest validation loss,
# which `record` scores. Logistic regression on TF-IDF learns slowly at Adam's default rate
# of 0.001, so it gets a larger one, 0.03, with which its validation loss reaches its
# minimum within the run (the row's `minimum_reached` says so; try 0.001 to see the
# difference). 8 epochs on 20,000 reviews: about 10 seconds on 2 CPU cores.

# %%
BASELINE_RATE = 0.03
keras.utils.set_random_seed(SEED)
imdb_baseline = imdb_model(learning_rate=BASELINE_RATE)
h_imdb_base = cu.fit_cached("03_imdb_baseline", imdb_baseline, X_train_imdb, y_train_imdb,
                            epochs=cu.epochs(IMDB_EPOCHS), batch_size=BATCH, save_best=True,
                            validation_data=(X_val_imdb, y_val_imdb))
cu.plot_history(h_imdb_base, title="IMDB baseline (logistic regression on TF-IDF)")

# %%
row = record("IMDB", "baseline", h_imdb_base, X_val_imdb, y_val_imdb,
             build=lambda: imdb_model(learning_rate=BASELINE_RATE))
print(row)
assert row["val_accuracy"] > majority_accuracy + 0.05, "the baseline must beat the majority guess"

# %% [markdown]
# Beyond accuracy: the confusion matrix counts each kind of error, and the classification
# report gives precision, recall and F1 per class (on the validation set: the test set
# waits), for the baseline of its best epoch, the model `record` scored.

# %%
val_pred_base = predicted_labels(keras.models.load_model(h_imdb_base.best_model_path), X_val_imdb)
imdb_classes = cu.class_names("imdb")
cu.plot_confusion_matrix(y_val_imdb, val_pred_base, imdb_classes, title="IMDB baseline, validation set")
print(classification_report(y_val_imdb, val_pred_base, target_names=imdb_classes, digits=3))

# %% [markdown]
# ### Class weights: when they matter
#
# Class weights multiply each sample's loss by a weight per class, so that errors on a rare
# class cost more. "Balanced" weights are total / (2 x class count):

# %%
weights = compute_class_weight("balanced", classes=np.array([0, 1]), y=y_train_imdb)
print("IMDB class weights:", {c: round(float(w), 3) for c, w in enumerate(weights)})

# %% [markdown]
# Both weights are close to 1 because IMDB is balanced: here they would change almost
# nothing. To see what they do, we build an **imbalanced** version: all the negative reviews
# and only one positive for every nine negatives, in the training and the validation parts.
# We train the baseline on it twice, without and with class weights (10 epochs each with a
# learning rate of 0.01, about 12 seconds for both).

# %%
def imbalance(X, y, ratio=9, seed=0):
    """Keep every negative and one positive for every `ratio` negatives."""
    rng = np.random.default_rng(seed)
    neg, pos = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    keep = np.sort(np.concatenate([neg, rng.choice(pos, size=len(neg) // ratio, replace=False)]))
    return X[keep], y[keep]


X_tr_imb, y_tr_imb = imbalance(X_train_imdb, y_train_imdb)
X_val_imb, y_val_imb = imbalance(X_val_imdb, y_val_imdb)
imb_weights = {c: round(float(w), 3) for c, w in
               enumerate(compute_class_weight("balanced", classes=np.array([0, 1]), y=y_tr_imb))}
print(f"positives: {y_tr_imb.mean():.1%} of {len(y_tr_imb)} | class weights {imb_weights}")

# %%
imbalanced_runs, imbalanced_proba = {}, {}
for label, cw in [("no class weights", None), ("class weights", imb_weights)]:
    keras.utils.set_random_seed(SEED)
    model = imdb_model(learning_rate=0.01)
    cu.fit_cached(f"03_imdb_imbalanced_{'cw' if cw else 'plain'}", model, X_tr_imb, y_tr_imb,
                  epochs=cu.epochs(10, reduced=5), batch_size=BATCH, class_weight=cw, verbose=0)
    pred = predicted_labels(model, X_val_imb)
    proba = imbalanced_proba[label] = model.predict(X_val_imb, verbose=0, batch_size=1024)[:, 0]
    imbalanced_runs[label] = {"accuracy": np.mean(pred == y_val_imb),
                              "mean P(positive) on positive reviews": proba[y_val_imb == 1].mean(),
                              "precision (positive)": precision_score(y_val_imb, pred, zero_division=0),
                              "recall (positive)": recall_score(y_val_imb, pred),
                              "F1 (positive)": f1_score(y_val_imb, pred)}
imbalanced = pd.DataFrame(imbalanced_runs).T.round(3)
imbalanced

# %% [markdown]
# Predicting "negative" for everything already scores 90% accuracy here, so accuracy says
# little. Read the second column: with class weights the model gives the rare positive
# reviews a higher probability. What to look for in a full run: that shift carries them over
# the 0.5 threshold, so recall and F1 of the positive class rise, usually at the cost of some
# precision and accuracy. (After a few epochs on a small subset, both models may still call
# every review negative: then recall and F1 are 0 in both rows.)

# %%
col = "mean P(positive) on positive reviews"
assert imbalanced.loc["class weights", col] > imbalanced.loc["no class weights", col]
assert imbalanced.loc["class weights", "recall (positive)"] >= imbalanced.loc["no class weights", "recall (positive)"]

# %% [markdown]
# ### Thresholds: the other way to trade precision for recall
#
# A sigmoid model outputs a probability, and `predicted_labels` calls a review positive when
# it is above a **threshold**, 0.5 by default. Lowering the threshold calls more reviews
# positive: recall rises, precision usually falls. Class weights reach a similar trade-off
# by retraining: they push the probabilities of the rare class up, which is much like
# keeping the model and lowering its threshold. Below, the model trained *without* class
# weights at a few thresholds, and the class-weighted one at 0.5, on the imbalanced
# validation set:

# %%
rows = {}
for name, threshold in [("no class weights", t) for t in (0.5, 0.3, 0.2, 0.1)] + [("class weights", 0.5)]:
    pred = (imbalanced_proba[name] > threshold).astype(int)
    rows[f"{name}, threshold {threshold}"] = {
        "precision": precision_score(y_val_imb, pred, zero_division=0),
        "recall": recall_score(y_val_imb, pred), "F1": f1_score(y_val_imb, pred)}
thresholds = pd.DataFrame(rows).T.round(3)
recalls = thresholds["recall"].iloc[:4].to_numpy()
assert np.all(np.diff(recalls) >= 0), "a lower threshold can only call more reviews positive"
thresholds

# %% [markdown]
# The whole trade-off at once: `sklearn.metrics.precision_recall_curve` gives precision and
# recall at every threshold. The dot is the class-weighted model at 0.5.

# %%
fig, ax = plt.subplots(figsize=(5, 4))
for name, proba in imbalanced_proba.items():
    precision, recall, _ = precision_recall_curve(y_val_imb, proba)
    ax.plot(recall, precision, label=name)
cw_row = thresholds.loc["class weights, threshold 0.5"]
ax.plot(cw_row["recall"], cw_row["precision"], "o", color="black", label="class weights, threshold 0.5")
ax.set(xlabel="recall (positive)", ylabel="precision (positive)", title="Imbalanced IMDB, validation set")
ax.legend()
plt.show()

precision, recall, cut = precision_recall_curve(y_val_imb, imbalanced_proba["no class weights"])
reach = np.flatnonzero(recall[:-1] >= cw_row["recall"])[-1]     # the highest threshold with that recall
print(f"without class weights, threshold {cut[reach]:.3f} reaches the class-weighted model's recall "
      f"({cw_row['recall']:.3f}) with precision {precision[reach]:.3f} "
      f"(class-weighted model at 0.5: precision {cw_row['precision']:.3f})")

# %% [markdown]
# What to check in the printout: how close the two precisions are at the same recall. When
# they are close, class weights bought nothing that a lower threshold would not have given.
# Either way the threshold is a setting like any other: choose it on the validation set,
# for the precision and recall the task needs, never on the test set.

# %% [markdown]
# ## A6. Scale up until the model overfits
#
# Two hidden layers of 128 and 64 units: far more capacity than the baseline. We train long
# enough for the validation loss to turn up: 8 epochs, about 25 seconds on 2 CPU cores.

# %%
keras.utils.set_random_seed(SEED)
imdb_big = imdb_model(hidden=(128, 64))
h_imdb_big = cu.fit_cached("03_imdb_big", imdb_big, X_train_imdb, y_train_imdb,
                           epochs=cu.epochs(IMDB_EPOCHS), batch_size=BATCH, save_best=True,
                           validation_data=(X_val_imdb, y_val_imdb))
cu.plot_history(h_imdb_big, title="IMDB, 128-64 hidden units")
record("IMDB", "bigger (128-64)", h_imdb_big, X_val_imdb, y_val_imdb,
       build=lambda: imdb_model(hidden=(128, 64)))

# %% [markdown]
# What to look for: the training loss keeps falling towards 0 while the validation loss
# reaches its minimum within the first epochs and then rises. The epoch of the lowest
# validation loss is how long this model should train: `record` keeps it for every model
# (`best_epoch` in the table), and A9 retrains the chosen model for that many epochs.

# %%
best_epoch = int(np.argmin(h_imdb_big.history["val_loss"])) + 1
print(f"lowest validation loss at epoch {best_epoch} of {len(h_imdb_big.epoch)}; "
      f"final training loss {h_imdb_big.history['loss'][-1]:.3f}, validation loss {h_imdb_big.history['val_loss'][-1]:.3f}")

# %% [markdown]
# ## A7. Regularise: dropout and L2
#
# The same architecture, with an **L2** penalty on the weights (the loss grows with their
# squares, which keeps them small) and **dropout** (each training step zeroes half of the
# hidden outputs at random, so no unit can rely on a few others). 8 epochs, about 30 seconds.

# %%
keras.utils.set_random_seed(SEED)
imdb_reg = imdb_model(hidden=(128, 64), dropout=0.5, l2=1e-3)
h_imdb_reg = cu.fit_cached("03_imdb_regularised", imdb_reg, X_train_imdb, y_train_imdb,
                           epochs=cu.epochs(IMDB_EPOCHS), batch_size=BATCH, save_best=True,
                           validation_data=(X_val_imdb, y_val_imdb))
record("IMDB", "dropout + L2", h_imdb_reg, X_val_imdb, y_val_imdb,
       build=lambda: imdb_model(hidden=(128, 64), dropout=0.5, l2=1e-3))
cu.compare_histories({"baseline": h_imdb_base, "bigger": h_imdb_big, "dropout + L2": h_imdb_reg},
                     metric="val_loss", title="IMDB: validation loss")

# %% [markdown]
# Compare the curves: the regularised model's validation loss includes the L2 penalty, so
# compare its shape rather than its level: how much each loss rises after its lowest epoch,
# and the validation accuracy, which holds no penalty.

# %%
for name, h in {"bigger": h_imdb_big, "dropout + L2": h_imdb_reg}.items():
    val_loss = h.history["val_loss"]
    print(f"{name}: validation loss rises by {val_loss[-1] - min(val_loss):.3f} after its lowest epoch "
          f"({int(np.argmin(val_loss)) + 1}); last validation accuracy {h.history['val_accuracy'][-1]:.3f}")

# %% [markdown]
# What to check in the printout: the regularised model's loss rises less after its best
# epoch, and it ends with the higher validation accuracy. On the stand-in reviews (what runs
# where the real IMDB files are missing) both losses turn up within the first epochs: with
# 10,000 features, even the regularised network soon memorises the training reviews.

# %% [markdown]
# ## A8. Tune the hyperparameters with Hyperband
#
# Hyperband tries many settings for a few epochs, keeps the best third (`factor=3`), trains
# those longer, and so on, up to `max_epochs` per trial. We search the number of hidden
# layers (1 or 2), their units, dropout, L2 and the learning rate, scored by validation
# accuracy. To keep the notebook short the search is small: at most 3 epochs per trial, so a
# handful of trials (the cell prints how many), trained on a third of the training reviews
# and scored on the whole validation set. A real search would get more of both.
#
# The trials are kept in the course cache folder (separate for full and reduced mode), in a
# folder named by the search space, the data and the settings (`cu.tuner_folder`). With
# `overwrite=False`, a rerun reloads the finished trials; a changed search gets a new folder.

# %%
def build_imdb_tuned(hp):
    """The search space: 1-2 hidden layers, their units, dropout, L2 and the learning rate."""
    n_layers = hp.Int("layers", 1, 2)
    return imdb_model(hidden=[hp.Choice(f"units_{i}", [32, 64, 128]) for i in range(n_layers)],
                      dropout=hp.Float("dropout", 0.0, 0.5, step=0.25),
                      l2=hp.Float("l2", 1e-5, 1e-2, sampling="log"),
                      learning_rate=hp.Float("learning_rate", 1e-4, 1e-2, sampling="log"))


HB_EPOCHS = cu.epochs(3)   # the most epochs one trial trains: 3 (2 in reduced mode)
SEARCH_SHARE = 3           # each search trains on the first third of the training set, to stay short


def run_search(build, project, X, y, X_val, y_val, batch_size):
    """Hyperband over `build`, trained on the first 1/SEARCH_SHARE of (X, y), scored on (X_val, y_val).

    The trials live in the course cache, in the folder `cu.tuner_folder` names; the search
    says whether it reloads the trials of an earlier run. Returns (tuner, best hyperparameters).
    """
    n = len(y) // SEARCH_SHARE
    data = (X[:n], y[:n], X_val, y_val)
    settings = dict(objective="val_accuracy", max_epochs=HB_EPOCHS, factor=3, seed=SEED)
    folder = cu.tuner_folder(project, build, data, batch_size=batch_size, **settings)
    found = (folder / "oracle.json").exists()
    print(f"{project}: " + ("reloading the trials of an earlier run from" if found
                             else "no earlier trials, searching; trials go to") + f" {folder}")
    tuner = kt.Hyperband(build, **settings, directory=str(folder.parent), project_name=folder.name,
                         overwrite=False)
    tuner.search(data[0], data[1], validation_data=(X_val, y_val), batch_size=batch_size, verbose=0)
    best = tuner.get_best_hyperparameters(1)[0]
    trials = tuner.oracle.trials.values()
    settings_tried = {json.dumps({k: v for k, v in t.hyperparameters.values.items() if not k.startswith("tuner/")},
                                 sort_keys=True) for t in trials}     # Hyperband's own bookkeeping left out
    active = {k: v for k, v in best.values.items() if not k.startswith("tuner/") and
              not (k.startswith("units_") and int(k.split("_")[1]) >= best.values["layers"])}
    print(f"{len(trials)} trials of {len(settings_tried)} settings on {n} training samples | best: {active}")
    return tuner, best


# %% [markdown]
# **Slow cell**: about 20 seconds on 2 CPU cores the first time; a few seconds when the trials
# are reloaded.

# %%
tuner_imdb, best_hp_imdb = run_search(build_imdb_tuned, "imdb_hyperband", X_train_imdb, y_train_imdb,
                                      X_val_imdb, y_val_imdb, BATCH)

# %% [markdown]
# Hyperband counts a setting again each time it trains it further, so the printout gives
# both numbers: trials, and the settings among them. The best setting printed holds only the
# hyperparameters it uses (`units_1` only with two layers).
#
# We rebuild the best setting and train it from scratch on the whole training set, for as
# many epochs as the other IMDB models (about 20 seconds for a small network like the ones
# found here; more for a wider one), then compare it with them on the validation set. A
# setting with a small learning rate may not reach its lowest validation loss in those
# epochs: the row then says so, and its score is a little lower than the setting could do.

# %%
keras.utils.set_random_seed(SEED)
imdb_tuned = tuner_imdb.hypermodel.build(best_hp_imdb)
h_imdb_tuned = cu.fit_cached("03_imdb_tuned", imdb_tuned, X_train_imdb, y_train_imdb,
                             epochs=cu.epochs(IMDB_EPOCHS), batch_size=BATCH, save_best=True,
                             validation_data=(X_val_imdb, y_val_imdb))
row = record("IMDB", "Hyperband best", h_imdb_tuned, X_val_imdb, y_val_imdb,
             build=lambda: tuner_imdb.hypermodel.build(best_hp_imdb))
print(row)

# %%
imdb_val = pd.DataFrame(results).query("dataset == 'IMDB'").set_index("model")["val_accuracy"]
assert imdb_val["Hyperband best"] > majority_accuracy + 0.05, "the tuned model must beat the majority guess"
imdb_val.round(3)

# %% [markdown]
# The cell checks only that the tuned model beats the majority guess. Whether it beats the
# baseline depends on the run: on this task logistic regression on TF-IDF is already a
# strong model, and a search of a handful of short trials on a third of the reviews can miss
# the settings that would beat it. Compare the rows before trusting the search.
#
# ## A9. The final model, and one look at the test set
#
# The choice is made: the model with the best validation accuracy at its best epoch. Its validation set has
# done its job, so we retrain that model from scratch on the training **and** validation
# reviews, for its `best_epoch` epochs (no validation set is left to stop it), and score it
# on the test set: the first and only time the test set is used. The retraining takes about
# 12 seconds when the baseline is chosen, longer for a wider network.

# %%
imdb_choice, imdb_epochs, imdb_final = final_model("IMDB", X_train_imdb, y_train_imdb, X_val_imdb, y_val_imdb, BATCH)
test_pred_imdb = predicted_labels(imdb_final, X_test_imdb)
imdb_test = {"accuracy": float(np.mean(test_pred_imdb == y_test_imdb)), "F1": float(f1_score(y_test_imdb, test_pred_imdb))}
print(f"chosen on validation: {imdb_choice!r}, retrained for {imdb_epochs} epochs on "
      f"{X_train_imdb.shape[0] + X_val_imdb.shape[0]} reviews | test accuracy {imdb_test['accuracy']:.3f}, "
      f"test F1 {imdb_test['F1']:.3f}")
print(classification_report(y_test_imdb, test_pred_imdb, target_names=imdb_classes, digits=3))

# %% [markdown]
# # Part B: Fashion-MNIST, ten classes
#
# The same steps, shorter. **Problem**: which of 10 kinds of clothing an image shows.
# **Metrics**: accuracy, and the **macro F1** (the F1 of each class, averaged with equal
# weight), which a model cannot raise by neglecting one class. **Protocol**: a stratified 20%
# validation set. **Preparation**: scale to [0, 1] and flatten each image to 784 numbers.

# %%
(x_fm_all, y_fm_all), (x_fm_test, y_test_fm) = cu.load_fashion_mnist()
X_fm_all = x_fm_all.reshape(len(x_fm_all), -1).astype("float32") / 255.0
X_test_fm = x_fm_test.reshape(len(x_fm_test), -1).astype("float32") / 255.0
X_train_fm, X_val_fm, y_train_fm, y_val_fm = train_test_split(X_fm_all, y_fm_all, test_size=0.2,
                                                              random_state=42, stratify=y_fm_all)
fashion_classes = cu.class_names("fashion_mnist")
print(f"train {X_train_fm.shape} | validation {X_val_fm.shape} | test {X_test_fm.shape}")
assert X_train_fm.shape[1] == 28 * 28 and X_train_fm.dtype == np.float32
del x_fm_all, X_fm_all, x_fm_test      # free memory: the split copies are all we need


# %%
def fashion_model(hidden=(), dropout=0.0, l2=0.0, learning_rate=1e-3):
    """A 10-class classifier on 784 pixels with the given hidden layers."""
    model = keras.Sequential([keras.Input(shape=(784,))])
    for units in hidden:
        model.add(layers.Dense(units, activation="relu",
                               kernel_regularizer=regularizers.l2(l2) if l2 else None))
        if dropout:
            model.add(layers.Dropout(dropout))
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


FM_EPOCHS = 15      # every Fashion-MNIST model trains as long, so that the rows compare


def fit_fashion(name, model, **fit_kwargs):
    """Train (or replay) a Fashion-MNIST model with the settings every model here shares."""
    return cu.fit_cached(name, model, X_train_fm, y_train_fm, epochs=cu.epochs(FM_EPOCHS), batch_size=256,
                         validation_data=(X_val_fm, y_val_fm), save_best=True, **fit_kwargs)


# %% [markdown]
# **Baseline**: softmax regression, one `Dense` layer of 10 units (15 epochs, about 15 s).
# Chance is 10%.

# %%
keras.utils.set_random_seed(SEED)
fm_baseline = fashion_model()
h_fm_base = fit_fashion("03_fashion_baseline", fm_baseline)
row = record("Fashion-MNIST", "baseline", h_fm_base, X_val_fm, y_val_fm,
             build=fashion_model, average="macro")
print(row)
assert row["val_accuracy"] > 0.3, "the baseline must beat chance (10%) by far"

# %% [markdown]
# If the printout above says that the baseline's minimum was not reached: softmax
# regression's validation loss keeps falling a little for many epochs, so its row slightly
# underestimates it; the networks below are far ahead of it either way.
#
# **Scale up**: 256 and 128 hidden units, trained for 15 epochs (about 25 s), long
# enough for the validation loss to level off and the training accuracy to pull
# away from the validation accuracy.

# %%
keras.utils.set_random_seed(SEED)
fm_big = fashion_model(hidden=(256, 128))
h_fm_big = fit_fashion("03_fashion_big", fm_big)
record("Fashion-MNIST", "bigger (256-128)", h_fm_big, X_val_fm, y_val_fm,
       build=lambda: fashion_model(hidden=(256, 128)), average="macro")
cu.plot_history(h_fm_big, title="Fashion-MNIST, 256-128 hidden units")

# %% [markdown]
# **Regularise**: first Part A's setting, dropout 0.5 and L2 1e-3, on the same network for
# as many epochs (about 25 s). Its validation loss includes the L2 penalty, so we compare it
# with the unregularised network by validation accuracy:

# %%
keras.utils.set_random_seed(SEED)
fm_heavy = fashion_model(hidden=(256, 128), dropout=0.5, l2=1e-3)
h_fm_heavy = fit_fashion("03_fashion_dropout_l2", fm_heavy)
record("Fashion-MNIST", "dropout 0.5 + L2", h_fm_heavy, X_val_fm, y_val_fm,
       build=lambda: fashion_model(hidden=(256, 128), dropout=0.5, l2=1e-3), average="macro")
heavy_acc, big_acc = np.array(h_fm_heavy.history["val_accuracy"]), np.array(h_fm_big.history["val_accuracy"])
print(f"best validation accuracy: dropout 0.5 + L2 {heavy_acc.max():.3f} | unregularised {big_acc.max():.3f}; "
      f"epochs where the regularised one is ahead: {int((heavy_acc > big_acc).sum())} of {len(big_acc)}")

# %% [markdown]
# What to check in the printout: in a full run that heavier setting holds the network back
# more than it helps, and it learns more slowly (its row may say that its minimum was not
# reached in 15 epochs). So we try a light dropout alone, of rate `FM_DROPOUT` after each hidden
# layer (about 25 s): it leaves the validation loss free of an L2 term, so the two models'
# losses compare directly.

# %%
FM_DROPOUT = 0.2
keras.utils.set_random_seed(SEED)
fm_reg = fashion_model(hidden=(256, 128), dropout=FM_DROPOUT)
h_fm_reg = fit_fashion("03_fashion_dropout", fm_reg)
record("Fashion-MNIST", f"dropout {FM_DROPOUT}", h_fm_reg, X_val_fm, y_val_fm,
       build=lambda: fashion_model(hidden=(256, 128), dropout=FM_DROPOUT), average="macro")
cu.compare_histories({"baseline": h_fm_base, "bigger": h_fm_big, f"dropout {FM_DROPOUT}": h_fm_reg},
                     metric="val_loss", title="Fashion-MNIST: validation loss")


# %%
def overfitting_summary(histories):
    """Per model: the best validation loss and accuracy over the epochs, and the gap at the last epoch."""
    return pd.DataFrame({name: {"lowest val_loss": min(h.history["val_loss"]),
                                "at epoch": int(np.argmin(h.history["val_loss"])) + 1,
                                "best val_accuracy": max(h.history["val_accuracy"]),
                                "last val_accuracy": h.history["val_accuracy"][-1],
                                "last train - val accuracy": h.history["accuracy"][-1] - h.history["val_accuracy"][-1]}
                         for name, h in histories.items()}).T.round(4)


fm_overfit = overfitting_summary({"bigger": h_fm_big, f"dropout {FM_DROPOUT}": h_fm_reg})
fm_overfit

# %% [markdown]
# What to check in the table (full mode): the bigger model's validation loss levels off
# after six to ten epochs, and may rise again before the 15th (`at epoch` gives its lowest),
# while its training accuracy keeps climbing: the last column is the gap between the two.
# Keras measures the dropout model's training accuracy with dropout switched on, which
# lowers it, so its gap is smaller partly by construction; its validation loss, measured
# without dropout, is the fairer comparison: is its lowest value lower? The best validation
# *accuracy* moves little either way in one run of one seed; rerun with another `SEED` to
# see how much of a difference that is. (In reduced mode, two epochs are too few to
# overfit: there the rows are close.)

# %% [markdown]
# ### Early stopping, and why regularise anyway
#
# `EarlyStopping` watches the validation loss and stops training when it has not improved
# for `patience` epochs; with `restore_best_weights=True` the model gets back the weights of
# its best epoch. We give the unregularised 256-128 model up to 15 epochs (at most about 25
# seconds; it stops earlier, after `patience` epochs without a lower validation loss).

# %%
keras.utils.set_random_seed(SEED)
fm_es = fashion_model(hidden=(256, 128))
early_stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
h_fm_es = fit_fashion("03_fashion_early_stopping", fm_es, callbacks=[early_stop])
record("Fashion-MNIST", "early stopping", h_fm_es, X_val_fm, y_val_fm,
       build=lambda: fashion_model(hidden=(256, 128)), average="macro")
cu.plot_history(h_fm_es, title="Fashion-MNIST 256-128 with early stopping")

# %% [markdown]
# The model now holds the weights of the epoch with the lowest validation loss, not those of
# the last epoch:

# %%
best = int(np.argmin(h_fm_es.history["val_loss"]))
val_loss_now = fm_es.evaluate(X_val_fm, y_val_fm, verbose=0, batch_size=256)[0]
print(f"trained {len(h_fm_es.epoch)} epochs; best epoch {best + 1} (val_loss {h_fm_es.history['val_loss'][best]:.4f}); "
      f"the model's val_loss now {val_loss_now:.4f}")
assert np.isclose(val_loss_now, min(h_fm_es.history["val_loss"]), rtol=1e-3)

# %% [markdown]
# **If early stopping is enough, why bother with regularisation?** Early stopping only
# chooses *when* to stop along one training trajectory; it cannot make that trajectory
# better. Dropout changes the trajectory itself from the first step, and the model it trains
# can reach a better validation score than any epoch of the unregularised one. The two
# combine well: regularise, and let early stopping save the epochs that no longer help.
# Compare the two on the validation loss:

# %%
cu.compare_histories({"256-128, early stopping": h_fm_es, f"256-128, dropout {FM_DROPOUT}": h_fm_reg},
                     metric="val_loss", title="Fashion-MNIST: validation loss")
print(f"lowest validation loss: early stopping {min(h_fm_es.history['val_loss']):.4f} "
      f"(epoch {best + 1}) | dropout {min(h_fm_reg.history['val_loss']):.4f} "
      f"(epoch {int(np.argmin(h_fm_reg.history['val_loss'])) + 1})")

# %% [markdown]
# **Tune**: the same kind of search as for IMDB, on a third of the training images (about
# 20 seconds the first time). Both searches start from the same `SEED`, so where their
# spaces share a hyperparameter (dropout, L2, the learning rate) they draw the same values
# in the same order: if they pick the same L2 and learning rate, that is why. Give one
# search another seed to explore differently.

# %%
def build_fashion_tuned(hp):
    """The search space: 1-2 hidden layers of 128 or 256 units, dropout, L2 and the learning rate."""
    n_layers = hp.Int("layers", 1, 2)
    return fashion_model(hidden=[hp.Choice(f"units_{i}", [128, 256]) for i in range(n_layers)],
                         dropout=hp.Float("dropout", 0.0, 0.5, step=0.25),
                         l2=hp.Float("l2", 1e-5, 1e-2, sampling="log"),
                         learning_rate=hp.Float("learning_rate", 1e-4, 1e-2, sampling="log"))


tuner_fm, best_hp_fm = run_search(build_fashion_tuned, "fashion_hyperband", X_train_fm, y_train_fm,
                                  X_val_fm, y_val_fm, 256)

# %%
keras.utils.set_random_seed(SEED)
fm_tuned = tuner_fm.hypermodel.build(best_hp_fm)
h_fm_tuned = fit_fashion("03_fashion_tuned", fm_tuned)
record("Fashion-MNIST", "Hyperband best", h_fm_tuned, X_val_fm, y_val_fm,
       build=lambda: tuner_fm.hypermodel.build(best_hp_fm), average="macro")
fm_val = pd.DataFrame(results).query("dataset == 'Fashion-MNIST'").set_index("model")["val_accuracy"]
assert fm_val["Hyperband best"] > 0.3, "the tuned model must beat chance (10%) by far"
fm_val.round(3)

# %% [markdown]
# The cell checks only that the tuned model beats chance. Whether it beats the baseline and
# the hand-made networks depends on the run: a search this small, a
# handful of trials of at most 3 epochs on a third of the images, can easily miss the
# settings those networks were given, so compare the rows before trusting the search.

# %% [markdown]
# ### The final model, and one look at the test set
#
# As in A9: the model with the best validation accuracy at its best epoch, retrained from scratch on the
# training and validation images for its `best_epoch` epochs, then scored once on the test
# set (the retraining takes about 30 seconds). When the top rows of the table above are a
# few tenths of a point apart, the choice between them is close to a coin toss that another
# seed can turn. Which classes does the final model confuse? Rows are the true classes,
# columns the predicted ones; the classification report gives the per-class F1 that the
# macro F1 averages.

# %%
fm_choice, fm_epochs, fm_final = final_model("Fashion-MNIST", X_train_fm, y_train_fm, X_val_fm, y_val_fm, 256)
test_pred_fm = predicted_labels(fm_final, X_test_fm)
fm_test = {"accuracy": float(np.mean(test_pred_fm == y_test_fm)),
           "F1": float(f1_score(y_test_fm, test_pred_fm, average="macro"))}
print(f"chosen on validation: {fm_choice!r}, retrained for {fm_epochs} epochs on "
      f"{len(y_train_fm) + len(y_val_fm)} images | test accuracy {fm_test['accuracy']:.3f}, "
      f"test macro F1 {fm_test['F1']:.3f}")
cu.plot_confusion_matrix(y_test_fm, test_pred_fm, fashion_classes, title=f"Fashion-MNIST, final model ({fm_choice}), test set")
print(classification_report(y_test_fm, test_pred_fm, target_names=fashion_classes, digits=3))

# %% [markdown]
# # Results
#
# Every model's **validation** scores, the figures the choices were made on, each measured on
# the model of its `best_epoch` (the epoch of the lowest validation loss, out of
# `epochs_trained`). F1 is the binary F1 of the positive class for IMDB and the macro F1 for
# Fashion-MNIST; `minimum_reached` is "no" where the validation loss was still falling at the
# last epoch.

# %%
table = pd.DataFrame(results).set_index(["dataset", "model"]).round(3)
table

# %% [markdown]
# The observations below are read from that table and from the two final models by code, so
# they stay true whatever the data and the mode:

# %%
finals = {"IMDB": (imdb_choice, imdb_epochs, imdb_test), "Fashion-MNIST": (fm_choice, fm_epochs, fm_test)}
sources = {"IMDB": cu.data.SOURCES.get("imdb"), "Fashion-MNIST": cu.data.SOURCES.get("fashion_mnist")}
for dataset, (choice, n_epochs, test) in finals.items():
    part = table.loc[dataset]
    print(f"{dataset} ({sources[dataset]} data): chosen on validation {choice!r} "
          f"(validation accuracy {part.loc[choice, 'val_accuracy']:.3f}, baseline {part.loc['baseline', 'val_accuracy']:.3f}); "
          f"retrained for {n_epochs} epochs on training + validation: test accuracy {test['accuracy']:.3f}, "
          f"test F1 {test['F1']:.3f}; validation - test accuracy {part.loc[choice, 'val_accuracy'] - test['accuracy']:+.3f}")
print("mode:", cu.mode_name())

# %% [markdown]
# What to take away:
#
# - Always compare with a baseline: a bigger model earns its complexity only by beating it on
#   validation, and sometimes none does; the printout above says which model won, per dataset.
# - We chose models and epochs on the **validation** set (a threshold would be chosen there
#   too), and scored the test set once per dataset, for the final model only. The last
#   figure above, validation minus test accuracy, shows how far the validation score could
#   be trusted: choosing the best of several models on validation makes its validation
#   score a little optimistic, while retraining on more data pulls the other way.
# - Accuracy is not the whole story when classes are imbalanced: the class-weights table in
#   A5 shows recall and F1 moving where accuracy hides it, and a lower threshold moves them
#   in the same direction without retraining.
# - Hyperband's trials are stored: rerun the notebook and both searches say that they
#   reload their trials, and take seconds.
#
# **Try it**: switch `TfidfVectorizer` to `CountVectorizer(binary=True)` (multi-hot) in A4,
# or widen the search spaces, and rerun.
#
# *Reference*: F. Chollet, *Deep Learning with Python*, 2nd ed., Manning, 2021, chapters 4-6.
