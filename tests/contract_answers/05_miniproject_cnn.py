"""Minimal answers to the exercises of 05_miniproject_cnn, written from their task text alone.

tests/test_contract.py puts each block into the student version in place of the k-th solution
placeholder of the exercise its header names (`# %% <exercise>, solution <k>`), then runs the
notebook; a `, bonus` block is what a student who does the bonus task adds to that placeholder,
and the run without the bonus leaves it out. An answer uses only what the task text asks for and
names, and the given cells define; where a given cell needs a name the text does not give, the
run fails, as it would for a student.
"""

# %% Exercise 1, solution 1
(x_mnist_train, y_mnist_train), (x_mnist_test, y_mnist_test) = cu.load_mnist()
(x_fashion_train, y_fashion_train), (x_fashion_test, y_fashion_test) = cu.load_fashion_mnist()

# %% Exercise 1, solution 2
cu.plot_images(x_mnist_train[:10], y_mnist_train[:10])
cu.plot_images(x_fashion_train[:10], y_fashion_train[:10])

# %% Exercise 1, solution 3
def prepare(x_train, y_train, x_test, y_test, name):
    images_train, images_val, labels_train, labels_val = train_test_split(
        x_train, y_train, test_size=1 / 12, stratify=y_train, random_state=SEED)
    flat = [x.reshape(len(x), 784).astype("float32") / 255 for x in (images_train, images_val, x_test)]
    onehot = [keras.utils.to_categorical(labels, 10) for labels in (labels_train, labels_val, y_test)]
    return SimpleNamespace(name=name, x_train=flat[0], x_val=flat[1], x_test=flat[2],
                           y_train=onehot[0], y_val=onehot[1], y_test=onehot[2],
                           labels_train=labels_train, labels_val=labels_val, labels_test=y_test)

# %% Exercise 2, solution 1
def build_mlp(n_hidden=0, width=100, dropout=0.0, l2=0.0, preprocessing=(), optimizer="sgd",
              learning_rate=None, n_inputs=784, seed=SEED):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(n_inputs,)), *preprocessing])
    for _ in range(n_hidden):
        model.add(layers.Dense(width, activation="relu",
                               kernel_regularizer=keras.regularizers.L2(l2) if l2 else None))
        if dropout:
            model.add(layers.Dropout(dropout))
    model.add(layers.Dense(10, activation="softmax"))
    kind = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}[optimizer]
    model.compile(optimizer=kind() if learning_rate is None else kind(learning_rate=learning_rate),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model

# %% Exercise 2, solution 2
linear = {}
for label, data in (("MNIST", mnist), ("Fashion-MNIST", fashion)):
    linear[label] = train(f"contract_softmax_{label}", build_mlp(learning_rate=0.1), data, cu.epochs(40), patience=5)
    cu.plot_history(linear[label], title=label)
    print(label, "best validation accuracy", max(linear[label].history["val_accuracy"]))

# %% Exercise 3, solution 1
build_mlp(n_hidden=1, width=128).summary()

# %% Exercise 3, solution 2
optimizer_runs = {}
for sgd_rate in (3.0, 1.0, 0.1, 0.01, 0.001):
    optimizer_runs[f"SGD {sgd_rate:g}"] = train(f"contract_sgd_{sgd_rate:g}",
                                                build_mlp(n_hidden=1, width=128, learning_rate=sgd_rate),
                                                mnist, cu.epochs(25))
adam_net = build_mlp(n_hidden=1, width=128, optimizer="adam")
optimizer_runs["Adam 0.001"] = train("contract_adam", adam_net, mnist, cu.epochs(25))

# %% Exercise 3, solution 3
cu.compare_histories({"SGD 0.1": optimizer_runs["SGD 0.1"], "Adam": optimizer_runs["Adam 0.001"]},
                     metric="val_accuracy", title="MNIST: SGD 0.1 against Adam")
for label in ("SGD 0.1", "Adam 0.001"):
    print(label, "best validation accuracy", max(optimizer_runs[label].history["val_accuracy"]))

# %% Exercise 3, solution 4
predicted = adam_net.predict(mnist.x_test, verbose=0).argmax(axis=1)
wrong = np.flatnonzero(predicted != mnist.labels_test)
cu.plot_images(mnist.x_test[wrong[:10]].reshape(-1, 28, 28), mnist.labels_test[wrong[:10]],
               predictions=predicted[wrong[:10]])

# %% Exercise 3, solution 5
def corrupt_labels(labels, p, seed=SEED):
    rng = np.random.default_rng(seed)
    noisy = labels.copy()
    chosen = rng.choice(len(labels), size=round(p * len(labels)), replace=False)
    noisy[chosen] = (noisy[chosen] + rng.integers(1, 10, size=len(chosen))) % 10
    return noisy

# %% Exercise 3, solution 6
noise_pair = {"clean labels": optimizer_runs["Adam 0.001"],
              "20% wrong labels": train("contract_adam_noisy", build_mlp(n_hidden=1, width=128, optimizer="adam"),
                                        mnist, cu.epochs(25),
                                        y=keras.utils.to_categorical(corrupt_labels(mnist.labels_train, 0.2), 10))}
cu.compare_histories(noise_pair, metric="val_accuracy")

# %% Exercise 4, solution 1
def width_sweep(tag, widths, x, y):
    return {width: train(f"contract_width_{tag}_{width}", build_mlp(n_hidden=1, width=width, optimizer="adam"),
                         fashion, cu.epochs(20), x=x, y=y, patience=5)
            for width in widths}


sweeps = {"clean": width_sweep("clean", WIDTHS, fashion.x_train, fashion.y_train)}

# %% Exercise 4, solution 2
sweeps["50% wrong labels"] = width_sweep(
    "labels", WIDTHS, fashion.x_train, keras.utils.to_categorical(corrupt_labels(fashion.labels_train, 0.5), 10))
for score in ("best val loss", "best val accuracy"):
    cu.plot_sweep(WIDTHS, {kind: [best(h)[score] for h in runs.values()] for kind, runs in sweeps.items()},
                  xlabel="width", ylabel=score)

# %% Exercise 4, solution 3, bonus
pixel_noise = np.random.default_rng(SEED).normal(0.0, np.sqrt(0.1), fashion.x_train.shape)
sweeps["pixel noise (variance 0.1)"] = width_sweep("pixels", WIDTHS, (fashion.x_train + pixel_noise).astype("float32"),
                                                   fashion.y_train)

# %% Exercise 5, solution 1, bonus
# Flips, small rotations, shifts and zooms: a piece of clothing mirrored or moved is still the same kind.
def augmentation():
    return [layers.Reshape((28, 28, 1)), layers.RandomFlip("horizontal", seed=SEED),
            layers.RandomRotation(0.05, seed=SEED + 1), layers.RandomTranslation(0.1, 0.1, seed=SEED + 2),
            layers.RandomZoom(0.1, seed=SEED + 3), layers.Flatten()]

# %% Exercise 5, solution 2
variants = {"3x128": {}, "L2 1": {"l2": 1.0}, "L2 0.001": {"l2": 0.001},
            "dropout 0.5": {"dropout": 0.5}, "dropout 0.05": {"dropout": 0.05}}
deep_runs = {label: train(f"contract_deep_{label.replace(' ', '_')}",
                          build_mlp(n_hidden=3, width=128, optimizer="adam", **options), fashion, cu.epochs(20),
                          save_best=True)
             for label, options in variants.items()}
cu.plot_history(deep_runs["3x128"], title="3 hidden layers of 128")
print(table(deep_runs))

# %% Exercise 5, solution 3, bonus
deep_runs["augmentation"] = train("contract_deep_augmented",
                                  build_mlp(n_hidden=3, width=128, optimizer="adam", preprocessing=augmentation()),
                                  fashion, cu.epochs(20), save_best=True)

# %% Exercise 6, solution 1
def build_cnn(tuned=False):
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([keras.Input(shape=(784,)), layers.Reshape((28, 28, 1))])
    for filters in (16, 32):
        model.add(layers.Conv2D(filters, 3, activation="relu"))
        if tuned:
            model.add(layers.BatchNormalization())
        model.add(layers.MaxPooling2D())
    model.add(layers.Flatten())
    if tuned:
        model.add(layers.Dropout(0.3))
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model

# %% Exercise 6, solution 2
cnn_runs = {"naive CNN": train("contract_cnn_naive", naive_cnn, fashion, cu.epochs(15), save_best=True),
            "tuned CNN": train("contract_cnn_tuned", build_cnn(tuned=True), fashion, cu.epochs(15), save_best=True)}
cu.compare_histories(train_and_val(cnn_runs, "loss"), metric="loss", title="naive and tuned CNN")
