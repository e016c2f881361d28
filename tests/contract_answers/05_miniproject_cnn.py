"""Minimal answers to the exercises of 05_miniproject_cnn, written from their task text alone.

tests/test_contract.py puts each block into the student version in place of the k-th solution
placeholder of the exercise its header names (`# %% <exercise>, solution <k>`), then runs the
notebook; a `, bonus` block is what a student who does the bonus task adds to that placeholder,
and the run without the bonus leaves it out. An answer uses only what the task text asks for and
names, and the given cells define; where a given cell needs a name the text does not give, the
run fails, as it would for a student.
"""

# %% Exercise 1, solution 1
digits_arrays = cu.load_mnist()
clothes_arrays = cu.load_fashion_mnist()

# %% Exercise 1, solution 2
for (images, classes), _ in (digits_arrays, clothes_arrays):
    cu.plot_images(images[:10], classes[:10])

# %% Exercise 1, solution 3
def prepare(x_train, y_train, x_test, y_test, name):
    images_train, images_val, labels_train, labels_val = train_test_split(
        x_train, y_train, test_size=1 / 12, stratify=y_train, random_state=SEED)
    flat = [x.reshape(len(x), 784).astype("float32") / 255 for x in (images_train, images_val, x_test)]
    onehot = [keras.utils.to_categorical(labels) for labels in (labels_train, labels_val, y_test)]
    return SimpleNamespace(images_train=flat[0], images_val=flat[1], images_test=flat[2],
                           onehot_train=onehot[0], onehot_val=onehot[1], onehot_test=onehot[2],
                           labels_train=labels_train, labels_val=labels_val, labels_test=y_test)

# %% Exercise 2, solution 1
def build_mlp(n_hidden=0, width=100, dropout_rate=0.0, l2_factor=0.0, adam=False, rate=None,
              preprocessing=(), n_inputs=784, seed=SEED):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(n_inputs,)), *preprocessing])
    for _ in range(n_hidden):
        model.add(layers.Dense(width, activation="relu",
                               kernel_regularizer=keras.regularizers.L2(l2_factor) if l2_factor else None))
        if dropout_rate:
            model.add(layers.Dropout(dropout_rate))
    model.add(layers.Dense(10, activation="softmax"))
    kind = keras.optimizers.Adam if adam else keras.optimizers.SGD
    model.compile(optimizer=kind() if rate is None else kind(learning_rate=rate),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model

# %% Exercise 2, solution 2
softmax_runs = {}
for label, data in (("MNIST", mnist), ("Fashion-MNIST", fashion)):
    softmax_runs[label] = train(f"contract_softmax_{label}", build_mlp(rate=0.1), data, cu.epochs(40), patience=5)
    cu.plot_history(softmax_runs[label], title=label)
    print(label, "best validation accuracy", max(softmax_runs[label].history["val_accuracy"]))

# %% Exercise 3, solution 1
build_mlp(n_hidden=1, width=128).summary()

# %% Exercise 3, solution 2
rate_runs = {}
for sgd_rate in (1.0, 0.1, 0.01, 0.001):
    rate_runs[f"SGD {sgd_rate}"] = train(f"contract_sgd_{sgd_rate}", build_mlp(n_hidden=1, width=128, rate=sgd_rate),
                                         mnist, cu.epochs(25))
adam_net = build_mlp(n_hidden=1, width=128, adam=True)
rate_runs["Adam"] = train("contract_adam", adam_net, mnist, cu.epochs(25))
cu.compare_histories(rate_runs, metric="val_loss")

# %% Exercise 3, solution 3
cu.compare_histories({"SGD 0.1": rate_runs["SGD 0.1"], "Adam": rate_runs["Adam"]}, metric="val_accuracy",
                     title="MNIST: SGD 0.1 against Adam")
for label in ("SGD 0.1", "Adam"):
    print(label, "best validation accuracy", max(rate_runs[label].history["val_accuracy"]))

# %% Exercise 3, solution 4
predicted = adam_net.predict(mnist.images_test, verbose=0).argmax(axis=1)
mistakes = np.flatnonzero(predicted != mnist.labels_test)
cu.plot_images(mnist.images_test[mistakes[:10]].reshape(-1, 28, 28), mnist.labels_test[mistakes[:10]],
               predictions=predicted[mistakes[:10]])

# %% Exercise 3, solution 5
def corrupt_labels(labels, p, seed):
    rng = np.random.default_rng(seed)
    noisy = labels.copy()
    chosen = rng.choice(len(labels), size=round(p * len(labels)), replace=False)
    noisy[chosen] = (noisy[chosen] + rng.integers(1, 10, size=len(chosen))) % 10
    return noisy

# %% Exercise 3, solution 6
noisy_adam = train("contract_adam_noisy", build_mlp(n_hidden=1, width=128, adam=True), mnist, cu.epochs(25),
                   y=keras.utils.to_categorical(corrupt_labels(mnist.labels_train, 0.2, SEED)))
cu.compare_histories({"clean": rate_runs["Adam"], "20% wrong": noisy_adam}, metric="val_accuracy")
cu.compare_histories({"clean": rate_runs["Adam"], "20% wrong": noisy_adam}, metric="accuracy")

# %% Exercise 4, solution 1
def width_sweep(tag, widths, x, y):
    return {width: train(f"contract_width_{tag}_{width}", build_mlp(n_hidden=1, width=width, adam=True),
                         fashion, cu.epochs(20), x=x, y=y, patience=5)
            for width in widths}


clean_sweep = width_sweep("clean", WIDTHS, fashion.images_train, fashion.onehot_train)

# %% Exercise 4, solution 2
label_sweep = width_sweep("labels", WIDTHS, fashion.images_train,
                          keras.utils.to_categorical(corrupt_labels(fashion.labels_train, 0.5, SEED)))
width_curves = {"clean": clean_sweep, "p = 0.5": label_sweep}
for score in ("best val loss", "best val accuracy"):
    cu.plot_sweep(WIDTHS, {kind: [best(h)[score] for h in runs.values()] for kind, runs in width_curves.items()},
                  xlabel="width", ylabel=score)

# %% Exercise 4, solution 2, bonus
pixel_noise = np.random.default_rng(SEED).standard_normal(fashion.images_train.shape)
noisy_pixels = fashion.images_train + np.sqrt(0.1) * pixel_noise   # variance 0.1
pixel_sweep = width_sweep("pixels", WIDTHS, noisy_pixels.astype("float32"), fashion.onehot_train)
cu.plot_sweep(WIDTHS, {"pixel noise": [best(h)["best val accuracy"] for h in pixel_sweep.values()]},
              xlabel="width", ylabel="best validation accuracy")

# %% Exercise 5, solution 1, bonus
# Flips, small rotations, shifts and zooms: a piece of clothing mirrored or moved is still the same kind.
augmenting = [layers.Reshape((28, 28, 1)), layers.RandomFlip("horizontal"), layers.RandomRotation(0.05),
              layers.RandomTranslation(0.1, 0.1), layers.RandomZoom(0.1), layers.Flatten()]

# %% Exercise 5, solution 2
variants = {"plain": {}, "L2 1": {"l2_factor": 1.0}, "L2 0.001": {"l2_factor": 0.001},
            "dropout 0.5": {"dropout_rate": 0.5}, "dropout 0.05": {"dropout_rate": 0.05}}
deeper = {label: train(f"contract_deep_{label.replace(' ', '_')}",
                       build_mlp(n_hidden=3, width=128, adam=True, **options), fashion, cu.epochs(20), save_best=True)
          for label, options in variants.items()}
cu.plot_history(deeper["plain"], title="3 hidden layers of 128")
print(table(deeper))

# %% Exercise 5, solution 2, bonus
deeper["augmented"] = train("contract_deep_augmented", build_mlp(n_hidden=3, width=128, adam=True,
                                                                 preprocessing=augmenting),
                            fashion, cu.epochs(20), save_best=True)
print(table(deeper))

# %% Exercise 6, solution 1
def make_cnn(regularised):
    keras.utils.set_random_seed(SEED)
    extra = keras.regularizers.L2(1e-4) if regularised else None
    model = keras.Sequential([keras.Input(shape=(784,)), layers.Reshape((28, 28, 1))])
    for filters in (16, 32):
        model.add(layers.Conv2D(filters, 3, activation="relu", kernel_regularizer=extra))
        if regularised:
            model.add(layers.BatchNormalization())
        model.add(layers.MaxPooling2D())
    model.add(layers.Flatten())
    if regularised:
        model.add(layers.Dropout(0.3))
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model

# %% Exercise 6, solution 2
convnets = {"naive": train("contract_cnn_naive", make_cnn(False), fashion, cu.epochs(15)),
            "tuned": train("contract_cnn_tuned", make_cnn(True), fashion, cu.epochs(15))}
cu.compare_histories(train_and_val(convnets, "loss"), metric="loss", title="naive and tuned CNN")
print(table(convnets))
