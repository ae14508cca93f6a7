"""CycleGAN: unpaired image-to-image translation with cycle consistency, declared as a model kind."""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from tfstyle import _compat, metrics
from tfstyle.data import load_domains, load_unpaired
from tfstyle.models import NORMS, patchgan_discriminator, resnet_generator, unet_generator
from tfstyle.training import LinearDecay
from tfstyle.training.settings import TrainSettings, setting
from tfstyle.training.callbacks import image_grid
from tfstyle.translate.base import TranslationGAN
from tfstyle.translate.losses import GAN_LOSSES
from tfstyle.translate.pool import ImagePool

GENERATORS = {"resnet": resnet_generator, "unet": unet_generator}
DIRECTIONS = ("AtoB", "BtoA")


@dataclasses.dataclass
class CycleGANSettings(TrainSettings):
    """`tfstyle train cyclegan` / `tfstyle.train("cyclegan", ...)`: the paper's defaults (Zhu et al. 2017)."""

    dataset: str = setting("cycle_gan/horse2zebra", "unpaired source: cycle_gan/NAME, synthetic/stripes or a folder "
                           "with trainA/ trainB/", architecture=True)  # fmt: skip
    generator: str = setting("resnet", "ResNet (paper) or U-Net generators", architecture=True, choices=tuple(GENERATORS))
    n_blocks: int = setting(9, "residual blocks (9 for 256 px, 6 for 128 px)", architecture=True)
    ngf: int = setting(64, "generator width", architecture=True)
    ndf: int = setting(64, "discriminator width", architecture=True)
    norm: str = setting("instance", "normalisation layers", architecture=True, choices=tuple(NORMS))
    gan_loss: str = setting("lsgan", "adversarial loss", choices=tuple(GAN_LOSSES))
    lambda_cycle: float = setting(10.0, "weight of each cycle-consistency loss")
    lambda_identity: float = setting(0.5, "identity-loss weight relative to lambda_cycle; 0 disables")
    pool_size: int = setting(50, "generated images kept per image pool; 0 disables", architecture=True)


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

    kind_name = "cyclegan"
    description = "unpaired translation (Zhu et al. 2017)"
    Settings = CycleGANSettings
    validation_split = "test"

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
                lambda_identity=0.5, fuse_passes=True, learning_rate=2e-4, **kwargs):  # fmt: skip
        """Configures training.

        Args:
            g_optimizer: optimiser of both generators. Defaults to Adam(`learning_rate`, β1=0.5).
            d_optimizer: optimiser of both discriminators. Defaults to Adam(`learning_rate`, β1=0.5).
            gan_loss: "lsgan" (paper), "vanilla" or "hinge". Defaults to "lsgan".
            lambda_a: weight of the A→B→A cycle loss. Defaults to 10.
            lambda_b: weight of the B→A→B cycle loss. Defaults to 10.
            lambda_identity: identity-loss weight relative to λ (0 disables). Defaults to 0.5.
            fuse_passes: run independent passes through the same network (G(A) and the identity G(B); a
                discriminator on real and pooled fake images) as one batch when the norm is per-image, which
                leaves the maths unchanged and is faster. Defaults to True.
            learning_rate: rate or schedule of the default optimisers; the paper's is
                `LinearDecay(2e-4, steps_per_epoch, 100, 100)`. Defaults to 2e-4 (constant).
            **kwargs: passed to `keras.Model.compile` (e.g. `jit_compile=True`).
        """
        super().compile(**kwargs)
        self.lambda_a, self.lambda_b, self.lambda_identity = float(lambda_a), float(lambda_b), float(lambda_identity)
        self.fuse_passes = bool(fuse_passes)
        self.configure_training(g_optimizer, d_optimizer, learning_rate, gan_loss, ("g_loss", "g_gan", "cycle", "identity", "d_loss"),
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
        return _compat.step_logs(self.trackers)

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
        return _compat.step_logs(self.test_trackers)

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

    # ---- the run-level declaration (tfstyle.train / tfstyle.Run) ----
    @classmethod
    def from_settings(cls, s, steps_per_epoch):
        model = cls(image_size=s.image_size, generator=s.generator, n_blocks=s.n_blocks, ngf=s.ngf, ndf=s.ndf,
                    norm=s.norm, pool_size=s.pool_size, seed=s.seed)  # fmt: skip
        model.compile(learning_rate=LinearDecay(s.lr, steps_per_epoch, s.epochs, s.epochs_decay), gan_loss=s.gan_loss,
                      lambda_a=s.lambda_cycle, lambda_b=s.lambda_cycle, lambda_identity=s.lambda_identity,
                      jit_compile=s.jit_compile)  # fmt: skip
        return model

    @classmethod
    def training_data(cls, s, split, batch_size, **options):
        return load_unpaired(s.dataset, split, image_size=s.image_size, batch_size=batch_size, seed=s.seed,
                             count=s.count, data_dir=s.data_dir, **options)  # fmt: skip

    @classmethod
    def directions(cls, config):
        return {"AtoB": "generator_AtoB", "BtoA": "generator_BtoA"}

    @classmethod
    def dataset_inputs(cls, config, source, size, count, direction):
        a, b = load_domains(source, "train", image_size=size, count=max(count, 2) if source.startswith("synthetic/") else None)
        return np.concatenate([x.numpy() for x in (a if direction != "BtoA" else b).take(count)])

    @classmethod
    def score(cls, generators, config, dataset, split, batch_size, max_images, inception):
        """Cycle and identity L1 per domain over every test image of that domain exactly once (and the stripe score
        on synthetic/stripes); with `inception`, FID/KID of G(A) against all real B and of F(B) against all real A."""
        g, f = generators["generator_AtoB"], generators["generator_BtoA"]
        domains = load_domains(dataset, split, image_size=config["image_size"], batch_size=batch_size,
                               count=config.get("count"), data_dir=config.get("data_dir"))  # fmt: skip
        distances = {"A": inception, "B": inception.fresh()} if inception else {}
        sums, counts, columns = {}, {}, []
        for side, ds, forward, backward in (("A", domains[0], g, f), ("B", domains[1], f, g)):
            for real in ds.take(-(-max_images // batch_size)) if max_images else ds:
                fake = forward(real, training=False)
                rec = backward(fake, training=False)
                scores = {f"cycle_l1_{side}": metrics.l1(real, rec),
                          f"identity_l1_{side}": metrics.l1(real, backward(real, training=False))}  # fmt: skip
                if dataset == "synthetic/stripes" and side == "A":
                    scores.update(stripe_A=metrics.stripe_score(real), stripe_AtoB=metrics.stripe_score(fake))
                for name, value in scores.items():
                    sums[name] = sums.get(name, 0.0) + float(value) * len(real)
                    counts[name] = counts.get(name, 0) + len(real)
                if inception:  # A→B is judged against real B (updated on the other side's pass)
                    distances[side].update(fake=fake)
                    distances["B" if side == "A" else "A"].update(real=real)
                if side == "A" and len(columns) < 2:
                    columns.append([real, fake, rec])
        results = {name: total / counts[name] for name, total in sums.items()}
        results.update({"images_A": counts["cycle_l1_A"], "images_B": counts["cycle_l1_B"]})
        for side, direction in (("A", "_AtoB"), ("B", "_BtoA")):
            if side in distances:
                results.update({f"{name}{direction}": value for name, value in distances[side].result().items()})
        return results, columns
