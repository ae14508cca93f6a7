"""The pix2pix U-Net generator."""

import math

import keras
from keras import layers

from tfstyle.models.conv import Conv2D, Conv2DTranspose
from tfstyle.models.layers import CONV_INIT, conv_bias, norm_layer


def unet_generator(image_size=256, ngf=64, norm="batch", dropout=0.5, in_channels=3, out_channels=3, num_downs=None):
    """Builds the pix2pix U-Net generator.

    Reference: Isola et al., "Image-to-Image Translation with Conditional Adversarial Networks", CVPR 2017,
    and the authors' `UnetGenerator` (junyanz/pytorch-CycleGAN-and-pix2pix, models/networks.py).

    Encoder: `num_downs` stride-2 4×4 convolutions (C64-C128-C256-C512-C512-C512-C512-C512 for 256 px), LeakyReLU
    0.2, norm on all but the outermost and innermost. Decoder: ReLU, stride-2 4×4 transposed convolutions with
    norm, dropout in the `num_downs - 5` blocks just above the innermost (3 for U-Net-256), skip connections,
    tanh output. Weights ~ N(0, 0.02). With ngf=64 and batch norm: 54,413,955 trainable parameters.

    ```
    x ──down1──► d1 ──down2──► ... ──down8──► d8 (1×1 at 256 px)
    │             │                             │
    │             └──── concat ◄── up2 ◄─ ... ◄─┘
    └─────────── out = tanh(up1(concat(lrelu(d1), up2)))
    ```
    As in the reference (whose LeakyReLU is in-place), each skip carries the LeakyReLU-activated features.

    Args:
        image_size: training size; sets `num_downs` = log2(image_size) (8 for 256, 7 for 128). Defaults to 256.
        ngf: filters of the outermost layer. Defaults to 64.
        norm: "batch", "instance" (TFLite-friendly) or "none". Defaults to "batch".
        dropout: dropout rate of the inner decoder blocks; 0 disables. Defaults to 0.5.
        in_channels: input channels. Defaults to 3.
        out_channels: output channels. Defaults to 3.
        num_downs: number of downsamplings; overrides `image_size`. Defaults to None.

    Returns:
        A functional `keras.Model` mapping (B, H, W, in_channels) in [-1, 1] to (B, H, W, out_channels) in
        [-1, 1]; H and W must be multiples of 2**num_downs.

    Example:
    ```python
    g = unet_generator(256)           # U-Net-256
    y = g(keras.ops.zeros((1, 256, 256, 3)))
    ```
    """
    make_norm, use_bias = norm_layer(norm), conv_bias(norm)
    num_downs = num_downs or int(math.log2(max(image_size, 1)))
    if num_downs < 5:
        raise ValueError(f"U-Net needs at least 5 downsamplings (images of 32 px or more). Received: "
                         f"num_downs={num_downs}, image_size={image_size}")  # fmt: skip
    if image_size % 2**num_downs:
        raise ValueError(f"A U-Net with {num_downs} downsamplings takes sizes that are multiples of {2**num_downs}. "
                         f"Received: image_size={image_size}; use {image_size // 2**num_downs * 2**num_downs or 2**num_downs} "
                         f"or {(image_size // 2**num_downs + 1) * 2**num_downs}, or pass num_downs.")  # fmt: skip
    filters = [min(ngf * 2**i, ngf * 8) for i in range(num_downs)]
    dropout_levels = set(range(max(num_downs - 5, 0))) if dropout else set()  # counted from the innermost

    inputs = keras.Input((None, None, in_channels), name="image")
    x, skips = inputs, []
    for i in range(num_downs):
        level = i + 1
        if i > 0:
            x = layers.LeakyReLU(0.2, name=f"unet_down{level}_lrelu")(x)
            skips.append(x)
        x = Conv2D(filters[i], 4, 2, "same", use_bias=use_bias, kernel_initializer=CONV_INIT(),
                   name=f"unet_down{level}")(x)  # fmt: skip
        if 0 < i < num_downs - 1:
            x = make_norm(f"unet_down{level}_norm")(x)
    for i in reversed(range(1, num_downs)):
        level = i + 1
        x = layers.ReLU(name=f"unet_up{level}_relu")(x)
        x = Conv2DTranspose(filters[i - 1], 4, 2, "same", use_bias=use_bias, kernel_initializer=CONV_INIT(),
                            name=f"unet_up{level}")(x)  # fmt: skip
        x = make_norm(f"unet_up{level}_norm")(x)
        if (num_downs - 1 - level) in dropout_levels:
            x = layers.Dropout(dropout, name=f"unet_up{level}_dropout")(x)
        x = layers.Concatenate(name=f"unet_skip{level}")([skips[i - 1], x])
    x = layers.ReLU(name="unet_up1_relu")(x)
    x = Conv2DTranspose(out_channels, 4, 2, "same", kernel_initializer=CONV_INIT(), name="unet_up1")(x)
    outputs = layers.Activation("tanh", dtype="float32", name="unet_output")(x)
    return keras.Model(inputs, outputs, name=f"unet_generator_{num_downs}")
