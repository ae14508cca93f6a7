"""Convolutions whose gradients are computed as forward convolutions where TensorFlow runs its own CPU kernels
(no oneDNN, no GPU or TPU).

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
layers are such maps; only dw pads x. The sums are the same (float32 round-off aside). With oneDNN on, or a GPU
or TPU visible, TensorFlow's own gradient kernels are used; inference and export use the plain convolution unless
a layer asks for `forward_gradients="always"` (the frozen VGG of style transfer).

Stride-2 4×4 convolutions (Pix2Pix's U-Net and the PatchGAN) have two faster forms, chosen by map size.
On maps of 64 px or more, a space-to-depth regrouping turns them into stride-1 convolutions with the forward
gradients above: x ⋆₂ w over a 4×4 kernel equals space_to_depth(x) ⋆ w' over a 2×2 kernel w' whose 4·C input
channels are the taps of each 2×2 block of w. On smaller maps (the U-Net's inner layers: few pixels, up to 8 M
weights) the gradients, and the forward pass of the transposed convolutions, are matrix products with im2col /
col2im, the product taken with the large kernel matrix on the left, where TensorFlow's matmul is fast.
`benchmarks/stride2_convs.py` measures every U-Net-256 and PatchGAN shape; the limits below come from it. On a
2-core AVX2 EPYC a whole Pix2Pix step at 256 px took 0.78× the time with TensorFlow's stride-2 kernels
(`benchmarks/pix2pix_step.py --tensorflow-stride2 --pairs 30`, median of alternating steps).

The matrix-product forms of the small maps are used with oneDNN too (on any CPU, `cpu_kernels()`): oneDNN's
kernels for those shapes were slower too. On a 2-core Xeon with AMX a Pix2Pix step at 256 px took 0.83× the
time in float32 and 0.73× in bfloat16 with them (12 alternating pairs each). The forms that convolve with a whole
feature map as the kernel (stride-1 and blocked) stay off with oneDNN, whose convolution aborts on such kernels.

With oneDNN, trained 3×3 and 4×4 stride-1 convolutions with 256 channels or more in and out (the CycleGAN
generator's residual blocks, the PatchGAN's fourth layer, AdaIN's decoder) run as Winograd F(4×4, 3×3) and
F(3×3, 4×4) in float32 (`tfstyle.models.winograd`). On a 2-core Xeon with AMX a CycleGAN step at 256 px took
0.70× the time and a Pix2Pix step 0.87× (step by step against oneDNN's direct convolutions, the benchmarks'
`--onednn-direct`). Without oneDNN (TensorFlow's Eigen kernels, measured with TF_ENABLE_ONEDNN_OPTS=0 on the same
CPU) it was no faster than the forward-gradient form, which those CPUs keep.
"""

import functools

import keras
import tensorflow as tf

from tfstyle import _compat
from tfstyle.models import winograd


@functools.cache
def onednn_enabled():
    """Whether TensorFlow runs its oneDNN kernels in this process (fixed when TensorFlow starts)."""
    return _compat.onednn_enabled()


def cpu_kernels():
    """Whether convolutions here run on the CPU: TensorFlow sees no GPU or TPU that it would place them on. The
    faster forms of this module are for CPUs only; a GPU's or TPU's gradient kernels are fast already, and forms
    such as a whole feature map used as one convolution kernel would suit them badly."""
    return not (tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU"))


def eigen_cpu_kernels():
    """Whether convolutions here run on TensorFlow's own (Eigen) CPU kernels: a CPU (`cpu_kernels()`) without
    oneDNN. The forms that use a whole feature map as a convolution kernel are for these kernels only."""
    if onednn_enabled():
        return False
    return cpu_kernels()


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


# Kernel gradients are summed image by image up to this (static) batch size; larger or unknown batches take one
# convolution over the whole batch rather than a graph with one convolution per image.
PER_IMAGE_MAX_BATCH = 16


def _kernel_gradient(x, dy, kernel, padding):
    if padding == "SAME":
        ph, pw = (kernel.shape[0] - 1) // 2, (kernel.shape[1] - 1) // 2
        x = tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]])
    batch = x.shape[0]
    if batch is not None and batch <= PER_IMAGE_MAX_BATCH:
        return _kernel_gradient_per_image(x, dy)
    return _kernel_gradient_whole_batch(x, dy)


def _kernel_gradient_per_image(x, dy):
    """One convolution per image, summed: it needs no transpose of dy and only two-dimensional ones of x, and took
    0.53-0.91x the time of the whole-batch form at batch 1 to 32 (benchmarks/conv_gradients.py --kernel-gradients)."""
    dw = tf.add_n([_image_kernel_gradient(x[i], dy[i]) for i in range(x.shape[0])])
    return tf.transpose(dw, [1, 2, 0, 3])


def _kernel_gradient_whole_batch(x, dy):
    """(Cin, H', W', B) ⋆ (H, W, B, Cout) -> (Cin, kh, kw, Cout): the batch is summed with the positions."""
    dw = tf.nn.conv2d(_channels_first(x), tf.transpose(dy, [1, 2, 0, 3]), 1, "VALID")
    return tf.transpose(dw, [1, 2, 0, 3])


def _image_kernel_gradient(x, dy):
    """One image's kernel gradient: (H', W', Cin) ⋆ (H, W, Cout) -> (Cin, kh, kw, Cout), the channels as the batch
    and the output gradient as the kernel. x's channels move to the front as the 2-D transpose of its (H'·W', Cin)
    matrix: TensorFlow's Transpose runs that 3-4x faster than the same move written as a 4-D permutation of
    (1, H', W', Cin), which it does not reduce (a 66×66×256 map: about 2.3 against 6.5 ms on an AVX2 EPYC)."""
    channels, size = x.shape[-1], tf.shape(x)
    by_channel = tf.reshape(tf.transpose(tf.reshape(x, [-1, channels])), [channels, size[0], size[1], 1])
    return tf.nn.conv2d(by_channel, dy[:, :, None, :], 1, "VALID")


def _channels_first(x):
    """(B, H, W, C) -> (C, H, W, B) as a 3-D transpose of (B, H·W, C), 0.5-0.9x the time of the 4-D one here."""
    size = tf.shape(x)
    by_channel = tf.transpose(tf.reshape(x, [size[0], -1, x.shape[-1]]), [2, 1, 0])
    return tf.reshape(by_channel, [x.shape[-1], size[1], size[2], size[0]])


def _with_forward_gradients(padding):
    @tf.custom_gradient
    def conv(x, kernel):
        def grad(dy):
            return _input_gradient(dy, kernel, padding), _kernel_gradient(x, dy, kernel, padding)

        return tf.nn.conv2d(x, kernel, 1, padding), grad

    return conv


_FORWARD_GRADIENT_CONVS = {"VALID": _with_forward_gradients("VALID"), "SAME": _with_forward_gradients("SAME")}

# Stride-2 4×4 convolutions and their transposes, by map size (benchmarks/stride2_convs.py, on an AVX2 EPYC):
# convolutions on maps of 64 px or more in the blocked form, smaller ones with matrix-product gradients;
# transposed convolutions on maps of up to 16 px as matrix products, larger ones with TensorFlow's kernels (no
# form tried was faster there). FAST_STRIDE2 = False keeps TensorFlow's kernels for all of them (comparisons).
FAST_STRIDE2 = True
# Trained 3×3 and 4×4 stride-1 convolutions by Winograd with oneDNN (tfstyle.models.winograd); False keeps oneDNN's
# direct convolutions (comparisons).
WINOGRAD = True
BLOCKED_MIN_SIZE = 64
SMALL_TRANSPOSED_MAX_SIZE = 16
_PAD1 = [[0, 0], [1, 1], [1, 1], [0, 0]]


def _check_4x4(kernel):
    if tuple(kernel.shape[:2]) != (4, 4):
        raise ValueError(f"The stride-2 forms take 4×4 kernels. Received: kernel shape {tuple(kernel.shape)}")


def _blocked_kernel(kernel):
    """(4, 4, C, O) -> (2, 2, 4·C, O): tap (2a + dy, 2b + dx) moves to position (a, b), channel (2·dy + dx)·C + c,
    space_to_depth's channel order."""
    _check_4x4(kernel)
    channels, filters = kernel.shape[2], kernel.shape[3]
    blocked = tf.reshape(kernel, [2, 2, 2, 2, channels, filters])  # (a, dy, b, dx, c, o)
    return tf.reshape(tf.transpose(blocked, [0, 2, 1, 3, 4, 5]), [2, 2, 4 * channels, filters])


def conv2d_stride2_blocked(x, kernel):
    """tf.nn.conv2d(x, kernel, 2, "VALID") for a 4×4 kernel and even H and W, computed as a 2×2 stride-1
    convolution of space_to_depth(x) whose gradients are forward convolutions."""
    return conv2d_forward_gradients(tf.nn.space_to_depth(x, 2), _blocked_kernel(kernel), "VALID")


def _rows(t):
    return tf.reshape(t, [-1, t.shape[-1]])


def _patches(x):
    """im2col: (B, H, W, C) -> (B, H/2 - 1, W/2 - 1, 16·C), the 4×4 windows at stride 2, taps in (ky, kx, c) order."""
    return tf.image.extract_patches(x, [1, 4, 4, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID")


def _scatter_taps(x, kernel_rows, channels):
    """col2im of x's taps, the adjoint of `_patches`: (B, h, w, K) and a (16·channels, K) kernel matrix ->
    (B, 2h + 2, 2w + 2, channels), input pixel (i, j) adding kernel tap (ky, kx) at (2i + ky, 2j + kx).

    The product is taken as kernel · xᵀ: with few pixels and a large kernel, TensorFlow's matmul is several times
    faster with the kernel on the left. Tap ky = 2a + dy lands on row 2(i + a) + dy, so the four (a, b) shifts are
    added on an (h + 1) × (w + 1) grid per phase (dy, dx) and depth_to_space interleaves the phases."""
    height, width = x.shape[1], x.shape[2]
    taps = tf.transpose(tf.matmul(kernel_rows, _rows(x), transpose_b=True))  # (B·h·w, 16·channels)
    taps = tf.reshape(taps, [-1, height, width, 2, 2, 2, 2, channels])  # (a, dy, b, dx, c)
    phases = 0
    for a in (0, 1):
        for b in (0, 1):
            shifted = tf.reshape(taps[:, :, :, a, :, b], [-1, height, width, 4 * channels])  # (dy, dx, c)
            phases += tf.pad(shifted, [[0, 0], [a, 1 - a], [b, 1 - b], [0, 0]])
    return tf.nn.depth_to_space(phases, 2)


@tf.autograph.experimental.do_not_convert  # AutoGraph would call the undecorated function, losing its gradient
@tf.custom_gradient
def conv2d_stride2_small(x, kernel):
    """tf.nn.conv2d(x, kernel, 2, "VALID") for a 4×4 kernel and even H and W, with its gradients as matrix
    products (im2col / col2im), which TensorFlow's gradient kernels are several times slower than on small maps:
    dx = col2im(dy · Wᵀ), dW = im2col(x)ᵀ · dy."""
    _check_4x4(kernel)
    channels, filters = kernel.shape[2], kernel.shape[3]

    def grad(dy):
        kernel_rows = tf.reshape(kernel, [16 * channels, filters])
        dx = _scatter_taps(dy, kernel_rows, channels)
        dw = tf.matmul(_rows(_patches(x)), _rows(dy), transpose_a=True)
        return dx, tf.reshape(dw, tf.shape(kernel))

    return tf.nn.conv2d(x, kernel, 2, "VALID"), grad


@tf.autograph.experimental.do_not_convert
@tf.custom_gradient
def conv2d_transpose_small(x, kernel):
    """tf.nn.conv2d_transpose(x, kernel, (B, 2H, 2W, O), 2, "SAME") for a (4, 4, O, C) kernel, as matrix products:
    the adjoint of `conv2d_stride2_small` on the input padded by one pixel. y = crop(col2im(x · Wᵀ)); the
    gradients are dx = im2col(dy') · W and dW = im2col(dy')ᵀ · x, with dy' = dy padded by one pixel."""
    _check_4x4(kernel)
    channels, filters = x.shape[-1], kernel.shape[2]
    kernel_rows = tf.reshape(kernel, [16 * filters, channels])
    outputs = _scatter_taps(x, kernel_rows, filters)[:, 1:-1, 1:-1, :]

    def grad(dy):
        windows = _rows(_patches(tf.pad(dy, _PAD1)))  # (B·H·W, 16·O)
        dx = tf.reshape(tf.matmul(windows, kernel_rows), tf.shape(x))
        dw = tf.matmul(windows, _rows(x), transpose_a=True)
        return dx, tf.reshape(dw, tf.shape(kernel))

    return outputs, grad


def _bias_and_activation(layer, outputs):
    """What a Keras convolution layer adds after its convolution, for the layers below that compute it themselves."""
    if layer.use_bias:
        outputs = outputs + tf.cast(layer.bias, outputs.dtype)
    return outputs if layer.activation is None else layer.activation(outputs)


@keras.saving.register_keras_serializable(package="tfstyle")
class Conv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D` whose stride-1 form ("valid", or "same" with odd kernels) uses
    `conv2d_forward_gradients`, and whose stride-2 4×4 form on even maps uses `conv2d_stride2_blocked` (64 px or
    more), both where `eigen_cpu_kernels()` holds, or `conv2d_stride2_small` (smaller maps) where `cpu_kernels()`
    holds, oneDNN or not (same weights, same outputs, faster gradients on such CPUs). With oneDNN, wide 3×3 and 4×4
    stride-1 convolutions use `winograd.conv2d_winograd` in training calls (float32).

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
        form = self._gradient_form(inputs, training) if training or self.forward_gradients == "always" else None
        if form is None:
            return super().call(inputs)
        kernel = tf.cast(self.kernel, inputs.dtype)
        if form == "stride1":
            return _bias_and_activation(self, conv2d_forward_gradients(inputs, kernel, self.padding.upper()))
        # "same" pads one pixel on each side: a 3×3 kernel's "same", and the papers' padding=1 of the stride-2 4×4
        # convolutions on even maps
        x = inputs if self.padding == "valid" else tf.pad(inputs, _PAD1)
        convolve = {"winograd": winograd.conv2d_winograd, "blocked": conv2d_stride2_blocked,
                    "small": conv2d_stride2_small}[form]  # fmt: skip
        return _bias_and_activation(self, convolve(x, kernel))

    def _gradient_form(self, inputs, training):
        """"stride1", "winograd" (3×3 or 4×4, stride 1), "blocked" or "small" (stride-2 4×4 on large or small maps),
        or None (TensorFlow's kernels)."""
        plain = tuple(self.dilation_rate) == (1, 1) and self.groups == 1 and self.data_format == "channels_last"
        if not plain or not cpu_kernels():
            return None
        whole_map_kernels = not onednn_enabled()  # eigen_cpu_kernels(), the CPU being known already
        odd_kernel = all(k % 2 for k in self.kernel_size)
        if tuple(self.strides) == (1, 1) and (self.padding == "valid" or odd_kernel):
            if whole_map_kernels:
                return "stride1"
            return "winograd" if training and self._winograd_applies(inputs) else None
        height, width = inputs.shape[1], inputs.shape[2]
        stride2 = tuple(self.strides) == (2, 2) and tuple(self.kernel_size) == (4, 4) and FAST_STRIDE2
        if not stride2 or height is None or width is None or height % 2 or width % 2:
            return None
        if min(height, width) >= BLOCKED_MIN_SIZE:
            return "blocked" if whole_map_kernels else None
        return "small"  # matrix products: faster than oneDNN's kernels too

    def _winograd_applies(self, inputs):
        """Winograd where it was measured faster: oneDNN CPUs (TensorFlow's Eigen kernels take the forward-gradient
        form), float32, and the kernel, channel and size limits of `winograd.applies`."""
        if not WINOGRAD:
            return False
        shape = list(inputs.shape)
        if self.padding == "same":
            shape[1:3] = [None if n is None else n + 2 for n in shape[1:3]]
        return winograd.applies(shape, self.kernel.shape, inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "forward_gradients": self.forward_gradients}


@keras.saving.register_keras_serializable(package="tfstyle")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """`keras.layers.Conv2DTranspose` whose stride-2 4×4 "same" form on maps of up to 16 px uses
    `conv2d_transpose_small` in training calls where `cpu_kernels()` holds, oneDNN or not (same weights, same
    outputs, faster on CPUs). Inference and export keep the plain transposed convolution.
    """

    def call(self, inputs, training=False):
        if not (training and self._small_applies(inputs)):
            return super().call(inputs)
        outputs = conv2d_transpose_small(inputs, tf.cast(self.kernel, inputs.dtype))
        return _bias_and_activation(self, outputs)

    def _small_applies(self, inputs):
        height, width = inputs.shape[1], inputs.shape[2]
        sized = height is not None and width is not None and max(height, width) <= SMALL_TRANSPOSED_MAX_SIZE
        return (
            tuple(self.kernel_size) == (4, 4) and tuple(self.strides) == (2, 2) and self.padding == "same"
            and self.output_padding is None and tuple(self.dilation_rate) == (1, 1)
            and self.data_format == "channels_last" and sized and FAST_STRIDE2 and cpu_kernels()
        )  # fmt: skip
