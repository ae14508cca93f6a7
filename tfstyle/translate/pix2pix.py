"""Pix2Pix: paired image-to-image translation with a conditional GAN, declared as a model kind."""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from tfstyle import _compat, metrics
from tfstyle.data import load_paired
from tfstyle.data.pipeline import DIRECTIONS
from tfstyle.models import NORMS, patchgan_discriminator, resnet_generator, unet_generator
from tfstyle.training import LinearDecay
from tfstyle.training.settings import TrainSettings, setting
from tfstyle.training.callbacks import image_grid
from tfstyle.translate.base import UPDATES, TranslationGAN
from tfstyle.translate.losses import GAN_LOSSES


@dataclasses.dataclass
class Pix2PixSettings(TrainSettings):
    """`tfstyle train pix2pix` / `tfstyle.train("pix2pix", ...)`: the paper's defaults (Isola et al. 2017)."""

    dataset: str = setting("pix2pix/facades", "paired source: pix2pix/NAME, synthetic/labels or a folder",
                           architecture=True)  # fmt: skip
    direction: str = setting("AtoB", "which half is the input (facades: BtoA = label map -> photo)",
                             architecture=True, choices=DIRECTIONS)  # fmt: skip
    generator: str = setting("unet", "U-Net (paper) or the ResNet generator", architecture=True,
                             choices=("unet", "resnet"))  # fmt: skip
    ngf: int = setting(64, "generator width", architecture=True)
    ndf: int = setting(64, "discriminator width", architecture=True)
    norm: str = setting("batch", "normalisation layers", architecture=True, choices=tuple(NORMS))
    gan_loss: str = setting("vanilla", "adversarial loss", choices=tuple(GAN_LOSSES))
    lambda_l1: float = setting(100.0, "weight of the L1 term")
    update: str = setting("sequential", "D then G against the updated D (reference), or both from one pass",
                          choices=UPDATES)  # fmt: skip


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

    kind_name = "pix2pix"
    description = "paired translation (Isola et al. 2017)"
    Settings = Pix2PixSettings
    validation_split = "val"

    def __init__(self, generator=None, discriminator=None, image_size=256, ngf=64, ndf=64, norm="batch", **kwargs):
        super().__init__(**kwargs)
        self.config = {"image_size": image_size, "ngf": ngf, "ndf": ndf, "norm": norm}
        self.generator = generator or unet_generator(image_size, ngf=ngf, norm=norm)
        self.discriminator = discriminator or patchgan_discriminator(6, ndf=ndf, norm=norm)

    def compile(self, g_optimizer=None, d_optimizer=None, gan_loss="vanilla", lambda_l1=100.0, update="sequential",
                learning_rate=2e-4, **kwargs):  # fmt: skip
        """Configures training.

        Args:
            g_optimizer: generator optimiser. Defaults to Adam(`learning_rate`, β1=0.5).
            d_optimizer: discriminator optimiser. Defaults to Adam(`learning_rate`, β1=0.5).
            gan_loss: "vanilla" (paper), "lsgan" or "hinge". Defaults to "vanilla".
            lambda_l1: weight of the L1 term. Defaults to 100.
            update: "sequential" (the reference: update D, then G against the updated D) or "simultaneous"
                (the TF tutorial: both from one forward pass, one discriminator pass fewer).
                Defaults to "sequential".
            learning_rate: rate or schedule of the default optimisers; the paper's is
                `LinearDecay(2e-4, steps_per_epoch, 100, 100)`. Defaults to 2e-4 (constant).
            **kwargs: passed to `keras.Model.compile` (e.g. `jit_compile=True`, `steps_per_execution`).
        """
        super().compile(**kwargs)
        if update not in UPDATES:
            raise ValueError(f'Unknown update order. Received: update="{update}"; expected "sequential" or "simultaneous".')
        self.lambda_l1, self.update = float(lambda_l1), update
        self.configure_training(g_optimizer, d_optimizer, learning_rate, gan_loss, ("g_gan", "g_l1", "g_loss", "d_loss"),
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
        return _compat.step_logs(self.trackers)

    def test_step(self, data):
        x, y = data
        fake = self.generator(x, training=False)
        self.test_trackers["l1"].update_state(metrics.l1(y, fake))
        self.test_trackers["psnr"].update_state(metrics.psnr(y, fake))
        self.test_trackers["ssim"].update_state(metrics.ssim(y, fake))
        return _compat.step_logs(self.test_trackers)

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

    # ---- the run-level declaration (tfstyle.train / tfstyle.Run) ----
    @classmethod
    def from_settings(cls, s, steps_per_epoch):
        generator = None
        if s.generator == "resnet":
            generator = resnet_generator(9 if s.image_size >= 256 else 6, ngf=s.ngf, norm=s.norm)
        model = cls(generator=generator, image_size=s.image_size, ngf=s.ngf, ndf=s.ndf, norm=s.norm)
        model.compile(learning_rate=LinearDecay(s.lr, steps_per_epoch, s.epochs, s.epochs_decay), gan_loss=s.gan_loss,
                      lambda_l1=s.lambda_l1, update=s.update, jit_compile=s.jit_compile)  # fmt: skip
        return model

    @classmethod
    def directions(cls, config):
        return {config.get("direction", "AtoB"): "generator"}  # the one generator maps the trained direction

    @classmethod
    def training_data(cls, s, split, batch_size, **options):
        return load_paired(s.dataset, split, image_size=s.image_size, direction=s.direction, batch_size=batch_size,
                           seed=s.seed, count=s.count, data_dir=s.data_dir, **options)  # fmt: skip

    @classmethod
    def dataset_inputs(cls, config, source, size, count, direction):
        ds = load_paired(source, "train", image_size=size, direction=direction or config.get("direction", "AtoB"),
                         batch_size=1, jitter=False, flip=False, shuffle=False,
                         count=max(count, 2) if source.startswith("synthetic/") else None)  # fmt: skip
        return np.stack([x[0].numpy() for x, _ in ds.take(count)])

    @classmethod
    def score(cls, generators, config, dataset, split, batch_size, max_images, inception):
        """L1, PSNR and SSIM of output vs target (and FID/KID against the targets with `inception`)."""
        generator = generators["generator"]
        ds = load_paired(dataset, split, image_size=config["image_size"], direction=config["direction"],
                         batch_size=batch_size, count=config.get("count"), data_dir=config.get("data_dir"))  # fmt: skip
        totals, columns = {"l1": [], "psnr": [], "ssim": []}, []
        for x, y in ds.take(-(-max_images // batch_size)) if max_images else ds:
            fake = generator(x, training=False)
            for name, fn in (("l1", metrics.l1), ("psnr", metrics.psnr), ("ssim", metrics.ssim)):
                totals[name].append(float(fn(y, fake)) * len(x))
            if inception:
                inception.update(real=y, fake=fake)
            columns.append([x, fake, y])
        count = sum(len(c[0]) for c in columns)
        results = {name: sum(values) / count for name, values in totals.items()}
        if inception:
            results.update(inception.result())
        return results, columns
