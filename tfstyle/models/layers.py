"""Layers the papers' networks need beyond Keras's own, and the choice of normalisation by name.

`InstanceNormalization` is written with plain mean/rsqrt ops (no reshape-heavy GroupNormalization) so it
converts to TFLite builtins (MEAN, SUB, MUL, RSQRT) and quantises to int8.
"""

import keras
from keras import layers, ops



# Weight init of the pix2pix/CycleGAN reference (`init_type="normal"`, gain 0.02). A fresh initializer per
# layer: one shared unseeded Keras initializer returns the same values on every call, which would give all
# same-shaped layers identical weights.
def CONV_INIT():  # noqa: N802  (reads like the constant it replaces)
    return keras.initializers.RandomNormal(0.0, 0.02)


def GAMMA_INIT():  # noqa: N802
    return keras.initializers.RandomNormal(1.0, 0.02)


def torch_default_init(kernel_size, in_channels):
    """(kernel, bias) initializers of a PyTorch `nn.Conv2d` left at its defaults, as the fast-style and AdaIN
    references do: both uniform in ±1/√fan_in, fan_in = kernel_size² · in_channels."""
    limit = 1.0 / (kernel_size * kernel_size * in_channels) ** 0.5
    kernel = keras.initializers.VarianceScaling(1.0 / 3.0, "fan_in", "uniform")  # limit √(3·⅓/fan_in)
    return kernel, keras.initializers.RandomUniform(-limit, limit)


@keras.saving.register_keras_serializable(package="tfstyle")
class InstanceNormalization(layers.Layer):
    """Instance normalisation (Ulyanov et al. 2016): per-image, per-channel mean/variance over H and W.

    Computed in float32 whatever the dtype policy (it is a reduction), cast back on output.

    Args:
        epsilon: added to the variance. Defaults to 1e-5 (PyTorch's default).
        center: learn a per-channel offset (initialised to 0). Defaults to False (the CycleGAN reference has no
            affine parameters).
        scale: learn a per-channel scale (initialised to 1, as PyTorch's `affine=True`). Defaults to False.
    """

    def __init__(self, epsilon=1e-5, center=False, scale=False, **kwargs):
        super().__init__(**kwargs)
        self.epsilon, self.center, self.scale = epsilon, center, scale

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma") if self.scale else None
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta") if self.center else None

    def call(self, x, training=None):
        if training and keras.backend.backend() == "tensorflow":
            return self._fused(x)
        dtype = x.dtype
        x = ops.cast(x, "float32")
        mean = ops.mean(x, axis=[1, 2], keepdims=True)
        centered = x - mean
        # `centered * centered`, not ops.square: the TFLite converter fuses sub+square into SQUARED_DIFFERENCE,
        # which XNNPACK does not run in int8 (measured: int8 conv+IN 120 ms vs 33 ms this way, same accuracy)
        variance = ops.mean(centered * centered, axis=[1, 2], keepdims=True)
        y = centered * ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            y = y * ops.cast(self.gamma, "float32")
        if self.beta is not None:
            y = y + ops.cast(self.beta, "float32")
        return ops.cast(y, dtype)

    def _fused(self, x):
        """Training path: instance norm is batch norm over one image, so use TensorFlow's fused batch-norm
        kernels (forward and gradient: ~4x faster on CPU than the op-by-op form) image by image. With a known
        batch size the images are split along the batch axis (no transposes); otherwise the batch is folded
        into the channels, (B, H, W, C) -> (1, H, W, B·C), which costs two transposes (measured 25-30 % slower
        at batch 2). Inference and export keep the op-by-op form, which converts to TFLite builtins. bfloat16 /
        float16 activations go in as they are: the kernels compute the statistics in float32 themselves (their
        scale, offset and statistics are float32), so no casts are needed around them."""
        import tensorflow as tf

        channels = x.shape[-1]
        scale = tf.ones([channels]) if self.gamma is None else tf.cast(self.gamma, tf.float32)
        offset = tf.zeros([channels]) if self.beta is None else tf.cast(self.beta, tf.float32)

        def normalise(images, scale, offset):
            return tf.compat.v1.nn.fused_batch_norm(images, scale, offset, epsilon=self.epsilon, is_training=True)[0]

        if x.shape[0] is not None:
            return tf.concat([normalise(part, scale, offset) for part in tf.split(x, x.shape[0], axis=0)], 0)
        shape = tf.shape(x)
        batch = shape[0]
        folded = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, shape[1], shape[2], batch * channels])
        y = normalise(folded, tf.tile(scale, [batch]), tf.tile(offset, [batch]))
        return tf.transpose(tf.reshape(y, [shape[1], shape[2], batch, channels]), [2, 0, 1, 3])

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "center": self.center, "scale": self.scale}


@keras.saving.register_keras_serializable(package="tfstyle")
class BatchNormalization(layers.BatchNormalization):
    """`keras.layers.BatchNormalization` whose training calls run TensorFlow's fused batch-norm kernels.

    Keras normalises op by op (mean, squared difference, mean, then the normalisation), and its gradient is a
    dozen more element-wise passes; TensorFlow's FusedBatchNormV3 and its gradient kernel do each in one. On the
    Pix2Pix step at 256 px (`benchmarks/pix2pix_step.py --keras-batch-norm`, 2-core Ice Lake Xeon, float32) the
    median round took 0.82 s against 0.88 s with Keras's layer (best rounds 0.773 vs 0.782 s).

    The moving statistics are updated as Keras does, with the biased batch variance: the kernel returns the
    Bessel-corrected one, which is scaled back by (n - 1) / n. Inference, export, masks, renorm, synchronized
    batch norm, an axis other than the last, inputs that are not 4-D and other backends take Keras's own path, so
    the layer computes what `keras.layers.BatchNormalization` does. bfloat16 activations go in as they are; the
    kernel keeps its statistics in float32.
    """

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable and mask is None and self._fused_kernel_applies(inputs)):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        channels = inputs.shape[-1]
        gamma = tf.cast(self.gamma, tf.float32) if self.scale else tf.ones([channels])
        beta = tf.cast(self.beta, tf.float32) if self.center else tf.zeros([channels])
        normalise = tf.compat.v1.nn.fused_batch_norm
        outputs, mean, variance = normalise(inputs, gamma, beta, epsilon=self.epsilon, is_training=True)
        count = tf.cast(tf.reduce_prod(tf.shape(inputs)[:-1]), tf.float32)
        variance = variance * (count - 1.0) / tf.maximum(count, 1.0)  # back to the biased variance Keras keeps
        momentum = self.momentum
        self.moving_mean.assign(self.moving_mean * momentum + mean * (1.0 - momentum))
        self.moving_variance.assign(self.moving_variance * momentum + variance * (1.0 - momentum))
        return tf.cast(outputs, self.compute_dtype)

    def _fused_kernel_applies(self, inputs):
        last_axis = self.axis in (-1, len(inputs.shape) - 1)
        plain = not (self.renorm or getattr(self, "synchronized", False))
        return keras.backend.backend() == "tensorflow" and len(inputs.shape) == 4 and last_axis and plain


@keras.saving.register_keras_serializable(package="tfstyle")
class ReflectionPadding2D(layers.Layer):
    """Reflection padding of `padding` pixels on each side of H and W (PyTorch's ReflectionPad2d).

    Training uses TensorFlow's MirrorPad (and its gradient kernel). Inference and export build the same values from
    one-row slices and a concatenation: TFLite's MIRROR_PAD has no XNNPACK kernel, so every one cut the delegated
    graph in two. Measured on the fast-style network at 256 px (AVX-512 VNNI CPU, LiteRT 2.3): int8 178 -> 46 ms
    at 1 thread, fp32 311 -> 146 ms, with identical outputs.
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = padding

    def call(self, x, training=None):
        p = self.padding
        if training:
            return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")
        return self._reflect(self._reflect(x, 1), 2)

    def _reflect(self, x, axis):
        """Rows p..1 mirrored before x and rows n-2..n-1-p after it, along `axis` (1: H, 2: W)."""

        def row(start, stop):
            return x[:, start:stop] if axis == 1 else x[:, :, start:stop]

        before = [row(i, i + 1) for i in range(self.padding, 0, -1)]
        after = [row(-1 - i, -i) for i in range(1, self.padding + 1)]
        return ops.concatenate([*before, x, *after], axis=axis)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        grow = lambda n: None if n is None else n + 2 * self.padding  # noqa: E731
        return (b, grow(h), grow(w), c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="tfstyle")
class Cropping2D(layers.Cropping2D):
    """`keras.layers.Cropping2D` as one Slice op (channels_last). Keras crops by indexing, which TensorFlow runs
    as a strided slice whose CPU gradient kernel is slow: 122 vs 67 ms forward+backward at 2×257×257×64."""

    def call(self, inputs):
        if self.data_format != "channels_last":
            return super().call(inputs)
        import tensorflow as tf

        (top, bottom), (left, right) = self.cropping
        shape = tf.shape(inputs)
        height = -1 if bottom == 0 else shape[1] - top - bottom  # -1: to the end, no shape ops in TFLite
        width = -1 if right == 0 else shape[2] - left - right
        return tf.slice(inputs, [0, top, left, 0], [-1, height, width, -1])


@keras.saving.register_keras_serializable(package="tfstyle")
class NearestUpsampling2D(layers.Layer):
    """×`factor` nearest-neighbour upsampling (every pixel repeated factor×factor times, as PyTorch's nearest
    `interpolate`) as one resize op, TFLite's RESIZE_NEAREST_NEIGHBOR. Keras's `UpSampling2D` repeats along
    each axis with ops that lose the static height, which the TFLite converter cannot lower for the next conv."""

    def __init__(self, factor=2, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        import tensorflow as tf

        shape = tf.shape(x)
        return tf.image.resize(x, [shape[1] * self.factor, shape[2] * self.factor], method="nearest")

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        grow = lambda n: None if n is None else n * self.factor  # noqa: E731
        return (b, grow(h), grow(w), c)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _batch_norm(name):
    # PyTorch BatchNorm2d defaults: momentum 0.1 (Keras 0.9), eps 1e-5; reference init gamma ~ N(1, 0.02).
    return BatchNormalization(momentum=0.9, epsilon=1e-5, gamma_initializer=GAMMA_INIT(), name=name)


def _instance_norm(name):
    return InstanceNormalization(name=name)


def _no_norm(name):
    return layers.Identity(name=name)


NORMS = {"batch": _batch_norm, "instance": _instance_norm, "none": _no_norm}


def norm_layer(norm):
    """The normalisation-layer factory (called with a layer name) for `norm` in "batch", "instance", "none"."""
    if norm not in NORMS:
        choices = ", ".join(f'"{name}"' for name in NORMS)
        raise ValueError(f'Unknown normalisation. Received: norm="{norm}"; expected one of {choices}.')
    return NORMS[norm]


def conv_bias(norm):
    """The reference's rule: convolutions followed by batch norm have no bias (it would be cancelled)."""
    return norm != "batch"
