"""Convolutions whose gradients are computed as forward convolutions where TensorFlow runs without oneDNN.

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

Stride-2 4×4 convolutions (Pix2Pix's U-Net encoder, the PatchGAN) on maps of 32 px or more take the same route
after a space-to-depth regrouping: x ⋆₂ w over a 4×4 kernel equals space_to_depth(x) ⋆ w' over a 2×2 kernel w'
whose 4·C input channels are the taps of each 2×2 block of w. Their adjoints, the U-Net decoder's transposed
convolutions, compute their forward pass as one stride-1 2×2 convolution giving the four output phases at once
(depth_to_space) and keep TensorFlow's gradients. On the same EPYC, forward + gradients at U-Net-256's shapes took
0.72–0.91× TensorFlow's time for the 64- to 512-filter convolutions on 128–32 px maps and 0.84–1.00× for the
transposed ones from 16 px up, but 1.3–1.6× on smaller maps, hence the limits (`benchmarks/stride2_convs.py`,
medians of alternating calls); a whole Pix2Pix step took 0.92–0.95× in two runs (`benchmarks/pix2pix_step.py
--tensorflow-stride2`).
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

# Measured limits of the blocked forms (benchmarks/stride2_convs.py): stride-2 4×4 convolutions on smaller maps
# are faster with TensorFlow's kernels; so are transposed ones on small maps (regrouping the kernel, a copy of all
# its weights, then outweighs the convolution) or with few filters.
BLOCKED_MIN_SIZE = 32
BLOCKED_TRANSPOSED_MIN_SIZE = 16
BLOCKED_TRANSPOSED_MIN_FILTERS = 16
_PAD1 = [[0, 0], [1, 1], [1, 1], [0, 0]]


def _blocked_kernel(kernel):
    """(4, 4, C, O) -> (2, 2, 4·C, O): tap (2a + dy, 2b + dx) moves to position (a, b), channel (2·dy + dx)·C + c,
    space_to_depth's channel order."""
    if tuple(kernel.shape[:2]) != (4, 4):
        raise ValueError(f"The blocked stride-2 forms take 4×4 kernels. Received: kernel shape {tuple(kernel.shape)}")
    channels, filters = kernel.shape[2], kernel.shape[3]
    blocked = tf.reshape(kernel, [2, 2, 2, 2, channels, filters])  # (a, dy, b, dx, c, o)
    return tf.reshape(tf.transpose(blocked, [0, 2, 1, 3, 4, 5]), [2, 2, 4 * channels, filters])


def conv2d_stride2_blocked(x, kernel):
    """tf.nn.conv2d(x, kernel, 2, "VALID") for a 4×4 kernel and even H and W, computed as a 2×2 stride-1
    convolution of space_to_depth(x) whose gradients are forward convolutions."""
    return conv2d_forward_gradients(tf.nn.space_to_depth(x, 2), _blocked_kernel(kernel), "VALID")


@tf.autograph.experimental.do_not_convert  # AutoGraph would call the undecorated function, losing its gradient
@tf.custom_gradient
def conv2d_transpose_blocked(x, kernel):
    """tf.nn.conv2d_transpose(x, kernel, (B, 2H, 2W, O), 2, "SAME") for a (4, 4, O, C) kernel: the adjoint of the
    stride-2 convolution above. Output pixel 2m + p (p = 0, 1 per axis) sums input pixels m - 1 + p and m + p,
    so one 2×2 stride-1 convolution of the padded input, with the blocked kernel flipped and transposed, gives all
    four phases as 4·O channels; depth_to_space interleaves them and the one-pixel border is cropped. The
    gradients are TensorFlow's: a stride-2 convolution of dy, and the filter gradient of that convolution."""
    flipped = tf.transpose(tf.reverse(_blocked_kernel(kernel), [0, 1]), [0, 1, 3, 2])  # (2, 2, C, 4·O)
    phases = tf.nn.conv2d(tf.pad(x, _PAD1), flipped, 1, "VALID")
    outputs = tf.nn.depth_to_space(phases, 2)[:, 1:-1, 1:-1, :]

    def grad(dy):
        dx = tf.nn.conv2d(dy, kernel, 2, "SAME")
        dw = tf.raw_ops.Conv2DBackpropFilter(input=dy, filter_sizes=tf.shape(kernel), out_backprop=x,
                                             strides=[1, 2, 2, 1], padding="SAME")  # fmt: skip
        return dx, dw

    return outputs, grad


@keras.saving.register_keras_serializable(package="tfstyle")
class Conv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D` whose stride-1 form ("valid", or "same" with odd kernels) uses
    `conv2d_forward_gradients`, and whose stride-2 4×4 form on even maps of 32 px or more uses
    `conv2d_stride2_blocked`, when TensorFlow runs without oneDNN (same weights, same outputs, faster gradients
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
        form = self._gradient_form(inputs) if training or self.forward_gradients == "always" else None
        if form is None:
            return super().call(inputs)
        kernel = tf.cast(self.kernel, inputs.dtype)
        if form == "stride1":
            outputs = conv2d_forward_gradients(inputs, kernel, self.padding.upper())
        else:
            # "same" on an even size pads one pixel on each side, as the papers' padding=1
            x = inputs if self.padding == "valid" else tf.pad(inputs, _PAD1)
            outputs = conv2d_stride2_blocked(x, kernel)
        if self.use_bias:
            outputs = outputs + tf.cast(self.bias, outputs.dtype)
        return outputs if self.activation is None else self.activation(outputs)

    def _gradient_form(self, inputs):
        """"stride1", "stride2" (the space-to-depth form) or None (TensorFlow's convolution and gradients)."""
        plain = tuple(self.dilation_rate) == (1, 1) and self.groups == 1 and self.data_format == "channels_last"
        if not plain or onednn_enabled():
            return None
        odd_kernel = all(k % 2 for k in self.kernel_size)
        if tuple(self.strides) == (1, 1) and (self.padding == "valid" or odd_kernel):
            return "stride1"
        height, width = inputs.shape[1], inputs.shape[2]
        sized = height is not None and width is not None and min(height, width) >= BLOCKED_MIN_SIZE
        if tuple(self.strides) == (2, 2) and tuple(self.kernel_size) == (4, 4) and sized:
            return "stride2" if height % 2 == 0 and width % 2 == 0 else None
        return None

    def get_config(self):
        return {**super().get_config(), "forward_gradients": self.forward_gradients}


@keras.saving.register_keras_serializable(package="tfstyle")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """`keras.layers.Conv2DTranspose` whose stride-2 4×4 "same" form, with 16 filters or more on maps of 16 px or
    more, uses `conv2d_transpose_blocked` in training calls when TensorFlow runs without oneDNN (same weights, same
    outputs, a faster forward pass on such CPUs). Inference and export keep the plain transposed convolution.
    """

    def call(self, inputs, training=False):
        if not (training and self._blocked_applies(inputs)):
            return super().call(inputs)
        outputs = conv2d_transpose_blocked(inputs, tf.cast(self.kernel, inputs.dtype))
        if self.use_bias:
            outputs = outputs + tf.cast(self.bias, outputs.dtype)
        return outputs if self.activation is None else self.activation(outputs)

    def _blocked_applies(self, inputs):
        height, width = inputs.shape[1], inputs.shape[2]
        sized = height is not None and width is not None and min(height, width) >= BLOCKED_TRANSPOSED_MIN_SIZE
        return (
            tuple(self.kernel_size) == (4, 4) and tuple(self.strides) == (2, 2) and self.padding == "same"
            and self.output_padding is None and tuple(self.dilation_rate) == (1, 1)
            and self.data_format == "channels_last" and self.filters >= BLOCKED_TRANSPOSED_MIN_FILTERS and sized
            and not onednn_enabled()
        )  # fmt: skip
