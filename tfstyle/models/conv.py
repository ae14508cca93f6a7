"""A stride-1 convolution whose gradients are computed as forward convolutions.

Why: TensorFlow turns its oneDNN kernels on by default only on CPUs with AVX-512 VNNI/BF16 or AMX. Elsewhere
(e.g. AVX2-only CPUs) convolution gradients run Eigen's Conv2DBackpropInput/Filter, which are up to 20x
slower than a forward convolution doing the same arithmetic. Measured on a 2-core AVX2 EPYC
(`benchmarks/conv_gradients.py`): the gradients of the ResNet generator's 7x7 64->3 output conv at 256 px take
1010 ms with TensorFlow's kernels and 105 ms as forward convolutions.

Both gradients of a stride-1 VALID convolution y = x ⋆ w are themselves forward convolutions:
    dx = pad(dy, k - 1) ⋆ flip(w)ᵀ     (the kernel flipped in space, input and output channels swapped)
    dw = xᵀ ⋆ dyᵀ                      (input channels as the batch, the output gradient as the kernel)
With "same" padding and odd kernels (p = (k - 1) / 2 zeros on each side) the forward pass and dx are "same"
convolutions themselves (dx = dy ⋆same flip(w)ᵀ), so no padded copy of x or dy is made for them: TensorFlow's
Pad runs at about 1 GB/s here (24 ms for a 384×384×64 map, a quarter of its convolution), and VGG's first
layers are such maps; only dw pads x. The sums are the same (float32 round-off aside). With oneDNN on,
TensorFlow's own gradient kernels are used; inference and export use the plain convolution unless a layer asks
for `forward_gradients="always"` (the frozen VGG of style transfer).
"""

import functools

import keras
import tensorflow as tf

from tfstyle import _compat


@functools.cache
def onednn_enabled():
    """Whether TensorFlow runs its oneDNN kernels in this process (fixed when TensorFlow starts)."""
    return _compat.onednn_enabled()


def conv2d_forward_gradients(x, kernel, padding="VALID"):
    """tf.nn.conv2d(x, kernel, 1, padding) (NHWC; padding "VALID", or "SAME" with odd kernels) whose gradients
    are forward convolutions."""
    if padding not in _FORWARD_GRADIENT_CONVS:
        raise ValueError(f'Unknown padding. Received: padding="{padding}"; expected "VALID" or "SAME".')
    return _FORWARD_GRADIENT_CONVS[padding](x, kernel)


def _input_gradient(dy, kernel, padding):
    kh, kw = kernel.shape[0], kernel.shape[1]
    flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])
    if padding == "SAME":
        return tf.nn.conv2d(dy, flipped, 1, "SAME")
    return tf.nn.conv2d(tf.pad(dy, [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]]), flipped, 1, "VALID")


def _kernel_gradient(x, dy, kernel, padding):
    if padding == "SAME":
        ph, pw = (kernel.shape[0] - 1) // 2, (kernel.shape[1] - 1) // 2
        x = tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]])
    # (Cin, H', W', B) ⋆ (H, W, B, Cout) -> (Cin, kh, kw, Cout): the batch is summed with the positions
    dw = tf.nn.conv2d(tf.transpose(x, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, "VALID")
    return tf.transpose(dw, [1, 2, 0, 3])


def _with_forward_gradients(padding):
    @tf.custom_gradient
    def conv(x, kernel):
        def grad(dy):
            return _input_gradient(dy, kernel, padding), _kernel_gradient(x, dy, kernel, padding)

        return tf.nn.conv2d(x, kernel, 1, padding), grad

    return conv


_FORWARD_GRADIENT_CONVS = {"VALID": _with_forward_gradients("VALID"), "SAME": _with_forward_gradients("SAME")}


@keras.saving.register_keras_serializable(package="tfstyle")
class Conv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D` whose stride-1 form ("valid", or "same" with odd kernels) uses
    `conv2d_forward_gradients` when TensorFlow runs without oneDNN (same weights, same outputs, faster gradients
    on such CPUs).

    Args:
        forward_gradients: "training" (default: only in training calls, so inference and export keep the plain
            convolution) or "always" (also at inference, for networks differentiated with respect to their
            input, such as the frozen VGG of Gatys et al. style transfer).
        **kwargs: `keras.layers.Conv2D` arguments.
    """

    def __init__(self, *args, forward_gradients="training", **kwargs):
        super().__init__(*args, **kwargs)
        if forward_gradients not in ("training", "always"):
            raise ValueError(f'Unknown forward_gradients. Received: "{forward_gradients}"; expected "training" or "always".')
        self.forward_gradients = forward_gradients

    def call(self, inputs, training=False):
        if not ((training or self.forward_gradients == "always") and self._forward_gradients_apply()):
            return super().call(inputs)
        outputs = conv2d_forward_gradients(inputs, tf.cast(self.kernel, inputs.dtype), self.padding.upper())
        if self.use_bias:
            outputs = outputs + tf.cast(self.bias, outputs.dtype)
        return outputs if self.activation is None else self.activation(outputs)

    def _forward_gradients_apply(self):
        padding = self.padding == "valid" or (self.padding == "same" and all(k % 2 for k in self.kernel_size))
        plain = (
            tuple(self.strides) == (1, 1) and tuple(self.dilation_rate) == (1, 1) and padding
            and self.groups == 1 and self.data_format == "channels_last"
        )  # fmt: skip
        return plain and not onednn_enabled()

    def get_config(self):
        return {**super().get_config(), "forward_gradients": self.forward_gradients}
