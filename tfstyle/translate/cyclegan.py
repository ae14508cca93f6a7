"""CycleGAN: unpaired image-to-image translation with cycle consistency."""

import keras
import numpy as np
import tensorflow as tf

from tfstyle import metrics
from tfstyle.models import patchgan_discriminator, resnet_generator, unet_generator
from tfstyle.translate.base import TranslationGAN, image_grid
from tfstyle.translate.pool import ImagePool

GENERATORS = {"resnet": resnet_generator, "unet": unet_generator}
DIRECTIONS = ("AtoB", "BtoA")


@keras.saving.register_keras_serializable(package="tfstyle")
class CycleGAN(TranslationGAN):
    """CycleGAN: G: A→B, F: B→A, discriminators D_A (real A vs F(B)) and D_B (real B vs G(A)).

    Reference: Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks",
    ICCV 2017, and the authors' `cycle_gan_model.py`. Defaults as the paper: ResNet-9 generators, 70×70
    PatchGAN discriminators with instance norm, LSGAN, λ_A = λ_B = 10, identity weight 0.5·λ, image pools of 50,
    Adam(2e-4, β1 = 0.5), discriminator loss halved; generators are updated first, then discriminators on
    pooled fakes.

    Args:
        image_size: training crop size (sizes the pools; ResNet depth is set by `n_blocks`). Defaults to 256.
        generator: "resnet" (paper) or "unet" (as the TF tutorial). Defaults to "resnet".
        n_blocks: residual blocks of the ResNet generators (9 for 256 px, 6 for 128 px). Defaults to 9.
        ngf: generator width. Defaults to 64.
        ndf: discriminator width. Defaults to 64.
        norm: "instance" (paper), "batch" or "none". Defaults to "instance".
        pool_size: images per pool; 0 disables the pools. Defaults to 50.
        seed: seed of the pools' random choices. Defaults to None.
    """

    def __init__(self, image_size=256, generator="resnet", n_blocks=9, ngf=64, ndf=64, norm="instance",
                 pool_size=50, seed=None, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        if generator not in GENERATORS:
            raise ValueError(f'Unknown generator. Received: generator="{generator}"; expected "resnet" or "unet".')
        self.config = {"image_size": image_size, "generator": generator, "n_blocks": n_blocks, "ngf": ngf,
                       "ndf": ndf, "norm": norm, "pool_size": pool_size, "seed": seed}  # fmt: skip
        make = (lambda: resnet_generator(n_blocks, ngf=ngf, norm=norm)) if generator == "resnet" else (
            lambda: unet_generator(image_size, ngf=ngf, norm=norm))  # fmt: skip
        self.generator_ab, self.generator_ba = make(), make()
        self.generator_ab.name, self.generator_ba.name = "generator_AtoB", "generator_BtoA"
        self.discriminator_a = patchgan_discriminator(3, ndf=ndf, norm=norm)
        self.discriminator_b = patchgan_discriminator(3, ndf=ndf, norm=norm)
        shape = (image_size, image_size, 3)
        self.pool_a = ImagePool(pool_size, shape, seed=seed, name="pool_A")
        self.pool_b = ImagePool(pool_size, shape, seed=None if seed is None else seed + 1, name="pool_B")

    def compile(self, g_optimizer=None, d_optimizer=None, gan_loss="lsgan", lambda_a=10.0, lambda_b=10.0,
                lambda_identity=0.5, fuse_passes=True, **kwargs):  # fmt: skip
        """Configures training.

        Args:
            g_optimizer: optimiser of both generators. Defaults to Adam(2e-4, β1=0.5).
            d_optimizer: optimiser of both discriminators. Defaults to Adam(2e-4, β1=0.5).
            gan_loss: "lsgan" (paper), "vanilla" or "hinge". Defaults to "lsgan".
            lambda_a: weight of the A→B→A cycle loss. Defaults to 10.
            lambda_b: weight of the B→A→B cycle loss. Defaults to 10.
            lambda_identity: identity-loss weight relative to λ (0 disables). Defaults to 0.5.
            fuse_passes: run independent passes through the same network (G(A) and the identity G(B); a
                discriminator on real and pooled fake images) as one batch when the norm is per-image, which
                leaves the maths unchanged and is faster. Defaults to True.
            **kwargs: passed to `keras.Model.compile` (e.g. `jit_compile=True`).
        """
        super().compile(**kwargs)
        self.lambda_a, self.lambda_b, self.lambda_identity = float(lambda_a), float(lambda_b), float(lambda_identity)
        self.fuse_passes = bool(fuse_passes)
        self.configure_training(g_optimizer, d_optimizer, gan_loss, ("g_loss", "g_gan", "cycle", "identity", "d_loss"),
                                ("cycle_l1", "identity_l1"))  # fmt: skip

    def call(self, inputs, training=False):
        return self.generator_ab(inputs, training=training)

    def _twice(self, network, first, second):
        """network(first), network(second): as one batch when the norm is per-image (instance norm / none), which
        keeps the maths (CPU convs run ~7% faster per image at batch 2); as two calls under batch norm, whose
        statistics one batch would mix."""
        if not (self.fuse_passes and self.config["norm"] != "batch"):
            return network(first, training=True), network(second, training=True)
        both = network(tf.concat([first, second], 0), training=True)
        return both[: tf.shape(first)[0]], both[tf.shape(first)[0] :]

    def train_step(self, data):
        real_a, real_b = data
        (_, g_vars), (_, d_vars) = self.optimizer_variables()
        l1 = lambda x, y: tf.reduce_mean(tf.abs(x - y))  # noqa: E731
        with tf.GradientTape() as tape:
            if self.lambda_identity > 0:  # G(A) with the identity pass G(B), F(B) with F(A)
                fake_b, same_b = self._twice(self.generator_ab, real_a, real_b)
                fake_a, same_a = self._twice(self.generator_ba, real_b, real_a)
            else:
                fake_b, fake_a = self.generator_ab(real_a, training=True), self.generator_ba(real_b, training=True)
            rec_a = self.generator_ba(fake_b, training=True)
            rec_b = self.generator_ab(fake_a, training=True)
            g_gan = self.gan_loss.generator(self.discriminator_b(fake_b, training=True)) + self.gan_loss.generator(
                self.discriminator_a(fake_a, training=True))  # fmt: skip
            cycle = self.lambda_a * l1(rec_a, real_a) + self.lambda_b * l1(rec_b, real_b)
            identity = tf.constant(0.0)
            if self.lambda_identity > 0:
                identity = self.lambda_identity * (self.lambda_b * l1(same_b, real_b) + self.lambda_a * l1(same_a, real_a))
            g_loss = g_gan + cycle + identity
        self.apply_loss(tape, g_loss, self.g_optimizer, g_vars)

        pooled_b = self.pool_b(tf.stop_gradient(fake_b))
        pooled_a = self.pool_a(tf.stop_gradient(fake_a))
        with tf.GradientTape() as tape:
            d_b = self.gan_loss.discriminator(*self._twice(self.discriminator_b, real_b, pooled_b))
            d_a = self.gan_loss.discriminator(*self._twice(self.discriminator_a, real_a, pooled_a))
            d_loss = 0.5 * (d_a + d_b)
        self.apply_loss(tape, d_loss, self.d_optimizer, d_vars)
        values = {"g_loss": g_loss, "g_gan": g_gan, "cycle": cycle, "identity": identity, "d_loss": d_loss}
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def test_step(self, data):
        real_a, real_b = data
        fake_b = self.generator_ab(real_a, training=False)
        fake_a = self.generator_ba(real_b, training=False)
        cycle = 0.5 * (metrics.l1(real_a, self.generator_ba(fake_b, training=False))
                       + metrics.l1(real_b, self.generator_ab(fake_a, training=False)))  # fmt: skip
        identity = 0.5 * (metrics.l1(real_b, self.generator_ab(real_b, training=False))
                          + metrics.l1(real_a, self.generator_ba(real_a, training=False)))  # fmt: skip
        self.test_trackers["cycle_l1"].update_state(cycle)
        self.test_trackers["identity_l1"].update_state(identity)
        return {name: tracker.result() for name, tracker in self.test_trackers.items()}

    def networks(self):
        return {"generator_AtoB": self.generator_ab, "generator_BtoA": self.generator_ba,
                "discriminator_A": self.discriminator_a, "discriminator_B": self.discriminator_b}  # fmt: skip

    def checkpoint_items(self):
        return {**super().checkpoint_items(), "pool_A": self.pool_a, "pool_B": self.pool_b}

    def training_state(self):
        pools = {"pool_A": int(self.pool_a.count.numpy()), "pool_B": int(self.pool_b.count.numpy())}
        return {**super().training_state(), **pools}

    def generators(self):
        return {"generator_AtoB": self.generator_ab, "generator_BtoA": self.generator_ba}

    def generator_for(self, direction="AtoB"):
        if direction not in DIRECTIONS:
            raise ValueError(f'Unknown direction. Received: direction="{direction}"; expected "AtoB" or "BtoA".')
        return self.generator_ab if direction == "AtoB" else self.generator_ba

    def translate(self, images, direction="AtoB", test_time_dropout=False):
        return super().translate(images, direction, test_time_dropout)

    def optimizer_variables(self):
        return [
            (self.g_optimizer, self.generator_ab.trainable_variables + self.generator_ba.trainable_variables),
            (self.d_optimizer, self.discriminator_a.trainable_variables + self.discriminator_b.trainable_variables),
        ]

    def sample_rows(self, batch):
        real_a, real_b = batch
        fake_b = self.generator_ab(real_a, training=False)
        fake_a = self.generator_ba(real_b, training=False)
        rows_a = image_grid([real_a, fake_b, self.generator_ba(fake_b, training=False)])
        rows_b = image_grid([real_b, fake_a, self.generator_ab(fake_a, training=False)])
        return np.concatenate([rows_a, rows_b], axis=0)

    def get_config(self):
        return {**super().get_config(), **self.config}
