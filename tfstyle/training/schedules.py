"""Learning-rate schedules of the pix2pix/CycleGAN papers."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tfstyle")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant for `n_epochs`, then linear decay towards 0 over `n_epochs_decay` epochs.

    Reference: the pix2pix/CycleGAN code's `lambda_rule`: during epoch e (0-based) the rate is
    `initial_lr · (1 − max(0, e + 1 − n_epochs) / (n_epochs_decay + 1))`. The epoch is derived from the
    optimiser's iteration count, so the schedule resumes exactly from a checkpoint.

    Args:
        initial_lr: the constant rate. Defaults to 2e-4.
        steps_per_epoch: optimiser steps per epoch.
        n_epochs: epochs at the constant rate. Defaults to 100.
        n_epochs_decay: epochs of linear decay. Defaults to 100.
    """

    def __init__(self, initial_lr=2e-4, steps_per_epoch=1, n_epochs=100, n_epochs_decay=100):
        self.initial_lr = float(initial_lr)
        self.steps_per_epoch = int(steps_per_epoch)
        self.n_epochs = int(n_epochs)
        self.n_epochs_decay = int(n_epochs_decay)

    def __call__(self, step):
        epoch = ops.floor(ops.cast(step, "float32") / float(self.steps_per_epoch))
        decayed = ops.maximum(0.0, epoch + 1.0 - self.n_epochs) / float(self.n_epochs_decay + 1)
        return self.initial_lr * ops.maximum(0.0, 1.0 - decayed)

    def get_config(self):
        return {
            "initial_lr": self.initial_lr, "steps_per_epoch": self.steps_per_epoch,
            "n_epochs": self.n_epochs, "n_epochs_decay": self.n_epochs_decay,
        }  # fmt: skip
