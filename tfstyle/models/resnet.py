"""The CycleGAN ResNet generator (after Johnson et al.'s fast style transfer network)."""

import keras
from keras import layers

from tfstyle.models.conv import Conv2D
from tfstyle.models.layers import CONV_INIT, Cropping2D, ReflectionPadding2D, conv_bias, norm_layer


def resnet_generator(n_blocks=9, ngf=64, norm="instance", dropout=0.0, in_channels=3, out_channels=3):
    """Builds the CycleGAN ResNet generator.

    Reference: Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks",
    ICCV 2017 (appendix 7.2), and the authors' `ResnetGenerator` (junyanz/pytorch-CycleGAN-and-pix2pix):
    c7s1-64, d128, d256, n_blocks × R256, u128, u64, c7s1-3, tanh — reflection padding, 3×3 convs in the
    residual blocks, instance norm without affine parameters, transposed convs for upsampling. With
    n_blocks=9 and ngf=64: 11,378,179 trainable parameters. Use n_blocks=6 for 128-px images.

    Args:
        n_blocks: residual blocks. Defaults to 9 (256 px).
        ngf: filters of the first layer. Defaults to 64.
        norm: "instance", "batch" or "none". Defaults to "instance".
        dropout: dropout inside residual blocks; 0 disables (the paper's setting). Defaults to 0.
        in_channels: input channels. Defaults to 3.
        out_channels: output channels. Defaults to 3.

    Returns:
        A functional `keras.Model` mapping (B, H, W, in_channels) in [-1, 1] to (B, H, W, out_channels) in
        [-1, 1]; H and W must be multiples of 4.
    """
    make_norm, use_bias = norm_layer(norm), conv_bias(norm)
    conv = lambda filters, kernel, stride, name: Conv2D(  # noqa: E731
        filters, kernel, stride, use_bias=use_bias, kernel_initializer=CONV_INIT(), name=name
    )
    inputs = keras.Input((None, None, in_channels), name="image")
    x = ReflectionPadding2D(3, name="resnet_stem_pad")(inputs)
    x = conv(ngf, 7, 1, "resnet_stem_conv")(x)
    x = layers.ReLU(name="resnet_stem_relu")(make_norm("resnet_stem_norm")(x))
    for i in (1, 2):
        x = layers.ZeroPadding2D(1, name=f"resnet_down{i}_pad")(x)
        x = conv(ngf * 2**i, 3, 2, f"resnet_down{i}")(x)
        x = layers.ReLU(name=f"resnet_down{i}_relu")(make_norm(f"resnet_down{i}_norm")(x))
    for b in range(1, n_blocks + 1):
        x = _residual_block(x, ngf * 4, make_norm, conv, dropout, f"resnet_block{b}")
    for i in (1, 2):
        # PyTorch's ConvTranspose2d(3, stride 2, padding 1, output_padding 1) places input pixel i at outputs
        # 2i-1..2i+1; Keras "same" would place it at 2i..2i+2 (one pixel off). "valid" (2H+1 outputs) cropped
        # by one leading row and column matches the reference exactly.
        x = layers.Conv2DTranspose(ngf * 2 ** (2 - i), 3, 2, "valid", use_bias=use_bias, kernel_initializer=CONV_INIT(),
                                   name=f"resnet_up{i}")(x)  # fmt: skip
        x = Cropping2D(((1, 0), (1, 0)), name=f"resnet_up{i}_crop")(x)
        x = layers.ReLU(name=f"resnet_up{i}_relu")(make_norm(f"resnet_up{i}_norm")(x))
    x = ReflectionPadding2D(3, name="resnet_head_pad")(x)
    x = Conv2D(out_channels, 7, kernel_initializer=CONV_INIT(), name="resnet_head_conv")(x)
    outputs = layers.Activation("tanh", dtype="float32", name="resnet_output")(x)
    return keras.Model(inputs, outputs, name=f"resnet_generator_{n_blocks}blocks")


def _residual_block(x, filters, make_norm, conv, dropout, name):
    """x + [pad-conv3-norm-relu-(dropout)-pad-conv3-norm](x)."""
    y = ReflectionPadding2D(1, name=f"{name}_pad1")(x)
    y = layers.ReLU(name=f"{name}_relu")(make_norm(f"{name}_norm1")(conv(filters, 3, 1, f"{name}_conv1")(y)))
    if dropout:
        y = layers.Dropout(dropout, name=f"{name}_dropout")(y)
    y = ReflectionPadding2D(1, name=f"{name}_pad2")(y)
    y = make_norm(f"{name}_norm2")(conv(filters, 3, 1, f"{name}_conv2")(y))
    return layers.Add(name=f"{name}_add")([x, y])
