"""Running a trained generator on images of any size: pad to a valid size, translate, crop back."""

import keras
import numpy as np
import tensorflow as tf

from tfstyle.data.convert import to_model_range, to_uint8


def size_multiple(generator):
    """2**(number of stride-2 downsamplings) of a generator, nested models included: inputs must be multiples of
    this. (Parallel nested branches are counted as if stacked, which can only pad more than needed.)"""
    downs = 0
    for layer in generator.layers:
        if isinstance(layer, keras.Model):
            downs += _log2(size_multiple(layer))
            continue
        strides = getattr(layer, "strides", None)
        if strides and tuple(strides) == (2, 2) and "Transpose" not in type(layer).__name__:
            downs += 1
    return 2**downs


def _log2(value):
    return value.bit_length() - 1


def _pad_to_multiple(images, multiple):
    """Mirror-pads H and W up to a multiple (repeatedly, so tiny images can be padded a lot)."""
    height, width = images.shape[1], images.shape[2]
    target_h, target_w = -(-height // multiple) * multiple, -(-width // multiple) * multiple
    while images.shape[1] < target_h or images.shape[2] < target_w:
        pad_h = min(target_h - images.shape[1], images.shape[1])
        pad_w = min(target_w - images.shape[2], images.shape[2])
        images = tf.pad(images, [[0, 0], [pad_h // 2, pad_h - pad_h // 2], [pad_w // 2, pad_w - pad_w // 2], [0, 0]],
                        mode="SYMMETRIC")  # fmt: skip
    return images


def translate_images(generator, images, test_time_dropout=False):
    """Translates uint8 RGB images (one array (H, W, 3) or a batch (N, H, W, 3)) of any size; returns uint8.

    Args:
        generator: a generator from `tfstyle.models`.
        images: uint8 array(s).
        test_time_dropout: the pix2pix paper's test-time behaviour: dropout active and batch-norm using the
            statistics of the test batch. Moving statistics are left untouched. Defaults to False.
    """
    images = np.asarray(images)
    single = images.ndim == 3
    batch = tf.constant(images[None] if single else images)
    height, width = batch.shape[1], batch.shape[2]
    padded = _pad_to_multiple(batch, size_multiple(generator))
    top = (padded.shape[1] - height) // 2
    left = (padded.shape[2] - width) // 2
    if test_time_dropout:
        saved = [w.numpy() for w in generator.non_trainable_weights]
        output = generator(to_model_range(padded), training=True)
        for weight, value in zip(generator.non_trainable_weights, saved):
            weight.assign(value)
    else:
        output = generator(to_model_range(padded), training=False)
    output = to_uint8(output[:, top : top + height, left : left + width]).numpy()
    return output[0] if single else output
