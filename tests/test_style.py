"""Gatys style transfer: losses against NumPy, optimisation, presets, colour, weights loading, CLI."""

import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfstyle.errors import WeightsError
from tfstyle.style import (
    FeatureExtractor, PRESETS, content_loss, gram_matrix, gram_style_loss, mean_std_style_loss, mrf_style_loss,
    settings_for, stylize, total_variation, vgg_backbone,
)  # fmt: skip
from tfstyle.style.color import to_yiq

from conftest import save_image


def feats(rng, h=5, w=6, n=4):
    return rng.normal(size=(1, h, w, n)).astype(np.float32)


def test_gram_and_style_normalisations_against_numpy(rng):
    f, s = feats(rng), feats(rng)
    F, S = f.reshape(-1, 4), s.reshape(-1, 4)
    G, A = F.T @ F, S.T @ S
    np.testing.assert_allclose(gram_matrix(f), G, rtol=1e-5)
    n, m = 4, 30
    np.testing.assert_allclose(gram_style_loss(f, A, "gatys"), ((G - A) ** 2).sum() / (4 * n**2 * m**2), rtol=1e-5)
    np.testing.assert_allclose(gram_style_loss(f, A, "mean"), (((G - A) / m) ** 2).mean(), rtol=1e-5)
    np.testing.assert_allclose(gram_style_loss(f, A, "pytorch"), (((G - A) / (n * m)) ** 2).mean(), rtol=1e-5)


def test_batch_gram_and_its_one_matmul_gradient_against_numpy(rng):
    from tfstyle.style.losses import batch_gram

    f = rng.normal(size=(2, 5, 6, 4)).astype(np.float32)
    upstream = rng.normal(size=(2, 4, 4)).astype(np.float32)  # not symmetric: both halves of dG must count
    flat = f.reshape(2, 30, 4)
    x = tf.constant(f)
    with tf.GradientTape() as tape:
        tape.watch(x)
        gram = batch_gram(x)
    np.testing.assert_allclose(gram, flat.transpose(0, 2, 1) @ flat, rtol=1e-5)
    # d<G, U>/dF = F·(U + Uᵀ) for G = FᵀF
    want = (flat @ (upstream + upstream.transpose(0, 2, 1))).reshape(f.shape)
    np.testing.assert_allclose(tape.gradient(gram, x, upstream), want, rtol=1e-4, atol=1e-5)


def test_content_tv_meanstd_mrf_against_numpy(rng):
    f, p = feats(rng), feats(rng)
    np.testing.assert_allclose(content_loss(f, p, "gatys"), 0.5 * ((f - p) ** 2).sum(), rtol=1e-5)
    np.testing.assert_allclose(content_loss(f, p, "mean"), ((f - p) ** 2).mean(), rtol=1e-5)
    np.testing.assert_allclose(content_loss(f, p, "sum"), ((f - p) ** 2).sum(), rtol=1e-5)
    image = rng.uniform(size=(1, 4, 5, 3)).astype(np.float32)
    tv = np.abs(np.diff(image, axis=1)).sum() + np.abs(np.diff(image, axis=2)).sum()
    np.testing.assert_allclose(total_variation(image), tv, rtol=1e-5)
    a = (image[:, :-1, :-1] - image[:, 1:, :-1]) ** 2
    b = (image[:, :-1, :-1] - image[:, :-1, 1:]) ** 2
    np.testing.assert_allclose(total_variation(image, "keras-io"), ((a + b) ** 1.25).sum(), rtol=1e-5)
    mean, std = p.mean((0, 1, 2)), np.sqrt(p.var((0, 1, 2)) + 1e-5)
    expected = ((f.mean((0, 1, 2)) - mean) ** 2).sum() + ((np.sqrt(f.var((0, 1, 2)) + 1e-5) - std) ** 2).sum()
    np.testing.assert_allclose(mean_std_style_loss(f, mean, std), expected, rtol=1e-4)
    patches = tf.reshape(tf.image.extract_patches(f, [1, 3, 3, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID"), [-1, 36])
    assert float(mrf_style_loss(f, patches)) == pytest.approx(0.0, abs=1e-6)  # every patch matches itself
    assert float(mrf_style_loss(p, patches)) > 0


def test_presets_set_exactly_the_documented_values():
    tf_tut = settings_for("tf-tutorial")
    assert tf_tut.content_layers == ("block5_conv2",) and tf_tut.style_weight == 1e-2
    assert (tf_tut.content_weight, tf_tut.tv_weight, tf_tut.optimizer) == (1e4, 30.0, "adam")
    assert (tf_tut.learning_rate, tf_tut.beta_1, tf_tut.epsilon, tf_tut.init, tf_tut.max_size) == (0.02, 0.99, 0.1, "content", 512)
    torch_tut = settings_for("pytorch-tutorial")
    assert (torch_tut.optimizer, torch_tut.steps, torch_tut.style_weight, torch_tut.content_weight) == ("lbfgs", 300, 1e6, 1.0)
    assert torch_tut.content_layers == ("block2_conv2",)  # conv_4
    assert torch_tut.style_layers == ("block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2", "block3_conv1")
    assert torch_tut.lbfgs_memory == 100  # torch.optim.LBFGS default history_size
    paper = settings_for("gatys2016")
    assert paper.content_layers == ("block4_conv2",) and len(paper.style_layers) == 5 and paper.pooling == "avg"
    assert paper.content_weight / paper.style_weight == pytest.approx(1e-3)
    keras_io = settings_for("keras-io")
    assert (keras_io.content_weight, keras_io.style_weight, keras_io.tv_weight) == (2.5e-8, 1e-6, 1e-6)
    quality = settings_for("quality")
    assert (quality.loss_form, quality.optimizer, quality.init, quality.multiscale) == ("scaled", "adam", "content", True)
    assert quality.scale_step == pytest.approx(2**0.5) and quality.average_decay == 0.99
    assert np.allclose(np.array(quality.style_layer_weights) * 341, (256, 64, 16, 4, 1))
    assert set(PRESETS) == {"quality", "gatys2016", "tf-tutorial", "keras-io", "pytorch-tutorial"}
    assert settings_for("tf-tutorial", steps=7).steps == 7
    with pytest.raises(ValueError, match='preset="gatsby"'):
        settings_for("gatsby")


def _images(rng):
    """A facade-like rendering as the photo and a striped painting (built-in synthetic images)."""
    from tfstyle.data import synthetic

    return synthetic.labels_pair("train", 1, 64)[1], synthetic.stripes_image("train", 1, 3, 64)


@pytest.mark.parametrize("optimizer,extra", [("lbfgs", {}), ("lbfgs-b", {}),
                                             ("adam", {"learning_rate": 0.02, "init": "content"})])  # fmt: skip
def test_total_loss_drops_strongly_at_64px(rng, optimizer, extra):
    keras.utils.set_random_seed(0)
    content, style = _images(rng)
    history = []
    out = stylize(content, style, weights=None, optimizer=optimizer, steps=15, max_size=64, progress=False,
                  callback=lambda step, image, losses: history.append(losses["total"]), **extra)  # fmt: skip
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    assert history[-1] < 0.2 * history[0], history


def test_hybrid_inception_style_loss_is_weighted_and_minimised(rng, tmp_path):
    from tfstyle.style.gatys import _make_loss

    keras.utils.set_random_seed(0)
    content, style = (np.asarray(tf.image.resize(image, (80, 80))) / 255.0 for image in _images(rng))
    s = settings_for(hybrid_backbone="inceptionv3", hybrid_weight=1e3, style_weight=10.0)
    vgg = FeatureExtractor(list(s.content_layers) + list(s.style_layers), weights=None, pooling="avg")
    inception = FeatureExtractor(s.hybrid_style_layers, "inceptionv3", weights=None)
    total, parts = _make_loss(vgg, s, content, [style], np.array([1.0]), inception)(tf.constant(content[None]))
    expected = s.content_weight * parts["content"] + 10.0 * (parts["style"] + 1e3 * parts["hybrid"])
    assert float(parts["hybrid"]) > 0 and float(total) == pytest.approx(float(expected), rel=1e-5)
    # end to end: the hybrid term falls; multi-scale levels never go below InceptionV3's 75-px minimum
    history = []
    out = stylize(content_uint8 := (content * 255).astype(np.uint8), (style * 255).astype(np.uint8), weights=None,
                  hybrid_backbone="inceptionv3", hybrid_weights=None, steps=10, max_size=80, progress=False,
                  init="content", multiscale=True, callback=lambda step, image, losses: history.append(losses))  # fmt: skip
    assert out.shape == content_uint8.shape and min(h["hybrid"] for h in history) < history[0]["hybrid"]
    with pytest.raises(ValueError, match="Use names like 'mixed2'"):
        FeatureExtractor(["block1_conv1"], "inceptionv3", weights=None)


def test_offline_hybrid_weights_name_their_option(tmp_path, monkeypatch, rng):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty_keras_home"))
    content, style = _images(rng)
    with pytest.raises(WeightsError, match=r"hybrid_weights='/path/inception_v3_.*--hybrid-weights PATH"):
        stylize(content, style, weights=None, hybrid_backbone="inceptionv3", steps=1, max_size=80, progress=False)


def test_multiscale_solves_small_first_and_color_preservation_keeps_chroma(rng):
    keras.utils.set_random_seed(0)
    content, style = _images(rng)
    sizes = []
    stylize(content, style, weights=None, steps=8, max_size=64, multiscale=True, progress=False,
            callback=lambda step, image, losses: sizes.append(image.shape[0]))  # fmt: skip
    assert sizes[0] == 16 and sizes[-1] == 64 and 32 in sizes
    seen = []  # custom levels; the callback counts loss evaluations (≥ 1 per L-BFGS step)
    stylize(content, style, weights=None, steps=6, max_size=64, multiscale=True, progress=False,
            scale_levels=(0.5, 1.0), scale_fractions=(0.5, 0.5),
            callback=lambda step, image, losses: seen.append((image.shape[0], losses["evaluations"])))  # fmt: skip
    assert {size for size, _ in seen} == {32, 64} and all(count >= 1 for _, count in seen)
    with pytest.raises(ValueError, match="scale_levels must end at 1.0"):
        stylize(content, style, weights=None, steps=2, multiscale=True, scale_levels=(0.5,), scale_fractions=(1.0,))
    plain = stylize(content, style, weights=None, steps=8, max_size=64, progress=False, init="content")
    kept = stylize(content, style, weights=None, steps=8, max_size=64, progress=False, init="content",
                   preserve_color="luminance")  # fmt: skip
    chroma = lambda image: to_yiq(image.astype(np.float64) / 255.0)[..., 1:]  # noqa: E731
    assert np.abs(chroma(kept) - chroma(content)).mean() < 0.02
    assert np.abs(chroma(plain) - chroma(content)).mean() > 2 * np.abs(chroma(kept) - chroma(content)).mean()
    two = stylize(content, [style, 255 - style], style_weights=[1, 3], weights=None, steps=3, max_size=32,
                  progress=False, style_scale=0.5)  # fmt: skip
    assert two.shape == (32, 32, 3)


def test_local_weights_file_gives_the_same_features(tmp_path, rng):
    keras.utils.set_random_seed(3)
    reference = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    path = tmp_path / "vgg19_random_notop.weights.h5"
    reference.save_weights(path)
    loaded = vgg_backbone("vgg19", weights=path)
    x = rng.uniform(-100, 100, (1, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(loaded(x), reference(x), rtol=1e-5, atol=1e-4)
    extractor = FeatureExtractor(["block1_conv1", "block4_conv2"], weights=path, pooling="avg")
    assert set(extractor(tf.zeros((1, 32, 32, 3)))) == {"block1_conv1", "block4_conv2"}
    with pytest.raises(WeightsError, match="weights file not found"):
        vgg_backbone("vgg19", weights=tmp_path / "missing.h5")


def test_vgg_image_gradients_are_the_same_on_either_convolution_path(rng, monkeypatch):
    from tfstyle.models import conv

    keras.utils.set_random_seed(4)
    extractor = FeatureExtractor(["block1_conv2", "block3_conv1"], weights=None)
    assert all(isinstance(layer, conv.Conv2D) for layer in extractor.model.layers if "conv" in layer.name)
    image = tf.constant(rng.uniform(0, 1, (1, 24, 24, 3)).astype(np.float32))
    calls = []
    original = conv.conv2d_forward_gradients
    monkeypatch.setattr(conv, "conv2d_forward_gradients", lambda *a: calls.append(1) or original(*a))

    def value_and_gradient(onednn):
        monkeypatch.setattr(conv, "onednn_enabled", lambda: onednn)
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = sum(tf.reduce_sum(tf.square(f)) for f in extractor(image).values())
        return loss, tape.gradient(loss, image)

    expected = value_and_gradient(True)  # TensorFlow's own kernels
    assert not calls
    got = value_and_gradient(False)
    assert len(calls) == 5  # block1_conv1..block3_conv1: "same" 3x3 convolutions, forward-form gradients
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-4)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-3, atol=1e-3 * float(tf.reduce_max(tf.abs(expected[1]))))


def test_offline_imagenet_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty_keras_home"))  # no cached weights
    with pytest.raises(WeightsError) as info:
        vgg_backbone("vgg19", weights="imagenet")
    assert "weights='/path/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5'" in str(info.value)
    assert "--weights PATH" in str(info.value)


def test_stylize_cli_end_to_end(tmp_path, rng):
    content, style = _images(rng)
    save_image(tmp_path / "content.png", content)
    save_image(tmp_path / "style.jpg", style)
    out = tmp_path / "out.png"
    result = subprocess.run([sys.executable, "-m", "tfstyle", "stylize", tmp_path / "content.png", tmp_path / "style.jpg",
                             "-o", out, "--weights", "none", "--steps", "4", "--max-size", "48", "--save-every", "2",
                             "--optimizer", "adam", "--preserve-color"], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    from tfstyle.data import read_image

    assert read_image(out).shape == (48, 48, 3)
    assert read_image(tmp_path / "out_progress.png").shape == (48, 48 * 3, 3)
    env_home = {"KERAS_HOME": str(tmp_path / "nohome")}
    import os

    offline = subprocess.run([sys.executable, "-m", "tfstyle", "stylize", tmp_path / "content.png", tmp_path / "style.jpg",
                              "-o", out, "--steps", "1"], capture_output=True, text=True, timeout=300,
                             env={**os.environ, **env_home})  # fmt: skip
    assert offline.returncode == 2 and "--weights PATH" in offline.stderr and "Traceback" not in offline.stderr


@pytest.mark.parametrize("optimizer", ["lbfgs", "lbfgs-b", "adam"])
def test_stylize_is_deterministic_given_a_seed(tmp_path, rng, optimizer):
    keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3)).save_weights(
        tmp_path / "vgg.weights.h5")  # fixed weights: weights=None would draw new random ones each call
    content, style = _images(rng)
    run = lambda seed: stylize(content, style, weights=tmp_path / "vgg.weights.h5", steps=4, max_size=32,  # noqa: E731
                               progress=False, seed=seed, optimizer=optimizer)  # fmt: skip
    first = run(3)
    np.testing.assert_array_equal(first, run(3))
    assert not np.array_equal(first, run(4))  # noise init depends on the seed
