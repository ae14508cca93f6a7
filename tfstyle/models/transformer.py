"""The image transformation network of fast style transfer (Johnson et al. 2016)."""

import keras
from keras import layers

from tfstyle.models.conv import Conv2D
from tfstyle.models.layers import InstanceNormalization, NearestUpsampling2D, ReflectionPadding2D, torch_default_init


def transformer_network(alpha=1.0, n_blocks=5):
    """Builds the fast-style-transfer image transformation network.

    Reference: Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and Super-Resolution",
    ECCV 2016, in the layout of the `pytorch/examples` fast_neural_style `TransformerNet`: 9×9 conv 3→32,
    3×3 stride-2 convs 32→64→128, 5 residual blocks of two 3×3 convs (128), two nearest ×2 upsamplings each
    followed by a 3×3 conv (128→64→32), a 9×9 conv 32→3; reflection padding before every conv, affine instance
    norm (ε 1e-5) and ReLU after every conv but the last, no output activation. With alpha=1: 1,679,235 trainable
    parameters.

    The reference network works on pixels in [0, 255]; this one takes and returns [-1, 1] (the convention of every
    tfstyle generator and of the exporter) and rescales inside, so it computes the same function. Outputs are not
    clipped (the loss sees them as they are); `translate_images` and the exporter clip to valid pixels.

    Args:
        alpha: width multiplier: 32·alpha, 64·alpha and 128·alpha channels (0.5 and 0.25 for phones).
            Defaults to 1.0.
        n_blocks: residual blocks. Defaults to 5.

    Returns:
        A functional `keras.Model` mapping (B, H, W, 3) in [-1, 1] to (B, H, W, 3); H and W must be multiples of 4.

    Example:
    ```python
    stylizer = transformer_network(alpha=0.25)  # ~110k parameters, for phones
    ```
    """
    if alpha <= 0:
        raise ValueError(f"alpha must be positive. Received: alpha={alpha}")
    widths = [max(1, int(round(c * alpha))) for c in (32, 64, 128)]
    inputs = keras.Input((None, None, 3), name="image")
    x = layers.Rescaling(127.5, 127.5, name="to_pixels")(inputs)  # [-1, 1] -> [0, 255], the reference's range
    x = _conv_norm_relu(x, widths[0], 9, 1, "transformer_conv1")
    x = _conv_norm_relu(x, widths[1], 3, 2, "transformer_conv2")
    x = _conv_norm_relu(x, widths[2], 3, 2, "transformer_conv3")
    for b in range(1, n_blocks + 1):
        x = _residual_block(x, widths[2], f"transformer_block{b}")
    for i, filters in ((1, widths[1]), (2, widths[0])):
        x = NearestUpsampling2D(2, name=f"transformer_up{i}_upsample")(x)
        x = _conv_norm_relu(x, filters, 3, 1, f"transformer_up{i}")
    x = _conv(x, 3, 9, 1, "transformer_output")
    outputs = layers.Rescaling(1 / 127.5, -1.0, dtype="float32", name="to_model_range")(x)
    return keras.Model(inputs, outputs, name=f"transformer_network_{alpha:g}x")


def _conv(x, filters, kernel, stride, name):
    """Reflection padding of kernel // 2, then a convolution with bias (the reference's ConvLayer)."""
    kernel_init, bias_init = torch_default_init(kernel, x.shape[-1])
    x = ReflectionPadding2D(kernel // 2, name=f"{name}_pad")(x)
    return Conv2D(filters, kernel, stride, kernel_initializer=kernel_init, bias_initializer=bias_init, name=name)(x)


def _conv_norm_relu(x, filters, kernel, stride, name):
    x = InstanceNormalization(center=True, scale=True, name=f"{name}_norm")(_conv(x, filters, kernel, stride, name))
    return layers.ReLU(name=f"{name}_relu")(x)


def _residual_block(x, filters, name):
    """x + norm(conv(relu(norm(conv(x))))): the reference's ResidualBlock (no ReLU after the sum)."""
    y = _conv_norm_relu(x, filters, 3, 1, f"{name}_conv1")
    y = InstanceNormalization(center=True, scale=True, name=f"{name}_conv2_norm")(_conv(y, filters, 3, 1, f"{name}_conv2"))
    return layers.Add(name=f"{name}_add")([x, y])
