"""Winograd convolutions F(4×4, 3×3) and F(3×3, 4×4) (`tfstyle.models.winograd`): the transforms are exact, the
convolutions and both gradients equal TensorFlow's, and `tfstyle.models.Conv2D` uses them only where they were
measured faster."""

import keras
import numpy as np
import pytest

from tfstyle.models import resnet_generator
from tfstyle.models.winograd import POINTS, transform_matrices

# the points of Lavin & Gray's published F(4, 3) matrices, and the ones tfstyle uses
POINT_SETS = [(0.0, -1.0, 1.0, -2.0, 2.0), POINTS]


@pytest.mark.parametrize("points", POINT_SETS)
@pytest.mark.parametrize("output_tile,kernel_size", [(4, 3), (3, 4)])
def test_transforms_compute_the_correlation_exactly(rng, points, output_tile, kernel_size):
    m, r = output_tile, kernel_size
    a_t, g, b_t = transform_matrices(points, m, r)
    assert a_t.shape == (m, 6) and g.shape == (6, r) and b_t.shape == (6, 6)
    for _ in range(5):
        d, k = rng.normal(size=6), rng.normal(size=r)
        correlation = [d[i : i + r] @ k for i in range(m)]
        np.testing.assert_allclose(a_t @ ((g @ k) * (b_t @ d)), correlation, rtol=1e-12, atol=1e-12)


def test_transforms_refuse_repeated_points():
    with pytest.raises(ValueError, match="distinct"):
        transform_matrices((0.0, 1.0, 1.0, -1.0, 2.0))


def value_and_grads(conv, x, w, upstream):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = conv(x, w)
    return [y, *tape.gradient(y, [x, w], upstream)]


@pytest.mark.parametrize("shape,filters", [((1, 6, 6, 3), 2), ((2, 10, 14, 5), 7), ((1, 18, 18, 16), 8),
                                           ((2, 7, 9, 3), 4), ((1, 4, 5, 2), 3)])  # fmt: skip
@pytest.mark.parametrize("size", [3, 4])
def test_winograd_convolution_and_its_gradients_equal_tensorflows(rng, shape, filters, size):
    """Against a float64 convolution, eager and in a tf.function (as in fit); float32 round-off only. The sizes
    include outputs of whole tiles and outputs that are padded to whole tiles and cropped."""
    import tensorflow as tf

    from tfstyle.models.winograd import conv2d_winograd

    x = rng.normal(size=shape)
    w = 0.3 * rng.normal(size=(size, size, shape[3], filters))
    upstream = rng.normal(size=(shape[0], shape[1] - size + 1, shape[2] - size + 1, filters))
    as_float32 = [tf.constant(v, tf.float32) for v in (x, w, upstream)]
    want = value_and_grads(lambda a, b: tf.nn.conv2d(a, b, 1, "VALID"), *[tf.constant(v) for v in (x, w, upstream)])
    eager = value_and_grads(conv2d_winograd, *as_float32)
    in_graph = tf.function(value_and_grads)(conv2d_winograd, *as_float32)  # as in fit
    for got in (eager, in_graph):
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * float(np.abs(b).max()))


def test_winograd_convolution_takes_an_unknown_batch(rng):
    import tensorflow as tf

    from tfstyle.models.winograd import conv2d_winograd

    w = tf.constant(rng.normal(size=(3, 3, 4, 2)).astype(np.float32))
    x = tf.constant(rng.normal(size=(3, 10, 6, 4)).astype(np.float32))
    traced = tf.function(lambda images: conv2d_winograd(images, w), input_signature=[tf.TensorSpec([None, 10, 6, 4])])
    np.testing.assert_allclose(traced(x), tf.nn.conv2d(x, w, 1, "VALID"), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape,kernel", [((1, 8, 8, 2), (5, 5, 2, 2)), ((1, 8, 8, 2), (3, 4, 2, 2)),
                                          ((1, 3, 8, 2), (4, 4, 2, 2))])  # fmt: skip
def test_winograd_convolution_refuses_what_it_cannot_compute(shape, kernel):
    import tensorflow as tf

    from tfstyle.models.winograd import conv2d_winograd

    with pytest.raises(ValueError, match="3×3 or 4×4|at least the kernel"):
        conv2d_winograd(tf.zeros(shape), tf.zeros(kernel))


def record_winograd_kernels(monkeypatch):
    """Wraps `winograd.conv2d_winograd` so each call appends its kernel's shape to the returned list."""
    from tfstyle.models import winograd

    kernels = []
    original = winograd.conv2d_winograd
    recording = lambda x, kernel: kernels.append(kernel.shape) or original(x, kernel)  # noqa: E731
    monkeypatch.setattr(winograd, "conv2d_winograd", recording)
    return kernels


@pytest.mark.parametrize("kernel,padding,size,channels,onednn,dtype,used", [
    (3, "valid", 18, 256, True, "float32", True),
    (3, "same", 16, 256, True, "float32", True),
    (3, "valid", 19, 256, True, "float32", True),  # a 17-pixel output: padded to whole tiles, cropped
    (4, "valid", 19, 256, True, "float32", True),  # F(3×3, 4×4): a 16-pixel output, padded to 18
    (4, "same", 18, 256, True, "float32", False),  # "same" with an even kernel: TensorFlow's kernels
    (3, "valid", 18, 128, True, "float32", False),  # too few channels: the transforms cost more than they save
    (3, "valid", 10, 256, True, "float32", False),  # an 8-pixel output: below MIN_SIZE
    (3, "valid", 18, 256, True, "mixed_bfloat16", False),  # float32 only
    (3, "valid", 18, 256, False, "float32", False),  # TensorFlow's Eigen kernels take the forward-gradient form
    (5, "valid", 20, 256, True, "float32", False),  # no algorithm for 5×5
])  # fmt: skip
def test_conv_layer_uses_winograd_where_it_was_measured_faster(rng, monkeypatch, kernel, padding, size, channels,
                                                               onednn, dtype, used):  # fmt: skip
    """Only trained 3×3 and 4×4 stride-1 convolutions, with oneDNN, in float32, with enough channels and a large
    enough map; the same outputs and gradients as Keras's layer either way."""
    import tensorflow as tf

    from tfstyle.models import conv

    calls = record_winograd_kernels(monkeypatch)
    monkeypatch.setattr(conv, "onednn_enabled", lambda: onednn)
    layer = conv.Conv2D(channels, kernel, padding=padding, dtype=dtype)
    reference = keras.layers.Conv2D(channels, kernel, padding=padding, dtype=dtype)
    x = tf.constant(rng.normal(size=(1, size, size, channels)).astype(np.float32))
    reference.build(x.shape)
    layer.build(x.shape)
    layer.set_weights([0.02 * rng.normal(size=w.shape).astype(np.float32) for w in reference.get_weights()])
    reference.set_weights(layer.get_weights())

    def run(module, training):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = module(x, training=training)
            loss = tf.reduce_sum(tf.cast(y, tf.float32) * tf.sin(tf.cast(y, tf.float32)))
        return [y, *tape.gradient(loss, [x, *module.trainable_variables])]

    tolerance = 1e-4 if dtype == "float32" else 2e-2
    for got, want in zip(run(layer, True), run(reference, True)):
        want = np.float32(want)
        np.testing.assert_allclose(np.float32(got), want, rtol=tolerance, atol=tolerance * float(np.abs(want).max()))
    assert len(calls) == (1 if used else 0)
    run(layer, False)  # inference and export keep the plain convolution
    assert len(calls) == (1 if used else 0)
    monkeypatch.setattr(conv, "WINOGRAD", False)
    run(layer, True)
    assert len(calls) == (1 if used else 0)


def assert_same_gradients_through_winograd(monkeypatch, model, loss, kernels):
    """The gradients of `loss(model)` with respect to every weight, with oneDNN (faked), agree whether the model's
    Winograd layers run as Winograd or as oneDNN's convolution; returns the kernel shapes of the Winograd calls."""
    import tensorflow as tf

    from tfstyle.models import conv

    from test_models import without_kinks

    monkeypatch.setattr(conv, "onednn_enabled", lambda: True)
    without_kinks(model)

    def grads(use_winograd):
        monkeypatch.setattr(conv, "WINOGRAD", use_winograd)
        with tf.GradientTape() as tape:
            value = loss(model)
        return tape.gradient(value, model.trainable_variables)

    plain = grads(False)
    assert kernels == []
    through_winograd = grads(True)
    # biases before a norm get gradients of zero up to round-off, so the tolerance scales with the largest
    scale = max(float(np.abs(want).max()) for want in plain)
    for got, want in zip(through_winograd, plain):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-5 * scale)
    return [tuple(shape) for shape in kernels]


def test_cyclegan_generator_trains_with_the_same_gradients_through_winograd(monkeypatch):
    """The paper's widths (256-channel residual blocks at 64 px // 4 = 16 px): the gradients of every weight agree
    with oneDNN's kernels whether the blocks' convolutions run as Winograd or not."""
    import tensorflow as tf

    kernels = record_winograd_kernels(monkeypatch)
    keras.utils.set_random_seed(0)
    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (1, 64, 64, 3)).astype(np.float32))
    loss = lambda g: tf.reduce_mean(tf.square(g(x, training=True) - x))  # noqa: E731
    called = assert_same_gradients_through_winograd(monkeypatch, resnet_generator(1, ngf=64), loss, kernels)
    assert called == [(3, 3, 256, 256)] * 2  # the residual block's two convolutions


def test_patchgan_trains_with_the_same_gradients_through_winograd(monkeypatch):
    """The paper's widths: the fourth layer (4×4 256→512, stride 1; a 16-pixel output at 136 px) runs as F(3×3, 4×4)
    and every weight's gradient agrees with oneDNN's kernels."""
    import tensorflow as tf

    from tfstyle.models import patchgan_discriminator

    kernels = record_winograd_kernels(monkeypatch)
    keras.utils.set_random_seed(0)
    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (1, 136, 136, 6)).astype(np.float32))
    loss = lambda d: tf.reduce_mean(tf.square(d(x, training=True)))  # noqa: E731
    called = assert_same_gradients_through_winograd(monkeypatch, patchgan_discriminator(6, norm="batch"), loss, kernels)
    assert called == [(4, 4, 256, 512)]
