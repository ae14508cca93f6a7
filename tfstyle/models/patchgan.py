"""PatchGAN discriminators (pix2pix, CycleGAN)."""

import keras
from keras import layers

from tfstyle.models.conv import Conv2D
from tfstyle.models.layers import CONV_INIT, conv_bias, norm_layer


def patchgan_discriminator(in_channels=3, ndf=64, n_layers=3, norm="batch"):
    """Builds the 70×70 PatchGAN discriminator (n_layers=3).

    Reference: Isola et al. CVPR 2017 (§3.2.2) and the authors' `NLayerDiscriminator`
    (junyanz/pytorch-CycleGAN-and-pix2pix, models/networks.py): C64-C128-C256-C512, 4×4 kernels, stride 2
    except the last two layers (stride 1), padding 1, LeakyReLU 0.2, no norm on the first layer, a 1-channel
    logit map. Convolutions after the first have a bias only when the norm is not batch norm.
    For 256×256 input the output is 30×30. Trainable parameters: 2,768,705 (in_channels=6, batch norm);
    2,764,737 (in_channels=3, instance norm).

    Args:
        in_channels: input channels: 6 for the conditional pix2pix D (input ‖ output), 3 for CycleGAN.
            Defaults to 3.
        ndf: filters of the first layer. Defaults to 64.
        n_layers: number of stride-2 layers; 3 gives 70×70 receptive fields. Defaults to 3.
        norm: "batch", "instance" or "none". Defaults to "batch".

    Returns:
        A functional `keras.Model` mapping (B, H, W, in_channels) to float32 logits (B, H/8-2, W/8-2, 1).
    """
    make_norm, use_bias = norm_layer(norm), conv_bias(norm)
    inputs = keras.Input((None, None, in_channels), name="image")
    x = layers.ZeroPadding2D(1, name="patchgan_pad1")(inputs)
    x = Conv2D(ndf, 4, 2, kernel_initializer=CONV_INIT(), name="patchgan_conv1")(x)
    x = layers.LeakyReLU(0.2, name="patchgan_lrelu1")(x)
    for n in range(1, n_layers + 1):
        stride = 2 if n < n_layers else 1
        x = layers.ZeroPadding2D(1, name=f"patchgan_pad{n + 1}")(x)
        x = Conv2D(ndf * min(2**n, 8), 4, stride, use_bias=use_bias, kernel_initializer=CONV_INIT(),
                   name=f"patchgan_conv{n + 1}")(x)  # fmt: skip
        x = make_norm(f"patchgan_norm{n + 1}")(x)
        x = layers.LeakyReLU(0.2, name=f"patchgan_lrelu{n + 1}")(x)
    x = layers.ZeroPadding2D(1, name=f"patchgan_pad{n_layers + 2}")(x)
    x = Conv2D(1, 4, 1, kernel_initializer=CONV_INIT(), name="patchgan_logits")(x)
    outputs = layers.Activation("linear", dtype="float32", name="patchgan_output")(x)
    return keras.Model(inputs, outputs, name=f"patchgan_{n_layers}_layers")


def pixel_discriminator(in_channels=3, ndf=64, norm="batch"):
    """Builds the 1×1 PixelGAN discriminator (the reference's `PixelDiscriminator`): per-pixel logits.

    Args:
        in_channels: input channels. Defaults to 3.
        ndf: filters of the first layer. Defaults to 64.
        norm: "batch", "instance" or "none". Defaults to "batch".
    """
    make_norm, use_bias = norm_layer(norm), conv_bias(norm)
    inputs = keras.Input((None, None, in_channels), name="image")
    x = Conv2D(ndf, 1, kernel_initializer=CONV_INIT(), name="pixelgan_conv1")(inputs)
    x = layers.LeakyReLU(0.2, name="pixelgan_lrelu1")(x)
    x = Conv2D(ndf * 2, 1, use_bias=use_bias, kernel_initializer=CONV_INIT(), name="pixelgan_conv2")(x)
    x = make_norm("pixelgan_norm2")(x)
    x = layers.LeakyReLU(0.2, name="pixelgan_lrelu2")(x)
    x = Conv2D(1, 1, use_bias=use_bias, kernel_initializer=CONV_INIT(), name="pixelgan_logits")(x)
    outputs = layers.Activation("linear", dtype="float32", name="pixelgan_output")(x)
    return keras.Model(inputs, outputs, name="pixelgan")
