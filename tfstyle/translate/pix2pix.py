"""Pix2Pix: paired image-to-image translation with a conditional GAN."""

import keras
import tensorflow as tf

from tfstyle import metrics
from tfstyle.models import patchgan_discriminator, unet_generator
from tfstyle.translate.base import UPDATES, TranslationGAN, image_grid


@keras.saving.register_keras_serializable(package="tfstyle")
class Pix2Pix(TranslationGAN):
    """Pix2Pix (cGAN + λ·L1), trainable with `fit` on (input, target) batches in [-1, 1].

    Reference: Isola et al., "Image-to-Image Translation with Conditional Adversarial Networks", CVPR 2017.
    Defaults as the paper: U-Net-256 generator, 70×70 PatchGAN on (input ‖ image), vanilla GAN loss,
    λ_L1 = 100, Adam(2e-4, β1 = 0.5), discriminator loss halved.

    Args:
        generator: a generator model. Defaults to `unet_generator(image_size, ngf, norm)`; any
            `tfstyle.models` generator (e.g. `resnet_generator`) works.
        discriminator: a discriminator taking 6 channels. Defaults to `patchgan_discriminator(6, ndf, norm=norm)`.
        image_size: training size (sets the U-Net depth). Defaults to 256.
        ngf: generator width. Defaults to 64.
        ndf: discriminator width. Defaults to 64.
        norm: "batch" (paper) or "instance". Defaults to "batch".

    Example:
    ```python
    model = tfstyle.Pix2Pix(image_size=256)
    model.compile()
    model.fit(tfstyle.data.load_paired("pix2pix/facades", direction="BtoA"), epochs=200)
    ```
    """

    def __init__(self, generator=None, discriminator=None, image_size=256, ngf=64, ndf=64, norm="batch", **kwargs):
        super().__init__(**kwargs)
        self.config = {"image_size": image_size, "ngf": ngf, "ndf": ndf, "norm": norm}
        self.generator = generator or unet_generator(image_size, ngf=ngf, norm=norm)
        self.discriminator = discriminator or patchgan_discriminator(6, ndf=ndf, norm=norm)

    def compile(self, g_optimizer=None, d_optimizer=None, gan_loss="vanilla", lambda_l1=100.0, update="sequential",
                **kwargs):  # fmt: skip
        """Configures training.

        Args:
            g_optimizer: generator optimiser. Defaults to Adam(2e-4, β1=0.5).
            d_optimizer: discriminator optimiser. Defaults to Adam(2e-4, β1=0.5).
            gan_loss: "vanilla" (paper), "lsgan" or "hinge". Defaults to "vanilla".
            lambda_l1: weight of the L1 term. Defaults to 100.
            update: "sequential" (the reference: update D, then G against the updated D) or "simultaneous"
                (the TF tutorial: both from one forward pass, one discriminator pass fewer).
                Defaults to "sequential".
            **kwargs: passed to `keras.Model.compile` (e.g. `jit_compile=True`, `steps_per_execution`).
        """
        super().compile(**kwargs)
        if update not in UPDATES:
            raise ValueError(f'Unknown update order. Received: update="{update}"; expected "sequential" or "simultaneous".')
        self.lambda_l1, self.update = float(lambda_l1), update
        self.configure_training(g_optimizer, d_optimizer, gan_loss, ("g_gan", "g_l1", "g_loss", "d_loss"),
                                ("l1", "psnr", "ssim"))  # fmt: skip

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def _d_loss(self, x, y, fake):
        real_logits = self.discriminator(tf.concat([x, y], -1), training=True)
        fake_logits = self.discriminator(tf.concat([x, tf.stop_gradient(fake)], -1), training=True)
        return 0.5 * self.gan_loss.discriminator(real_logits, fake_logits)

    def _g_losses(self, x, y, fake):
        g_gan = self.gan_loss.generator(self.discriminator(tf.concat([x, fake], -1), training=True))
        g_l1 = tf.reduce_mean(tf.abs(y - fake))
        return g_gan, g_l1, g_gan + self.lambda_l1 * g_l1

    def train_step(self, data):
        x, y = data
        (_, g_vars), (_, d_vars) = self.optimizer_variables()
        if self.update == "sequential":
            with tf.GradientTape(persistent=True) as tape:
                fake = self.generator(x, training=True)
                d_loss = self._d_loss(x, y, fake)
            self.apply_loss(tape, d_loss, self.d_optimizer, d_vars)
            with tape:  # continue recording: G's loss against the updated discriminator
                g_gan, g_l1, g_loss = self._g_losses(x, y, fake)
            self.apply_loss(tape, g_loss, self.g_optimizer, g_vars)
            del tape
        else:
            with tf.GradientTape(persistent=True) as tape:
                fake = self.generator(x, training=True)
                real_logits = self.discriminator(tf.concat([x, y], -1), training=True)
                fake_logits = self.discriminator(tf.concat([x, fake], -1), training=True)
                d_loss = 0.5 * self.gan_loss.discriminator(real_logits, fake_logits)
                g_gan = self.gan_loss.generator(fake_logits)
                g_l1 = tf.reduce_mean(tf.abs(y - fake))
                g_loss = g_gan + self.lambda_l1 * g_l1
            self.apply_loss(tape, d_loss, self.d_optimizer, d_vars)
            self.apply_loss(tape, g_loss, self.g_optimizer, g_vars)
            del tape
        for name, value in (("g_gan", g_gan), ("g_l1", g_l1), ("g_loss", g_loss), ("d_loss", d_loss)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def test_step(self, data):
        x, y = data
        fake = self.generator(x, training=False)
        self.test_trackers["l1"].update_state(metrics.l1(y, fake))
        self.test_trackers["psnr"].update_state(metrics.psnr(y, fake))
        self.test_trackers["ssim"].update_state(metrics.ssim(y, fake))
        return {name: tracker.result() for name, tracker in self.test_trackers.items()}

    def networks(self):
        return {"generator": self.generator, "discriminator": self.discriminator}

    def generators(self):
        return {"generator": self.generator}

    def generator_for(self, direction=None):
        return self.generator

    def optimizer_variables(self):
        return [(self.g_optimizer, self.generator.trainable_variables),
                (self.d_optimizer, self.discriminator.trainable_variables)]  # fmt: skip

    def sample_rows(self, batch):
        x, y = batch
        return image_grid([x, self.generator(x, training=False), y])

    def get_config(self):
        return {**super().get_config(), **self.config}
