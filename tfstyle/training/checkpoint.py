"""Full-state checkpointing and automatic resume for `fit`.

Uses `tf.train.CheckpointManager` (atomic writes: the index is written last, so a crash mid-save leaves the
previous checkpoint valid; keeps the last K). The state is everything a system declares in
`checkpoint_items()` (networks, optimisers with iteration counts and slots, image pools) plus the epoch and
step counters. On `fit` start the latest checkpoint is restored and `fit` continues at the saved epoch.
"""

import logging

import keras
import tensorflow as tf

from tfstyle.errors import TfstyleError

log = logging.getLogger("tfstyle")


class ResumableCheckpoint(keras.callbacks.Callback):
    """Saves the full training state every epoch (and every `every_n_steps`) and resumes from it.

    A checkpoint taken mid-epoch resumes at the start of that epoch: weights, optimiser iterations and the
    learning-rate position are exact; the data position restarts the epoch (as far as tf.data allows).

    Args:
        directory: where checkpoints live (e.g. `runs/NAME/checkpoints`).
        every_n_steps: also save every N training steps. Defaults to None (epoch ends only).
        max_to_keep: checkpoints kept. Defaults to 3.
    """

    def __init__(self, directory, every_n_steps=None, max_to_keep=3):
        super().__init__()
        self.directory, self.every_n_steps, self.max_to_keep = str(directory), every_n_steps, max_to_keep
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        self.step_in_epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="step_in_epoch")
        self.manager = None
        self.restored_epoch = None

    def _ensure_manager(self):
        if self.manager is None:
            self.model.build_optimizers()
            checkpoint = tf.train.Checkpoint(epoch=self.epoch, step_in_epoch=self.step_in_epoch,
                                             **self.model.checkpoint_items())  # fmt: skip
            self.manager = tf.train.CheckpointManager(checkpoint, self.directory, max_to_keep=self.max_to_keep)
        return self.manager

    def restore(self):
        """Restores the latest checkpoint, if any; returns the epoch to continue from (or None)."""
        manager = self._ensure_manager()
        if manager.latest_checkpoint is None:
            return None
        try:
            manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        except (ValueError, AssertionError) as err:
            raise TfstyleError(
                f"{manager.latest_checkpoint}: checkpoint does not match this model/optimizer configuration "
                f"({str(err)[:200]}). Resume with the same settings, or train into a new output folder."
            ) from None
        self.restored_epoch = int(self.epoch.numpy())
        state = ", ".join(f"{k} {v}" for k, v in self.model.training_state().items())
        log.info("resumed from %s at epoch %d (%s)", manager.latest_checkpoint, self.restored_epoch + 1, state)
        return self.restored_epoch

    def on_train_begin(self, logs=None):
        epoch = self.restore()
        if epoch is not None:
            self.model._initial_epoch = epoch  # the hook keras.callbacks.BackupAndRestore uses

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch.assign(epoch)
        self.step_in_epoch.assign(0)

    def on_train_batch_end(self, batch, logs=None):
        self.step_in_epoch.assign(batch + 1)
        if self.every_n_steps and (batch + 1) % self.every_n_steps == 0:
            self._ensure_manager().save(checkpoint_number=self.model.iterations_done())

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.assign(epoch + 1)
        self.step_in_epoch.assign(0)
        self._ensure_manager().save(checkpoint_number=self.model.iterations_done())

    def on_train_end(self, logs=None):
        self.model._initial_epoch = None
