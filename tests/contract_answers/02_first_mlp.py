"""Minimal answers to the exercise of 02_first_mlp, written from its task text alone.

tests/test_contract.py puts each block into the student version in place of the k-th solution
placeholder of the exercise its header names (`# %% <exercise>, solution <k>`), then runs the
notebook. An answer uses only what the task text asks for and names, and the given cells define;
where a given cell needs a name the text does not give, the run fails, as it would for a student.
"""

# %% 8. Exercise: an MLP for MNIST, solution 1
mnist_model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    keras.layers.Flatten(),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
mnist_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
mnist_model.fit(x_train_digits, y_train_digits, validation_split=0.2, epochs=cu.epochs(10), verbose=2)
_, digits_accuracy = mnist_model.evaluate(x_test_digits, y_test_digits, verbose=0)
print(digits_accuracy)
