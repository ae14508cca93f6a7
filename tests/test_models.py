"""Network builders: the papers' exact parameter counts, shapes, layer rules, serialisation."""

import keras
import numpy as np
import pytest

from tfstyle.models import (
    InstanceNormalization, norm_layer, patchgan_discriminator, pixel_discriminator, resnet_generator, unet_generator,
)  # fmt: skip


def trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def output_shape(model, size, channels=3):
    return tuple(model(np.zeros((1, size, size, channels), np.float32)).shape)


def record_calls(monkeypatch, module, *names):
    """Wraps the functions `module.<name>` so each call appends its name to the returned list, then runs as before."""
    calls = []
    for name in names:
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, name=name, original=original: calls.append(name) or original(*a))
    return calls


def kernel_value_and_grads(conv, x, w, upstream):
    """conv(x, w) and its gradients with respect to x and w for the upstream gradient."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = conv(x, w)
    return [y, *tape.gradient(y, [x, w], upstream)]


def twin_layers(layer, reference, x, rng):
    """Builds both layers for x with the same random weights (scaled by 0.2: float32 round-off stays small)."""
    reference.build(x.shape)
    layer.build(x.shape)
    layer.set_weights([0.2 * rng.normal(size=w.shape).astype(np.float32) for w in reference.get_weights()])
    reference.set_weights(layer.get_weights())


def layer_value_and_grads(module, x, training):
    """module(x) and the gradients of a non-linear loss of it with respect to x and the module's weights."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(x)
        y = module(x, training=training)
        loss = tf.reduce_sum(y * tf.sin(y))
    return [y, *tape.gradient(loss, [x, *module.trainable_variables])]


# Parameter counts: sum of p.numel() over the reference's networks (junyanz/pytorch-CycleGAN-and-pix2pix
# models/networks.py, whose print_networks shows them in millions: 54.414 M, 2.769 M, 2.765 M, 11.378 M), the
# fast-style reference's TransformerNet (pytorch/examples fast_neural_style) and the AdaIN reference's decoder
# (naoto0804/pytorch-AdaIN net.py), counted layer by layer in each builder's docstring.


def test_unet_256_matches_the_paper():
    g = unet_generator(256)
    assert trainable(g) == 54_413_955
    assert output_shape(g, 256) == (1, 256, 256, 3)
    downs = [l for l in g.layers if l.name.startswith("unet_down") and l.name[-1].isdigit()]
    assert len(downs) == 8 and all(l.strides == (2, 2) and l.kernel_size == (4, 4) for l in downs)
    assert [l.name for l in g.layers if isinstance(l, keras.layers.Dropout)] == [
        "unet_up7_dropout", "unet_up6_dropout", "unet_up5_dropout"]  # fmt: skip
    names = {l.name for l in g.layers}
    assert "unet_down1_norm" not in names and "unet_down8_norm" not in names  # outermost / innermost
    assert g.get_layer("unet_output").activation.__name__ == "tanh"


def test_unet_128_has_seven_downsamplings_and_instance_norm_variant():
    g = unet_generator(128, ngf=8, norm="instance")
    assert g.name == "unet_generator_7"
    assert output_shape(g, 128) == (1, 128, 128, 3)
    assert any(isinstance(l, InstanceNormalization) for l in g.layers)
    assert len([l for l in g.layers if isinstance(l, keras.layers.Dropout)]) == 2


def test_patchgan_70_counts_and_output():
    d = patchgan_discriminator(6, norm="batch")
    assert trainable(d) == 2_768_705
    assert output_shape(d, 256, 6) == (1, 30, 30, 1)
    d = patchgan_discriminator(3, norm="instance")
    assert trainable(d) == 2_764_737
    assert output_shape(patchgan_discriminator(3, ndf=8, n_layers=2), 64) == (1, 14, 14, 1)
    assert output_shape(pixel_discriminator(3, ndf=8), 32) == (1, 32, 32, 1)


def test_resnet_9_blocks_exact_count():
    g = resnet_generator(9)
    assert trainable(g) == 11_378_179
    assert output_shape(g, 256) == (1, 256, 256, 3)
    small = resnet_generator(6, ngf=8)
    assert output_shape(small, 64) == (1, 64, 64, 3)
    assert len([l for l in small.layers if l.name.endswith("_add")]) == 6


def test_resnet_upsampling_is_aligned_like_the_reference():
    # PyTorch ConvTranspose2d(k=3, s=2, p=1, output_padding=1): input pixel i reaches outputs 2i-1, 2i, 2i+1.
    g = resnet_generator(1, ngf=4)
    up, crop = g.get_layer("resnet_up1"), g.get_layer("resnet_up1_crop")
    up.kernel.assign(np.ones(up.kernel.shape, np.float32))
    impulse = np.zeros((1, 4, 4, 16), np.float32)
    impulse[0, 1, 2] = 1.0
    out = np.asarray(crop(up(impulse)))[0, :, :, 0]
    assert out.shape == (8, 8)
    rows, cols = np.nonzero(out - out.min())
    assert set(rows) == {1, 2, 3} and set(cols) == {3, 4, 5}


def test_instance_norm_against_numpy(rng):
    x = rng.normal(2.0, 3.0, (2, 5, 7, 4)).astype(np.float32)
    y = np.asarray(InstanceNormalization()(x))
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), atol=1e-4)
    layer = InstanceNormalization()
    layer(x)
    assert layer.count_params() == 0 and InstanceNormalization(center=True, scale=True).get_config()["scale"]


def test_instance_norm_training_kernels_match_the_exported_form(rng):
    import tensorflow as tf

    x = tf.constant(rng.normal(2.0, 3.0, (3, 6, 5, 4)).astype(np.float32))
    upstream = tf.constant(rng.normal(size=(3, 6, 5, 4)).astype(np.float32))
    layer = InstanceNormalization(center=True, scale=True)
    layer.build(x.shape)
    layer.gamma.assign(rng.normal(size=4).astype(np.float32))
    layer.beta.assign(rng.normal(size=4).astype(np.float32))

    def value_and_grad(images, training):
        with tf.GradientTape() as tape:
            tape.watch(images)
            y = layer(images, training=training)
        return y, tape.gradient(y, images, upstream)

    reference = value_and_grad(x, False)  # op by op, as exported
    split = value_and_grad(x, True)  # known batch: fused kernel per image
    fold = tf.function(lambda t: value_and_grad(t, True), input_signature=[tf.TensorSpec([None, 6, 5, 4])])(x)
    for got in (split, fold):
        np.testing.assert_allclose(got[0], reference[0], atol=1e-4)
        np.testing.assert_allclose(got[1], reference[1], atol=1e-4)


FORWARD_GRADIENT_CASES = [  # (input shape, kernel shape, padding)
    ((2, 9, 8, 5), (3, 3, 5, 4), "VALID"),
    ((1, 12, 12, 6), (7, 7, 6, 3), "VALID"),
    ((2, 9, 8, 5), (3, 3, 5, 4), "SAME"),
    ((1, 10, 11, 3), (5, 5, 3, 2), "SAME"),
]


@pytest.mark.parametrize("shape,kernel,padding", FORWARD_GRADIENT_CASES)
def test_convolution_gradients_as_forward_convolutions_match_tensorflow(rng, shape, kernel, padding):
    import tensorflow as tf

    from tfstyle.models.conv import conv2d_forward_gradients

    x = tf.constant(rng.normal(size=shape).astype(np.float32))
    w = tf.constant(rng.normal(size=kernel).astype(np.float32))
    lost = 0 if padding == "SAME" else 1  # rows and columns a VALID convolution loses, per kernel pixel
    out_shape = (shape[0], shape[1] - lost * (kernel[0] - 1), shape[2] - lost * (kernel[1] - 1), kernel[3])
    upstream = tf.constant(rng.normal(size=out_shape).astype(np.float32))

    expected = kernel_value_and_grads(lambda a, b: tf.nn.conv2d(a, b, 1, padding), x, w, upstream)
    got_all = kernel_value_and_grads(lambda a, b: conv2d_forward_gradients(a, b, padding), x, w, upstream)
    for got, want in zip(got_all, expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("batch,per_image_max", [(3, 16), (3, 2), (None, 16)])
def test_kernel_gradient_per_image_or_whole_batch_matches_tensorflow(rng, monkeypatch, batch, per_image_max):
    """Image by image for a static batch up to PER_IMAGE_MAX_BATCH, else (larger or unknown batches) one
    convolution over the whole batch; map sizes unknown when traced, as with a (None, None, C) model input."""
    import tensorflow as tf

    from tfstyle.models import conv

    monkeypatch.setattr(conv, "PER_IMAGE_MAX_BATCH", per_image_max)
    calls = record_calls(monkeypatch, conv, "_image_kernel_gradient", "_channels_first")
    x = tf.constant(rng.normal(size=(3, 9, 8, 5)).astype(np.float32))
    w = tf.constant(rng.normal(size=(3, 3, 5, 4)).astype(np.float32))
    upstream = tf.constant(rng.normal(size=(3, 7, 6, 4)).astype(np.float32))

    expected = kernel_value_and_grads(lambda a, b: tf.nn.conv2d(a, b, 1, "VALID"), x, w, upstream)
    signature = [tf.TensorSpec((batch, None, None, 5)), tf.TensorSpec((3, 3, 5, 4))]
    traced = tf.function(lambda a, b: kernel_value_and_grads(conv.conv2d_forward_gradients, a, b, upstream), signature)
    for got, want in zip(traced(x, w), expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    per_image = batch is not None and batch <= per_image_max
    assert calls == (["_image_kernel_gradient"] * 3 if per_image else ["_channels_first"])


@pytest.mark.parametrize("accelerator", ["GPU", "TPU"])
def test_layers_keep_tensorflows_kernels_where_a_gpu_or_tpu_runs_them(rng, monkeypatch, accelerator):
    """The faster forms are for TensorFlow's own CPU kernels: with a GPU or TPU visible (faked here), every layer
    that has one uses TensorFlow's ops in training calls too."""
    import tensorflow as tf

    from tfstyle.models import conv, pooling

    monkeypatch.setattr(conv, "onednn_enabled", lambda: False)
    assert conv.eigen_cpu_kernels()  # no accelerator on the machines the tests run on
    listed = tf.config.list_logical_devices
    fake = [tf.config.LogicalDevice(f"/device:{accelerator}:0", accelerator)]
    faked = lambda kind=None: fake if kind == accelerator else listed(kind)  # noqa: E731
    monkeypatch.setattr(tf.config, "list_logical_devices", faked)
    assert not conv.eigen_cpu_kernels()

    forms = ("conv2d_forward_gradients", "conv2d_stride2_blocked", "conv2d_stride2_small", "conv2d_transpose_small")
    calls, pool_calls = record_calls(monkeypatch, conv, *forms), record_calls(monkeypatch, pooling, "max_pool_2x2")
    x = tf.constant(rng.normal(size=(1, 8, 8, 3)).astype(np.float32))
    layers = (conv.Conv2D(4, 3, padding="same"), conv.Conv2D(4, 4, 2, "same"), conv.Conv2DTranspose(4, 4, 2, "same"))
    for layer in layers:
        layer_value_and_grads(layer, x, True)
    pooling.MaxPooling2D()(x)
    assert calls == [] and pool_calls == []


@pytest.mark.parametrize("form", ["conv2d_stride2_blocked", "conv2d_stride2_small"])
@pytest.mark.parametrize("shape", [(1, 8, 8, 3), (2, 10, 6, 5), (1, 4, 4, 2)])
def test_stride2_convolution_forms_match_tensorflow(rng, form, shape):
    import tensorflow as tf

    from tfstyle.models import conv

    x = tf.constant(rng.normal(size=shape).astype(np.float32))
    w = tf.constant(rng.normal(size=(4, 4, shape[3], 7)).astype(np.float32))
    upstream = tf.constant(rng.normal(size=(shape[0], shape[1] // 2 - 1, shape[2] // 2 - 1, 7)).astype(np.float32))

    expected = kernel_value_and_grads(lambda a, b: tf.nn.conv2d(a, b, 2, "VALID"), x, w, upstream)
    in_graph = tf.function(lambda: kernel_value_and_grads(getattr(conv, form), x, w, upstream))  # as in fit
    for got, want in zip(in_graph(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(1, 2, 2, 6), (2, 3, 5, 4)])
def test_small_transposed_convolution_matches_tensorflow(rng, shape):
    import tensorflow as tf

    from tfstyle.models.conv import conv2d_transpose_small

    x = tf.constant(rng.normal(size=shape).astype(np.float32))
    w = tf.constant(rng.normal(size=(4, 4, 7, shape[3])).astype(np.float32))
    out_shape = (shape[0], 2 * shape[1], 2 * shape[2], 7)
    upstream = tf.constant(rng.normal(size=out_shape).astype(np.float32))

    expected = kernel_value_and_grads(lambda a, b: tf.nn.conv2d_transpose(a, b, out_shape, 2, "SAME"), x, w, upstream)
    in_graph = tf.function(lambda: kernel_value_and_grads(conv2d_transpose_small, x, w, upstream))
    for got, want in zip(in_graph(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("form", ["conv2d_stride2_blocked", "conv2d_stride2_small", "conv2d_transpose_small"])
def test_stride2_forms_refuse_other_kernels(form):
    import tensorflow as tf

    from tfstyle.models import conv

    with pytest.raises(ValueError, match="4×4"):
        getattr(conv, form)(tf.zeros((1, 8, 8, 2)), tf.zeros((3, 3, 2, 2)))


@pytest.mark.parametrize("padding,size,form", [("same", 64, "blocked"), ("valid", 66, "blocked"), ("same", 16, "small"),
                                               ("valid", 4, "small"), ("valid", 33, None)])  # fmt: skip
@pytest.mark.parametrize("onednn", [False, True])
def test_stride2_conv_layer_picks_its_form_by_map_size(rng, monkeypatch, padding, size, form, onednn):
    """Even maps of 64 px or more: blocked (not with oneDNN, which aborts on its kernel gradient); smaller even
    maps: small; odd maps: TensorFlow's kernels. Only in training calls; the same outputs and gradients either
    way."""
    import tensorflow as tf

    from tfstyle.models import conv

    calls = record_calls(monkeypatch, conv, "conv2d_stride2_blocked", "conv2d_stride2_small")
    monkeypatch.setattr(conv, "onednn_enabled", lambda: onednn)
    form = None if onednn and form == "blocked" else form
    layer = conv.Conv2D(6, 4, 2, padding)
    reference = keras.layers.Conv2D(6, 4, 2, padding)
    x = tf.constant(rng.normal(size=(2, size, size, 3)).astype(np.float32))
    twin_layers(layer, reference, x, rng)

    expected = layer_value_and_grads(reference, x, False)
    for got, want in zip(layer_value_and_grads(layer, x, True), expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    assert calls == ([f"conv2d_stride2_{form}"] if form else [])
    layer_value_and_grads(layer, x, False)  # inference and export keep the plain convolution
    assert len(calls) == (1 if form else 0)


@pytest.mark.parametrize("shape", [(2, 8, 10, 3), (1, 9, 7, 4)])  # even, and odd sizes ("valid" drops a row)
def test_max_pooling_gradient_is_tensorflows_ties_included(rng, monkeypatch, shape):
    import tensorflow as tf

    from tfstyle.models import conv, pooling

    # ReLU'd values rounded to quarters: many windows tie, at zero and above it (flat image regions)
    values = np.round(np.maximum(rng.normal(size=shape), 0) * 4) / 4
    x = tf.constant(values.astype(np.float32))
    upstream = tf.constant(rng.normal(size=(shape[0], shape[1] // 2, shape[2] // 2, shape[3])).astype(np.float32))

    def value_and_grad(layer):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
        return y, tape.gradient(y, x, upstream)

    want = value_and_grad(keras.layers.MaxPooling2D())
    calls = record_calls(monkeypatch, pooling, "max_pool_2x2")
    for onednn in (False, True):
        monkeypatch.setattr(conv, "onednn_enabled", lambda: onednn)
        got = value_and_grad(pooling.MaxPooling2D())
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
    assert len(calls) == 1  # the element-wise gradient without oneDNN only
    h, w = shape[1] // 2, shape[2] // 2
    windows = values[:, : 2 * h, : 2 * w].reshape(shape[0], h, 2, w, 2, shape[3])
    largest = windows.max(axis=(2, 4), keepdims=True)
    tied = (windows == largest).sum(axis=(2, 4)) > 1
    assert tied[largest[:, :, 0, :, 0] > 0].any() and tied[largest[:, :, 0, :, 0] == 0].any()  # both kinds of tie


def without_kinks(*models):
    """Makes the models' ReLU and LeakyReLU layers the identity (slope 1 on both sides), in place.

    The two convolution paths compute the same sums in different orders, so activations differ in their last digits;
    where one lies within that of zero, a ReLU's derivative flips between 0 and 1 and the gradients below it differ by
    a finite amount, although both paths are right. Measured on the Pix2Pix networks below (a Xeon with AMX, 40
    weight seeds): with the activations kept, seed 31 differed by up to 0.16 of a kernel gradient's largest entry
    (two ReLU inputs, of 3e-8 and 1e-6, changed sign), and the unseeded weights of one CI run by 4e-4, enough to
    fail; with them linear, every seed agreed within 6e-5. The convolutions, the subject of these tests, are
    unchanged."""
    for model in models:
        for layer in model.layers:
            if isinstance(layer, (keras.layers.ReLU, keras.layers.LeakyReLU)):
                layer.negative_slope = 1.0


def test_generator_trains_with_the_same_gradients_on_either_convolution_path(monkeypatch):
    import tensorflow as tf

    from tfstyle.models import conv

    calls = record_calls(monkeypatch, conv, "conv2d_forward_gradients")
    keras.utils.set_random_seed(0)  # the same weights whatever ran before
    g = resnet_generator(1, ngf=4)
    without_kinks(g)
    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32))

    def grads(onednn):
        monkeypatch.setattr(conv, "onednn_enabled", lambda: onednn)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(g(x, training=True) - x))
        return tape.gradient(loss, g.trainable_variables)

    tensorflow_kernels, n_calls = grads(True), len(calls)
    forward_forms = grads(False)
    assert n_calls == 0 and len(calls) == 4  # the stride-1 convs: stem, the block's two, head
    for got, want in zip(forward_forms, tensorflow_kernels):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-5)
    g(x, training=False)
    assert len(calls) == 4  # inference (and export) keep the plain convolution


@pytest.mark.parametrize("cropping", [((1, 0), (1, 0)), ((2, 1), (0, 3))])
def test_cropping_as_one_slice_matches_keras(rng, cropping):
    from tfstyle.models.layers import Cropping2D

    x = rng.normal(size=(2, 9, 8, 3)).astype(np.float32)
    np.testing.assert_array_equal(Cropping2D(cropping)(x), keras.layers.Cropping2D(cropping)(x))


@pytest.mark.parametrize("padding,shape", [(1, (2, 5, 7, 3)), (3, (1, 9, 4, 2)), (4, (1, 11, 13, 1))])
def test_reflection_padding_by_slices_equals_mirror_pad(rng, padding, shape):
    """The inference/export form (slices + concatenation, XNNPACK-friendly) gives MirrorPad's values exactly."""
    from tfstyle.models.layers import ReflectionPadding2D

    x = rng.standard_normal(shape).astype("float32")
    layer = ReflectionPadding2D(padding)
    expected = np.pad(x, [(0, 0), (padding, padding), (padding, padding), (0, 0)], mode="reflect")
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), expected)
    np.testing.assert_array_equal(np.asarray(layer(x, training=True)), expected)


def test_unet_refuses_sizes_it_cannot_take():
    with pytest.raises(ValueError) as info:
        unet_generator(200)
    assert str(info.value) == ("A U-Net with 7 downsamplings takes sizes that are multiples of 128. Received: "
                               "image_size=200; use 128 or 256, or pass num_downs.")  # fmt: skip
    with pytest.raises(ValueError, match=r"at least 5 downsamplings \(images of 32 px or more\)"):
        unet_generator(16)
    assert output_shape(unet_generator(96, ngf=4, num_downs=5), 96) == (1, 96, 96, 3)


def test_fast_style_transformer_matches_the_reference():
    from tfstyle.models.transformer import transformer_network

    g = transformer_network()
    assert trainable(g) == 1_679_235
    assert output_shape(g, 64) == (1, 64, 64, 3)
    assert trainable(transformer_network(0.25)) < trainable(g) / 14  # ~quadratic in the width
    norms = [l for l in g.layers if isinstance(l, InstanceNormalization)]
    assert len(norms) == 15 and all(l.center and l.scale for l in norms)  # affine, after every conv but the last
    assert np.all(norms[0].gamma.numpy() == 1) and np.all(norms[0].beta.numpy() == 0)  # PyTorch's affine init
    kernel = g.get_layer("transformer_block1_conv1").kernel.numpy()
    assert np.abs(kernel).max() <= 1 / np.sqrt(3 * 3 * 128)  # PyTorch's default conv init: U(±1/√fan_in)


def test_norm_choice_error_lists_valid_names():
    with pytest.raises(ValueError) as info:
        norm_layer("batchy")
    assert str(info.value) == 'Unknown normalisation. Received: norm="batchy"; expected one of "batch", "instance", "none".'


@pytest.mark.parametrize("builder", [lambda: unet_generator(32, ngf=4, norm="instance"),
                                     lambda: resnet_generator(2, ngf=4)])  # fmt: skip
def test_generators_round_trip_as_keras_files_in_safe_mode(tmp_path, builder):
    g = builder()
    x = np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    g.save(tmp_path / "g.keras")
    loaded = keras.saving.load_model(tmp_path / "g.keras", safe_mode=True)
    np.testing.assert_allclose(loaded(x), g(x), atol=1e-6)


def test_same_shaped_layers_get_different_initial_weights():
    g = resnet_generator(2, ngf=4)
    a, b = (g.get_layer(f"resnet_block{i}_conv1").get_weights()[0] for i in (1, 2))
    assert not np.array_equal(a, b)
    assert abs(float(a.std()) - 0.02) < 0.005  # N(0, 0.02), as the reference
    u = unet_generator(64, ngf=4)
    assert not np.array_equal(u.get_layer("unet_down5").get_weights()[0], u.get_layer("unet_down6").get_weights()[0])


@pytest.mark.parametrize("center,scale", [(True, True), (False, False)])
def test_batch_norm_fused_kernels_compute_what_keras_batch_norm_does(rng, center, scale):
    """Outputs, gradients (input, gamma, beta) and moving statistics of a training call equal Keras's layer."""
    import keras
    import tensorflow as tf

    from tfstyle.models.layers import BatchNormalization

    x = tf.constant(rng.normal(2.0, 3.0, (2, 5, 4, 6)).astype(np.float32))
    upstream = tf.constant(rng.normal(size=(2, 5, 4, 6)).astype(np.float32))
    settings = dict(momentum=0.9, epsilon=1e-5, center=center, scale=scale)
    ours, theirs = BatchNormalization(**settings), keras.layers.BatchNormalization(**settings)
    for layer in (ours, theirs):
        layer.build(x.shape)
        layer.set_weights([w.astype(np.float32) + 0.5 for w in layer.get_weights()])  # non-trivial gamma / stats
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]

    def step(layer, images):
        with tf.GradientTape() as tape:
            tape.watch(images)
            y = layer(images, training=True)
        return [y, *tape.gradient(y, [images, *layer.trainable_weights], upstream)]

    for got, expected in zip(tf.function(step)(ours, x), step(theirs, x)):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    for got, expected in zip(ours.get_weights(), theirs.get_weights()):  # moving mean and biased variance
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours(x, training=False), theirs(x, training=False), rtol=1e-5, atol=1e-5)
    graph = tf.function(lambda t: ours(t, training=True)).get_concrete_function(x).graph
    assert "FusedBatchNormV3" in {op.type for op in graph.get_operations()}  # the kernel is really used


@pytest.mark.parametrize("size,small", [(16, True), (2, True), (32, False)])
@pytest.mark.parametrize("onednn", [False, True])
def test_transposed_conv_layer_uses_the_small_form_on_small_maps(rng, monkeypatch, size, small, onednn):
    """Maps of up to 16 px, with oneDNN or without, in training calls; the same outputs and gradients either way
    (the map is not square)."""
    import tensorflow as tf

    from tfstyle.models import conv

    calls = record_calls(monkeypatch, conv, "conv2d_transpose_small")
    monkeypatch.setattr(conv, "onednn_enabled", lambda: onednn)
    layer = conv.Conv2DTranspose(3, 4, 2, "same")
    reference = keras.layers.Conv2DTranspose(3, 4, 2, "same")
    x = tf.constant(rng.normal(size=(2, size, size // 2, 5)).astype(np.float32))
    twin_layers(layer, reference, x, rng)

    expected = layer_value_and_grads(reference, x, False)
    in_graph = tf.function(lambda: layer_value_and_grads(layer, x, True))  # as in fit
    for got, want in zip(in_graph(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    assert len(calls) == (1 if small else 0)
    layer_value_and_grads(layer, x, False)  # inference and export keep the plain transposed convolution
    assert len(calls) == (1 if small else 0)


def test_pix2pix_networks_train_with_the_same_gradients_on_either_convolution_path(monkeypatch):
    """U-Net and PatchGAN: TensorFlow's stride-2 kernels, the forms used with oneDNN (the small maps' matrix
    products) and all the forms (without oneDNN) agree."""
    import tensorflow as tf

    from tfstyle.models import conv

    calls = record_calls(monkeypatch, conv, "conv2d_stride2_blocked", "conv2d_stride2_small", "conv2d_transpose_small")
    keras.utils.set_random_seed(0)  # the same weights whatever ran before
    g, d = unet_generator(64, ngf=16, norm="instance", dropout=0), patchgan_discriminator(6, ndf=4, norm="instance")
    without_kinks(g, d)
    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32))

    def grads(onednn, fast_stride2=True):
        monkeypatch.setattr(conv, "onednn_enabled", lambda: onednn)
        monkeypatch.setattr(conv, "FAST_STRIDE2", fast_stride2)
        calls.clear()
        with tf.GradientTape() as tape:
            fake = g(x, training=True)
            loss = tf.reduce_mean(tf.square(d(tf.concat([x, fake], -1), training=True))) + tf.reduce_mean(fake**2)
        return tape.gradient(loss, g.trainable_variables + d.trainable_variables)

    tensorflow_kernels = grads(True, fast_stride2=False)
    assert calls == []
    # U-Net: blocked at 64 px, small at 32..2 px; transposed small from 1 to 16 px (32 px: TensorFlow's).
    # PatchGAN (its inputs padded by one pixel): blocked at 66 px, small at 34 and 18 px.
    small_forms = ["conv2d_stride2_small"] * 7 + ["conv2d_transpose_small"] * 5
    with_onednn = grads(True)
    assert sorted(calls) == sorted(small_forms)
    all_forms = grads(False)
    assert sorted(calls) == sorted(["conv2d_stride2_blocked"] * 2 + small_forms)
    for faster in (with_onednn, all_forms):
        for got, want in zip(faster, tensorflow_kernels):
            np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-5)
