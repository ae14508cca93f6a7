"""Pixel-range conversions: uint8 [0, 255] <-> float [-1, 1] (GAN range) and [0, 1] (metrics)."""

import tensorflow as tf


def to_model_range(images):
    """uint8 [0, 255] -> float32 [-1, 1] (tensor in, tensor out)."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def to_unit_range(images):
    """float [-1, 1] -> float32 [0, 1], clipped."""
    return tf.clip_by_value((tf.cast(images, tf.float32) + 1.0) / 2.0, 0.0, 1.0)


def to_uint8(images):
    """float [-1, 1] -> uint8 [0, 255], rounded and clipped (works on tensors and arrays)."""
    return tf.cast(tf.round(to_unit_range(images) * 255.0), tf.uint8)
