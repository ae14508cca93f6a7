"""What Pix2Pix and CycleGAN share: optimiser defaults, metric trackers, sample grids, translation."""

import keras

from tfstyle.models.inference import translate_images
from tfstyle.training.kind import ModelKind, paper_adam
from tfstyle.translate import losses

UPDATES = ("sequential", "simultaneous")


def loss_scaled(optimizer):
    """`optimizer`, wrapped for loss scaling when the global policy is mixed_float16."""
    if keras.config.dtype_policy().name == "mixed_float16" and not isinstance(
        optimizer, keras.optimizers.LossScaleOptimizer
    ):
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


class TranslationGAN(ModelKind):
    """Base class of the image-translation GANs: subclasses define the networks and train/test steps."""

    def configure_training(self, g_optimizer, d_optimizer, learning_rate, gan_loss, train_metrics, test_metrics):
        """The part of `compile` both GANs share: optimisers (default: the papers' Adam(`learning_rate`,
        β1 = 0.5); `learning_rate` may be a schedule such as `LinearDecay`), GAN loss, trackers, optimiser slots."""
        self.g_optimizer = loss_scaled(g_optimizer or paper_adam(learning_rate))
        self.d_optimizer = loss_scaled(d_optimizer or paper_adam(learning_rate))
        self.gan_loss, self.gan_loss_name = losses.gan_loss(gan_loss), gan_loss
        self.trackers = {name: keras.metrics.Mean(name=name) for name in train_metrics}
        self.test_trackers = {name: keras.metrics.Mean(name=name) for name in test_metrics}
        # Create optimiser slots now, under the caller's strategy scope: built lazily inside a replica
        # step they break MirroredStrategy ("You must feed a value for placeholder tensor").
        self.build_optimizers()

    @property
    def metrics(self):
        return [*getattr(self, "trackers", {}).values(), *getattr(self, "test_trackers", {}).values()]

    def translate(self, images, direction=None, test_time_dropout=False):
        """Translates uint8 RGB images of any size (see `translate_images`)."""
        return translate_images(self.generator_for(direction), images, test_time_dropout)

    def generator_for(self, direction):
        raise NotImplementedError
