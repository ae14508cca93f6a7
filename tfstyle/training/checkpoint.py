"""Full-state checkpointing and automatic resume for `fit`.

Uses `tf.train.CheckpointManager` (atomic writes: the index is written last, so a crash mid-save leaves the
previous checkpoint valid; keeps the last K). The state is everything a system declares in
`checkpoint_items()` (networks, optimisers with iteration counts and slots, image pools) plus the epoch and the
number of batches of that epoch already trained on.
"""

import logging
import shutil
import tempfile

import keras
import tensorflow as tf

from tfstyle import _compat
from tfstyle.errors import TfstyleError

log = logging.getLogger("tfstyle")


class ResumableCheckpoint(keras.callbacks.Callback):
    """Saves the full training state every epoch (and every `every_n_steps`) and resumes from it.

    `tfstyle.train` restores before `fit` and resumes exactly, a mid-epoch checkpoint included: it skips the
    batches that epoch already trained on. In a `fit` you call yourself, the callback restores at `fit`'s start;
    a mid-epoch checkpoint then restarts its epoch (Keras has no way to skip batches from a callback), so those
    batches are seen twice and the iteration-driven learning rate runs that many steps ahead (a warning says so).

    Args:
        directory: where checkpoints live (e.g. `runs/NAME/checkpoints`).
        every_n_steps: also save every N training steps. Defaults to None (epoch ends only).
        max_to_keep: checkpoints kept. Defaults to 3.
        chief: whether this process writes `directory`; other workers of a multi-worker cluster save to a scratch
            folder they delete (every worker must take part in a save). Defaults to True.
    """

    def __init__(self, directory, every_n_steps=None, max_to_keep=3, chief=True):
        super().__init__()
        self.directory, self.every_n_steps, self.max_to_keep = str(directory), every_n_steps, max_to_keep
        self.chief = chief
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        self.step_in_epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="step_in_epoch")
        self.batch_offset = 0  # batches of the current epoch trained before this `fit` (exact mid-epoch resume)
        self.manager = None
        self.restored = False
        self.resumed_batches = 0  # batches of the restored epoch already trained on

    def _ensure_manager(self):
        if self.manager is None:
            self.model.build_optimizers()
            self.checkpoint = tf.train.Checkpoint(epoch=self.epoch, step_in_epoch=self.step_in_epoch,
                                                  **self.model.checkpoint_items())  # fmt: skip
            self.manager = tf.train.CheckpointManager(self.checkpoint, self.directory, max_to_keep=self.max_to_keep)
        return self.manager

    def restore(self):
        """Restores the latest checkpoint, if any; returns the epoch to continue from (or None). The batches of that
        epoch already trained on are in `resumed_batches` (non-zero for a checkpoint taken mid-epoch)."""
        manager = self._ensure_manager()
        self.restored = True
        if manager.latest_checkpoint is None:
            return None
        try:
            self.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        except (ValueError, AssertionError) as err:
            raise TfstyleError(
                f"{manager.latest_checkpoint}: checkpoint does not match this model/optimizer configuration "
                f"({str(err)[:200]}). Resume with the same settings, or train into a new output folder."
            ) from None
        epoch, self.resumed_batches = int(self.epoch.numpy()), int(self.step_in_epoch.numpy())
        state = ", ".join(f"{k} {v}" for k, v in self.model.training_state().items())
        where = f"epoch {epoch + 1}" + (f", batch {self.resumed_batches + 1}" if self.resumed_batches else "")
        log.info("resumed from %s at %s (%s)", manager.latest_checkpoint, where, state)
        return epoch

    def save(self):
        if self.chief:
            self._ensure_manager().save(checkpoint_number=self.model.iterations_done())
            return
        scratch = tempfile.mkdtemp(prefix="tfstyle-worker-checkpoint-")
        try:
            self._ensure_manager()
            tf.train.CheckpointManager(self.checkpoint, scratch, max_to_keep=1).save()
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def on_train_begin(self, logs=None):
        if self.restored:
            return
        epoch = self.restore()
        if epoch is not None:
            _compat.set_initial_epoch(self.model, epoch)
            if self.resumed_batches:
                log.warning("the checkpoint was taken after %d batches of epoch %d: this fit restarts that epoch from "
                            "its first batch (tfstyle.train skips them instead)", self.resumed_batches, epoch + 1)  # fmt: skip

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch.assign(epoch)
        self.step_in_epoch.assign(self.batch_offset)

    def on_train_batch_end(self, batch, logs=None):
        done = self.batch_offset + batch + 1
        self.step_in_epoch.assign(done)
        if self.every_n_steps and self.model.iterations_done() % self.every_n_steps == 0:
            self.save()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.assign(epoch + 1)
        self.step_in_epoch.assign(0)
        self.batch_offset = 0
        self.save()

    def on_train_end(self, logs=None):
        _compat.set_initial_epoch(self.model, None)
