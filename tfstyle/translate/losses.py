"""Adversarial losses on discriminator logits, chosen by name (`gan_loss="vanilla" | "lsgan" | "hinge"`)."""

import tensorflow as tf


class VanillaGAN:
    """Binary cross-entropy on logits (Goodfellow et al. 2014; pix2pix's default)."""

    def discriminator(self, real, fake):
        bce = tf.nn.sigmoid_cross_entropy_with_logits
        return tf.reduce_mean(bce(tf.ones_like(real), real)) + tf.reduce_mean(bce(tf.zeros_like(fake), fake))

    def generator(self, fake):
        return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(fake), fake))


class LSGAN:
    """Least squares (Mao et al. 2017; CycleGAN's default): D pushes real to 1 and fake to 0."""

    def discriminator(self, real, fake):
        return tf.reduce_mean(tf.square(real - 1.0)) + tf.reduce_mean(tf.square(fake))

    def generator(self, fake):
        return tf.reduce_mean(tf.square(fake - 1.0))


class HingeGAN:
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018)."""

    def discriminator(self, real, fake):
        return tf.reduce_mean(tf.nn.relu(1.0 - real)) + tf.reduce_mean(tf.nn.relu(1.0 + fake))

    def generator(self, fake):
        return -tf.reduce_mean(fake)


GAN_LOSSES = {"vanilla": VanillaGAN, "lsgan": LSGAN, "hinge": HingeGAN}


def gan_loss(name):
    """The GAN loss object for `name`; the error lists the valid names."""
    if name not in GAN_LOSSES:
        choices = ", ".join(f'"{n}"' for n in GAN_LOSSES)
        raise ValueError(f'Unknown GAN loss. Received: gan_loss="{name}"; expected one of {choices}.')
    return GAN_LOSSES[name]()
