"""Minimal answers to the exercises of 04_optimizers_bn_dropout, written from their task text alone.

tests/test_contract.py puts each block into the student version in place of the k-th solution
placeholder of the exercise its header names (`# %% <exercise>, solution <k>`), then runs the
notebook. An answer uses only what the task text asks for and names, and the given cells define;
where a given cell needs a name the text does not give, the run fails, as it would for a student.
"""

# %% Exercise 1, solution 1
# Each variant trained as the recipe of section 8 was: its optimizer, epochs, callbacks and checkpoint.
no_bn = train("contract_recipe_no_bn", recipe_model(batch_norm=False),
              recipe_optimizer(len(x_small), RECIPE_EPOCHS), epochs=RECIPE_EPOCHS,
              callbacks=recipe_callbacks(), save_best=True)
no_dropout = train("contract_recipe_no_dropout", recipe_model(dropout=0.0),
                   recipe_optimizer(len(x_small), RECIPE_EPOCHS), epochs=RECIPE_EPOCHS,
                   callbacks=recipe_callbacks(), save_best=True)
cu.compare_histories({"recipe": h_recipe, "no BN": no_bn, "no dropout": no_dropout}, metric="val_loss")

# %% Exercise 2, solution 1
with_skips = deep_net(n_blocks=4, units=128, residual=True)
without_skips = deep_net(n_blocks=4, units=128, residual=False)
print(sum(isinstance(layer, layers.Dense) for layer in with_skips.layers), "Dense layers")
print("with skips:   ", gradient_norms(with_skips, x_batch, y_batch))
print("without skips:", gradient_norms(without_skips, x_batch, y_batch))

# %% Exercise 3, solution 1
class ByHand(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, start, peak, warmup, decay_steps, floor):
        self.start, self.peak, self.warmup, self.decay_steps, self.floor = start, peak, warmup, decay_steps, floor

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        rising = self.start + (self.peak - self.start) * step / self.warmup
        done = keras.ops.minimum(step - self.warmup, self.decay_steps) / self.decay_steps
        falling = self.peak * (self.floor + (1 - self.floor) * 0.5 * (1 + keras.ops.cos(math.pi * done)))
        return keras.ops.where(step < self.warmup, rising, falling)


by_hand = ByHand(1e-4, 1e-3, 50, 200, 0.1)
keras_rates = keras.optimizers.schedules.CosineDecay(1e-4, decay_steps=200, alpha=0.1,
                                                     warmup_target=1e-3, warmup_steps=50)
for step in (0, 25, 50, 150, 250, 400):
    mine, theirs = float(by_hand(step)), float(keras_rates(step))
    print(step, mine, theirs)
    assert abs(mine - theirs) < 1e-8

# %% Exercise 4, solution 1
with_l2 = train("contract_l2", mlp(l2=1e-3), keras.optimizers.Adam(learning_rate=1e-3),
                x=x_tiny, y=y_tiny, epochs=DROPOUT_EPOCHS)
cu.compare_histories({"no dropout": gap(h_nodrop), "dropout": gap(h_drop), "L2": gap(with_l2)},
                     metric="accuracy gap")
cu.compare_histories({"no dropout": h_nodrop, "dropout": h_drop, "L2": with_l2}, metric="val_accuracy")
