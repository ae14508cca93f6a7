"""Adaptive instance normalisation (Huang & Belongie 2017): its layers and the paper's decoder.

A style is the channel means and standard deviations of the encoder's relu4_1 features, a vector of 2·C numbers
(`FeatureStatistics`); `AdaptiveInstanceNormalization` gives the content features those statistics; the decoder
turns the result back into an image. Splitting at the vector lets an app compute a style once.
"""

import keras
from keras import layers, ops

from tfstyle.models.conv import Conv2D
from tfstyle.models.layers import NearestUpsampling2D, ReflectionPadding2D, torch_default_init

EPSILON = 1e-5  # added to the variance, as the reference's calc_mean_std


def feature_statistics(features, epsilon=EPSILON):
    """(mean, std) over H and W of (B, H, W, C) features; the variance is unbiased (÷ (H·W − 1)), as the reference
    computes it with torch.var, plus `epsilon`."""
    mean = ops.mean(features, axis=[1, 2], keepdims=True)
    count = ops.cast(ops.shape(features)[1] * ops.shape(features)[2], features.dtype)
    variance = ops.sum(ops.square(features - mean), axis=[1, 2], keepdims=True) / ops.maximum(count - 1.0, 1.0)
    return mean, ops.sqrt(variance + epsilon)


def style_vector(features):
    """(B, H, W, C) features -> (B, 2·C) style vector: channel means, then standard deviations (float32)."""
    mean, std = feature_statistics(ops.cast(features, "float32"))
    return ops.concatenate([mean[:, 0, 0], std[:, 0, 0]], axis=-1)


def adain(content, vector):
    """σ(y)·(x − μ(x))/σ(x) + μ(y) for content features x (B, H, W, C) and a style vector (B, 2·C) of y."""
    content, vector = ops.cast(content, "float32"), ops.cast(vector, "float32")
    channels = content.shape[-1]
    mean, std = feature_statistics(content)
    style_mean = ops.reshape(vector[:, :channels], (-1, 1, 1, channels))
    style_std = ops.reshape(vector[:, channels:], (-1, 1, 1, channels))
    return (content - mean) / std * style_std + style_mean


@keras.saving.register_keras_serializable(package="tfstyle")
class FeatureStatistics(layers.Layer):
    """`style_vector` as a layer: (B, H, W, C) features -> (B, 2·C)."""

    def call(self, features):
        return style_vector(features)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 * input_shape[-1])


@keras.saving.register_keras_serializable(package="tfstyle")
class AdaptiveInstanceNormalization(layers.Layer):
    """AdaIN(x, y) = σ(y)·(x − μ(x))/σ(x) + μ(y): inputs [content features (B, H, W, C), style vector (B, 2·C)].

    AdaIN is linear in the style vector, so blending vectors blends styles, and blending a style with the
    content's own vector is the paper's content-style trade-off α.
    """

    def call(self, inputs):
        return adain(inputs[0], inputs[1])

    def compute_output_shape(self, input_shape):
        return input_shape[0]


def adain_decoder(channels=512):
    """Builds the AdaIN decoder: relu4_1-sized features back to an image.

    Reference: Huang & Belongie, "Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization",
    ICCV 2017, and the authors' PyTorch `decoder` (naoto0804/pytorch-AdaIN, net.py): nine reflection-padded 3×3
    convolutions 512→256, 256→256 ×3, 256→128, 128→128, 128→64, 64→64, 64→3, with nearest ×2 upsampling after
    the first, fifth and seventh, ReLU after all but the last; no normalisation. 3,505,219 trainable parameters.

    Args:
        channels: channels of the encoder features (512 at relu4_1 of VGG-16 and VGG-19). Defaults to 512.

    Returns:
        A functional `keras.Model` mapping (B, h, w, channels) to (B, 8h, 8w, 3) images in the encoder's [0, 1]
        pixel range (not clipped).
    """
    plan = [(256, True), (256, False), (256, False), (256, False), (128, True), (128, False), (64, True),
            (64, False), (3, False)]  # (filters, upsample after)  # fmt: skip
    inputs = keras.Input((None, None, channels), name="features")
    x = inputs
    for i, (filters, upsample) in enumerate(plan, 1):
        kernel_init, bias_init = torch_default_init(3, x.shape[-1])
        x = ReflectionPadding2D(1, name=f"decoder_pad{i}")(x)
        x = Conv2D(filters, 3, kernel_initializer=kernel_init, bias_initializer=bias_init, name=f"decoder_conv{i}")(x)
        if i < len(plan):
            x = layers.ReLU(name=f"decoder_relu{i}")(x)
        if upsample:
            x = NearestUpsampling2D(2, name=f"decoder_up{i}")(x)
    outputs = layers.Activation("linear", dtype="float32", name="decoder_output")(x)
    return keras.Model(inputs, outputs, name="adain_decoder")
