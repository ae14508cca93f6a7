"""2×2 max pooling whose gradient is computed with element-wise ops instead of TensorFlow's MaxPoolGrad kernel.

Why: without oneDNN (AVX2-only CPUs) TensorFlow's MaxPoolGrad is slow. On a 2-core AVX2 EPYC, VGG's first pool
at 384 px (384×384×64) took 83–92 ms forward + backward with it and 34–46 ms with the element-wise form below;
in a Gatys evaluation (ops run one at a time) that MaxPoolGrad was 163 ms of about 1,070 ms of op time. Both
give the same numbers (`tests/test_models.py` checks the gradient against TensorFlow's, ties included).

MaxPoolGrad sends each window's upstream gradient to the first of its largest inputs in row-major order (one
element, even when several tie: after a ReLU, all-zero windows are common). `_first_max_gradient` does the same:
it compares the window's four inputs with the pooled value in that order and keeps the first match.
"""

import keras
import tensorflow as tf

from tfstyle.models import conv


@tf.custom_gradient
def max_pool_2x2(x):
    """tf.nn.max_pool2d(x, 2, 2, "VALID") (NHWC, even H and W) with an element-wise gradient."""
    pooled = tf.nn.max_pool2d(x, 2, 2, "VALID")

    def grad(upstream):
        return _first_max_gradient(x, pooled, upstream)

    return pooled, grad


def _first_max_gradient(x, pooled, upstream):
    shape = tf.shape(x)
    windows = tf.reshape(x, [shape[0], shape[1] // 2, 2, shape[2] // 2, 2, shape[3]])
    zeros = tf.zeros_like(upstream)
    taken, parts = None, []
    for row in (0, 1):
        for column in (0, 1):
            hit = tf.equal(windows[:, :, row, :, column], pooled)
            if taken is not None:
                hit = tf.logical_and(hit, tf.logical_not(taken))  # an earlier element of the window won
            taken = hit if taken is None else tf.logical_or(taken, hit)
            parts.append(tf.where(hit, upstream, zeros))
    # parts are (B, H/2, W/2, C) per window element; interleave them back to (B, H/2, 2, W/2, 2, C)
    rows = [tf.stack(parts[0:2], axis=3), tf.stack(parts[2:4], axis=3)]
    return tf.reshape(tf.stack(rows, axis=2), shape)


@keras.saving.register_keras_serializable(package="tfstyle")
class MaxPooling2D(keras.layers.MaxPooling2D):
    """`keras.layers.MaxPooling2D` whose 2×2, stride-2 "valid" form uses `max_pool_2x2` where TensorFlow runs its
    own CPU kernels (`conv.eigen_cpu_kernels()`: no oneDNN, GPU or TPU; same outputs and gradients, faster
    gradients on such CPUs; VGG's pools are of this form), in every call: the forward op is TensorFlow's MaxPool
    either way. Odd rows or columns, which "valid" pooling drops, are cut off first."""

    def call(self, inputs):
        if not self._fast_gradient_applies():
            return super().call(inputs)
        shape = tf.shape(inputs)
        even = tf.slice(inputs, [0, 0, 0, 0], [-1, shape[1] // 2 * 2, shape[2] // 2 * 2, -1])
        return max_pool_2x2(even)

    def _fast_gradient_applies(self):
        if not conv.eigen_cpu_kernels() or self.padding != "valid" or self.data_format != "channels_last":
            return False
        return tuple(self.pool_size) == (2, 2) and tuple(self.strides) == (2, 2)
