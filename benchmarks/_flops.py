"""Analytic FLOP counts of Keras conv networks (2 × multiply-adds of every convolution), for GFLOP/s figures."""

import numpy as np


def conv_flops(model, input_shape):
    """Forward FLOPs of `model` on one input of `input_shape` (H, W, C), counting Conv2D and Conv2DTranspose."""
    import keras

    probe = keras.Model(model.inputs, [layer.output for layer in model.layers if _is_conv(layer)])
    outputs = probe(np.zeros((1, *input_shape), np.float32))
    total = 0
    for layer, output in zip([l for l in model.layers if _is_conv(l)], outputs):
        kh, kw = layer.kernel_size
        in_channels = layer.kernel.shape[-1] if "Transpose" in type(layer).__name__ else layer.kernel.shape[-2]
        if "Transpose" in type(layer).__name__:  # each input pixel scatters a kh×kw×out kernel
            h, w = output.shape[1] // layer.strides[0], output.shape[2] // layer.strides[1]
            total += 2 * h * w * kh * kw * layer.filters * in_channels
        else:
            total += 2 * output.shape[1] * output.shape[2] * kh * kw * layer.filters * in_channels
    return total


def _is_conv(layer):
    return type(layer).__name__ in ("Conv2D", "Conv2DTranspose")
