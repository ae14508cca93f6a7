"""Image-quality metrics, usable as plain functions and inside `test_step`.

All functions take float images in [-1, 1] (the models' range), shape (B, H, W, 3), and return per-batch
means as float32 scalars. KID/FID need InceptionV3 features: see `tfstyle.translate.evaluate`.
"""

import tensorflow as tf

from tfstyle.data.convert import to_unit_range


def l1(real, fake):
    """Mean absolute error on [0, 1] images."""
    return tf.reduce_mean(tf.abs(to_unit_range(real) - to_unit_range(fake)))


def psnr(real, fake):
    """Peak signal-to-noise ratio in dB on [0, 1] images (mean over the batch)."""
    return tf.reduce_mean(tf.image.psnr(to_unit_range(real), to_unit_range(fake), max_val=1.0))


def ssim(real, fake):
    """Structural similarity (Wang et al. 2004) on [0, 1] images; window shrinks for tiny images."""
    size = min(11, int(real.shape[1] or 11), int(real.shape[2] or 11))
    return tf.reduce_mean(tf.image.ssim(to_unit_range(real), to_unit_range(fake), max_val=1.0, filter_size=size))


def stripe_score(images):
    """Stripe energy for `synthetic/stripes`: mean luminance gradient magnitude, scaled to be size-invariant.

    Plain blobs (domain A) score near 0.01, zebra-striped blobs (domain B) several times higher, so a
    translation A→B that learns to paint stripes raises it. Weight-free: usable offline.
    """
    lum = tf.reduce_mean(to_unit_range(images), axis=-1)
    gx = tf.reduce_mean(tf.abs(lum[:, :, 1:] - lum[:, :, :-1]))
    gy = tf.reduce_mean(tf.abs(lum[:, 1:, :] - lum[:, :-1, :]))
    return (gx + gy) * tf.cast(tf.shape(images)[1], tf.float32) / 64.0
