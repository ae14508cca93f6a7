"""What Pix2Pix and CycleGAN share: optimiser defaults, loss scaling, checkpoint state, sample grids."""

import keras
import numpy as np
from keras.src.losses import loss as loss_module

from tfstyle.data.convert import to_uint8
from tfstyle.translate import losses
from tfstyle.translate.inference import translate_images

UPDATES = ("sequential", "simultaneous")


def default_optimizer(optimizer=None):
    """Adam(2e-4, β1=0.5) as in both papers; wrapped for loss scaling under the mixed_float16 policy."""
    optimizer = optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
    if keras.config.dtype_policy().name == "mixed_float16" and not isinstance(
        optimizer, keras.optimizers.LossScaleOptimizer
    ):
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


class TranslationGAN(keras.Model):
    """Base class of the image-translation GANs: subclasses define the networks and train/test steps."""

    def configure_training(self, g_optimizer, d_optimizer, gan_loss, train_metrics, test_metrics):
        """The part of `compile` both GANs share: optimisers, GAN loss, metric trackers, optimiser slots."""
        self.g_optimizer = default_optimizer(g_optimizer)
        self.d_optimizer = default_optimizer(d_optimizer)
        self.gan_loss, self.gan_loss_name = losses.gan_loss(gan_loss), gan_loss
        self.trackers = {name: keras.metrics.Mean(name=name) for name in train_metrics}
        self.test_trackers = {name: keras.metrics.Mean(name=name) for name in test_metrics}
        # Create optimiser slots now, under the caller's strategy scope: built lazily inside a replica
        # step they break MirroredStrategy ("You must feed a value for placeholder tensor").
        self.build_optimizers()

    @property
    def metrics(self):
        return [*getattr(self, "trackers", {}).values(), *getattr(self, "test_trackers", {}).values()]

    def apply_loss(self, tape, loss, optimizer, variables):
        """Gradient step of `loss` on `variables`: scaled for tf.distribute replicas and for loss scaling."""
        with tape:  # the scaling must be recorded too, or the gradients would be None
            scaled = optimizer.scale_loss(loss_module.scale_loss_for_distribution(loss))
        grads = tape.gradient(scaled, variables)
        optimizer.apply_gradients(zip(grads, variables))

    def build_optimizers(self):
        """Creates optimiser slots up front (needed before restoring a checkpoint)."""
        for optimizer, variables in self.optimizer_variables():
            if not optimizer.built:
                optimizer.build(variables)

    def iterations_done(self):
        """Training steps taken so far (the generator optimiser's iteration count)."""
        return int(self.optimizer_variables()[0][0].iterations.numpy())

    def training_state(self):
        """A short summary of the resumable state (shown when a run resumes)."""
        optimizer = self.optimizer_variables()[0][0]
        return {"step": self.iterations_done(), "learning_rate": f"{float(optimizer.learning_rate):.6g}"}

    def generators(self):
        """Name -> generator, for saving and export."""
        raise NotImplementedError

    def optimizer_variables(self):
        """(optimizer, variables) pairs."""
        raise NotImplementedError

    def checkpoint_items(self):
        """Everything a resumed run needs, as trackables for `tf.train.Checkpoint`."""
        items = {f"net_{name}": net for name, net in self.networks().items()}
        for i, (optimizer, _) in enumerate(self.optimizer_variables()):
            items[f"optimizer_{i}"] = optimizer
        return items

    def networks(self):
        raise NotImplementedError

    def sample_rows(self, batch):
        """Rows of uint8 images to show for a batch: list of (N, H, W, 3) arrays, one per column."""
        raise NotImplementedError

    def translate(self, images, direction=None, test_time_dropout=False):
        """Translates uint8 RGB images of any size (see `translate_images`)."""
        return translate_images(self.generator_for(direction), images, test_time_dropout)

    def generator_for(self, direction):
        raise NotImplementedError


def image_grid(columns):
    """Stacks columns of (N, H, W, 3) uint8 images into one (N·H, C·W, 3) grid."""
    columns = [np.asarray(to_uint8(c)) if np.asarray(c).dtype != np.uint8 else np.asarray(c) for c in columns]
    rows = [np.concatenate([c[i] for c in columns], axis=1) for i in range(len(columns[0]))]
    return np.concatenate(rows, axis=0)
