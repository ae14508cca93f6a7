"""Callbacks that show training: sample grids as PNG files and TensorBoard images."""

import os

import keras
import numpy as np
import tensorflow as tf

from tfstyle.data.convert import to_uint8
from tfstyle.data.io import write_image


class SampleGrid(keras.callbacks.Callback):
    """Every `every_n_steps` training steps (counted over the whole run) and at each epoch end, renders the model's sample grid for a fixed batch.

    The grid comes from the model's `sample_rows(batch)` (Pix2Pix: input | output | target; CycleGAN:
    A | G(A) | F(G(A)) and B | F(B) | G(F(B))). It is written as `samples/epoch003_step000120.png` and, when
    `log_dir` is given, as a TensorBoard image.

    Args:
        batch: a fixed batch to render (e.g. `next(iter(dataset))`).
        out_dir: run folder; PNGs go to `out_dir/samples`.
        every_n_steps: render every N training steps. Defaults to None (epoch ends only).
        log_dir: TensorBoard folder. Defaults to None.
    """

    def __init__(self, batch, out_dir, every_n_steps=None, log_dir=None):
        super().__init__()
        self.batch, self.every_n_steps = batch, every_n_steps
        self.folder = os.path.join(str(out_dir), "samples")
        self.writer = tf.summary.create_file_writer(os.path.join(str(log_dir), "samples")) if log_dir else None
        self.epoch = 0
        self.paths = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.every_n_steps and self.model.iterations_done() % self.every_n_steps == 0:
            self.render()

    def on_epoch_end(self, epoch, logs=None):
        self.render()

    def render(self):
        step = self.model.iterations_done()
        grid = np.asarray(self.model.sample_rows(self.batch))
        path = os.path.join(self.folder, f"epoch{self.epoch + 1:03d}_step{step:07d}.png")
        write_image(path, grid)
        self.paths.append(path)
        if self.writer is not None:
            with self.writer.as_default():
                tf.summary.image("samples", grid[None], step=step)
            self.writer.flush()
        return path


def image_grid(columns):
    """Stacks columns of (N, H, W, 3) uint8 images into one (N·H, C·W, 3) grid."""
    columns = [np.asarray(to_uint8(c)) if np.asarray(c).dtype != np.uint8 else np.asarray(c) for c in columns]
    rows = [np.concatenate([c[i] for c in columns], axis=1) for i in range(len(columns[0]))]
    return np.concatenate(rows, axis=0)
