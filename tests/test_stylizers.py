"""Feed-forward stylizers (fast style transfer, AdaIN) and the Gatys `quality` preset, offline: random-weight VGGs
("none"), synthetic content photos, paintings the tests draw."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstyle
from tfstyle.data import read_image
from tfstyle.export import DEFAULT_MIN_PSNR, MODES
from tfstyle.models.adain import adain, feature_statistics, style_vector
from tfstyle.style import losses, presets
from tfstyle.style.adain import AdaIN, stylize_arbitrary
from tfstyle.style.faststyle import FastStyle

from conftest import save_image

SIZE = 32


@pytest.fixture(scope="module")
def paintings(tmp_path_factory):
    """Three 'paintings': diagonal colour stripes, blobs and a checkerboard, each a distinct style."""
    folder = tmp_path_factory.mktemp("paintings")
    y, x = np.mgrid[0:64, 0:64]
    images = [
        np.stack([(np.sin((x + y) / 3) > 0) * 220 + 20, 60 + 0 * x, (np.sin((x + y) / 3) <= 0) * 200 + 30], -1),
        np.stack([128 + 100 * np.sin(x / 7) * np.cos(y / 5), 90 + 0 * x, 200 - y * 2], -1),
        np.stack([((x // 8 + y // 8) % 2) * 255, ((x // 8 + y // 8) % 2) * 255, 40 + 0 * x], -1),
    ]
    for i, image in enumerate(images):
        save_image(folder / f"painting{i}.png", np.clip(image, 0, 255).astype(np.uint8))
    return folder


# ---------- fast style transfer ----------

def test_fast_style_fit_lowers_the_loss(paintings):
    keras.utils.set_random_seed(0)
    model = FastStyle(alpha=0.25, vgg_weights=None)
    model.compile(style_image=read_image(paintings / "painting0.png"), learning_rate=1e-2)
    photos = tfstyle.data.images.load_images("synthetic/stripes", image_size=SIZE, batch_size=4, count=8)
    first = model.evaluate(photos, verbose=0, return_dict=True)["loss"]
    model.fit(photos.repeat(15), epochs=1, verbose=0)
    last = model.evaluate(photos, verbose=0, return_dict=True)["loss"]
    assert last < 0.5 * first, (first, last)


def test_fast_style_objective_judges_outputs_from_elsewhere_in_float32(paintings):
    """`objective` is the training loss for any outputs: a float32 model scores bf16 outputs (or another
    framework's) on its own loss network, and its own outputs exactly as `evaluate` does."""
    keras.utils.set_random_seed(0)
    judge = FastStyle(alpha=0.25, vgg_weights=None)
    judge.compile(style_image=read_image(paintings / "painting0.png"))
    photos = next(iter(tfstyle.data.images.load_images("synthetic/stripes", image_size=SIZE, batch_size=4, count=8)))
    own = judge.objective(photos, judge.stylizer(photos, training=False))
    evaluated = judge.evaluate(tf.data.Dataset.from_tensors(photos), verbose=0, return_dict=True)
    for name in ("loss", "content", "style"):
        np.testing.assert_allclose(float(own[name]), evaluated[name], rtol=1e-5)
    untouched = judge.objective(photos, photos)  # the photos as their own stylisation: no content loss
    assert float(untouched["content"]) == 0.0 and float(untouched["style"]) > 0.0
    halved = judge.objective(photos, tf.cast(judge.stylizer(photos), tf.bfloat16))
    assert all(value.dtype == tf.float32 for value in halved.values())
    np.testing.assert_allclose(float(halved["loss"]), float(own["loss"]), rtol=0.05)  # bf16 rounding of the pixels only
    assert float(halved["loss"]) != float(own["loss"])


@pytest.mark.slow
def test_fast_style_run_resumes_translates_scores_and_exports_every_mode(tmp_path, paintings):
    run = tmp_path / "stripes"
    settings = dict(dataset="synthetic/stripes", style=str(paintings / "painting1.png"), vgg_weights="none",
                    image_size=SIZE, alpha=0.25, count=8, batch_size=4, epochs=1)  # fmt: skip
    model = tfstyle.train("faststyle", run, verbose=0, **settings)
    assert model.iterations_done() == 4  # 16 images (both domains) / 4
    model = tfstyle.train("faststyle", run, verbose=0, epochs=2)
    assert model.iterations_done() == 8
    saved = tfstyle.Run(run)
    photo = np.random.default_rng(0).integers(0, 256, (45, 37, 3), dtype=np.uint8)
    assert saved.translate(photo).shape == (45, 37, 3)
    scores = saved.evaluate(split="test", max_images=4)
    assert {"style_distance", "photo_style_distance", "content_distance", "style_cut"} <= set(scores)
    report = saved.export(tmp_path / "export", size=SIZE, quantize=MODES, calibration_steps=6, heldout=4, runs=1)
    modes = {a["mode"]: a for a in report["artifacts"]}
    assert set(modes) == {"savedmodel", *MODES}
    for mode, artifact in modes.items():
        assert artifact["fidelity"]["psnr_db"] >= DEFAULT_MIN_PSNR[mode], (mode, artifact["fidelity"])
    card = json.loads((tmp_path / "export" / "model_card.json").read_text())
    assert card["kind"] == "faststyle" and card["direction"] == "stylize"


# ---------- AdaIN ----------

def test_adain_output_has_the_style_statistics(rng):
    content = tf.constant(rng.normal(3.0, 2.0, (2, 6, 5, 4)).astype(np.float32))
    style = rng.normal(-1.0, 0.5, (2, 7, 3, 4)).astype(np.float32)
    out = adain(content, style_vector(style)).numpy()
    flat_style = style.reshape(2, -1, 4)
    np.testing.assert_allclose(out.mean((1, 2)), flat_style.mean(1), atol=1e-5)
    unbiased_std = np.sqrt(flat_style.var(1, ddof=1) + 1e-5)  # torch.var's unbiased variance, plus eps
    np.testing.assert_allclose(np.sqrt(out.reshape(2, -1, 4).var(1, ddof=1) + 1e-5), unbiased_std, rtol=1e-4)
    mean, std = feature_statistics(tf.constant(style))
    np.testing.assert_allclose(style_vector(style), np.concatenate([mean[:, 0, 0], std[:, 0, 0]], -1))


@pytest.fixture(scope="module")
def adain_model():
    keras.utils.set_random_seed(1)
    model = AdaIN(backbone="vgg16", vgg_weights=None)
    # 3e-4, not 1e-3: at 1e-3 the loss spiked late in some runs (one step at 2.3x the first loss); probably such a spike
    # failed test_adain_fit_lowers_the_loss once in CI (0.67 of the first loss)
    model.compile(learning_rate=3e-4)
    # an untrained decoder's outputs are not in the pixel range: rescale its last conv so they spread around grey
    head, probe = model.decoder.get_layer("decoder_conv9"), np.random.default_rng(5).uniform(size=(1, 32, 32, 3))
    raw = model.decoder(model.encoder(probe.astype(np.float32))[-1]).numpy()
    factor = 0.2 / raw.std()
    head.kernel.assign(head.kernel * factor)
    head.bias.assign(head.bias * factor + (0.5 - raw.mean() * factor))
    return model


def test_adain_alpha_interpolation_and_colour(adain_model, rng):
    content = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    styles = [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8) for _ in range(2)]
    # alpha 0: the content's own statistics, i.e. the decoded content
    unit = content[None].astype(np.float32) / 255.0
    decoded = adain_model.decoder(adain_model.encoder(unit)[-1]).numpy()[0]
    expected = np.clip(np.round(decoded * 255.0), 0, 255)
    np.testing.assert_allclose(stylize_arbitrary(adain_model, content, styles[0], alpha=0.0), expected, atol=1)
    # interpolation weights: one-hot weights equal the single style; the blend differs from both
    one = stylize_arbitrary(adain_model, content, styles[0])
    np.testing.assert_array_equal(stylize_arbitrary(adain_model, content, styles, style_weights=[1, 0]), one)
    blend = stylize_arbitrary(adain_model, content, styles, style_weights=[1, 1])
    assert not np.array_equal(blend, one) and blend.shape == content.shape
    assert stylize_arbitrary(adain_model, content, styles[1], preserve_color=True).shape == content.shape


def test_adain_fit_lowers_the_loss(paintings, adain_model):
    s = AdaIN.Settings(dataset="synthetic/stripes", styles=str(paintings), backbone="vgg16", image_size=SIZE,
                       load_size=48, count=8, batch_size=4)  # fmt: skip
    data = AdaIN.training_data(s, "train", 4)
    first = adain_model.evaluate(data, verbose=0, return_dict=True)["loss"]
    # 240 steps (4 batches per pass). Measured at the fixture's 3e-4 over 6 runs (fixture seeds 1-4): 0.044-0.077
    # of the first loss, no step after the 50th above 0.6 of it. At 1e-3, 13 runs gave 0.05-0.20 and one CI run 0.67.
    # Runs are not bit-reproducible on CPU, so the bound keeps a wide margin.
    adain_model.fit(data.repeat(60), epochs=1, verbose=0)
    last = adain_model.evaluate(data, verbose=0, return_dict=True)["loss"]
    assert last < 0.5 * first, (first, last)


@pytest.mark.slow
def test_adain_run_exports_the_style_and_transfer_networks(tmp_path, paintings):
    run = tmp_path / "adain"
    tfstyle.train("adain", run, verbose=0, dataset="synthetic/stripes", styles=str(paintings), backbone="vgg16",
                  vgg_weights="none", image_size=SIZE, load_size=48, count=4, batch_size=4, epochs=1)  # fmt: skip
    saved = tfstyle.Run(run)
    photo = np.random.default_rng(0).integers(0, 256, (37, 45, 3), dtype=np.uint8)
    assert saved.translate(photo, style=read_image(paintings / "painting2.png")).shape == (37, 45, 3)
    report = saved.export(tmp_path / "export", size=SIZE, quantize=("fp32", "int8"), calibration_steps=6, heldout=3,
                          runs=1)  # fmt: skip
    networks = report["networks"]
    assert [i["name"] for i in networks["adain"]["inputs"]] == ["image", "style"]
    assert networks["style_network"]["output"] == {"kind": "vector", "shape": [1, 1024]}
    assert [(i["name"], i["kind"]) for i in networks["transfer_network"]["inputs"]] == [("image", "image"),
                                                                                       ("style_vector", "vector")]
    files = {a["file"] for a in report["artifacts"]}
    assert {"adain_int8.tflite", "transfer_network_int8.tflite", "style_network_fp32.tflite"} <= files
    assert "style_network_int8.tflite" not in files and "style_network: int8 not written" in " ".join(report["warnings"])
    assert {"adain_savedmodel", "style_network_savedmodel", "transfer_network_savedmodel"} <= files
    for artifact in report["artifacts"]:
        assert artifact["fidelity"]["psnr_db"] >= DEFAULT_MIN_PSNR[artifact["mode"]], artifact["file"]
    text = (tmp_path / "export" / "report.md").read_text()
    assert "network `transfer_network`: inputs image (image, [1, 32, 32, 3]); style_vector (vector, [1, 1024])" in text


# ---------- Gatys: the quality preset ----------

def test_scaled_loss_gradient_has_unit_l1_norm():
    for scale in (1e-3, 1.0, 1e3):
        d = tf.Variable(scale * np.sign(np.random.default_rng(0).normal(size=500)).astype(np.float32))
        with tf.GradientTape() as tape:
            loss = losses.scaled_mse(d, 0.0)
        assert float(tf.reduce_sum(tf.abs(tape.gradient(loss, d)))) == pytest.approx(1.0, rel=1e-5)


def test_quality_schedule_averaging_and_l2_tv():
    from tfstyle.style.gatys import IterateAverage, _scales

    s = presets.settings_for("quality", max_size=256)
    levels, fractions = _scales(s, (256, 256, 3))
    assert [round(256 * level) for level in levels] == [128, 181, 256] and fractions == [0.5, 0.25, 0.25]
    assert sum(presets.settings_for("quality").style_layer_weights) == pytest.approx(1.0)
    average = IterateAverage(0.9)
    for value in (1.0, 2.0):
        average.update(np.float32(value))
    assert average.value() == pytest.approx((0.9 * 0.1 * 1.0 + 0.1 * 2.0) / (1 - 0.9**2))  # bias-corrected
    image = np.zeros((1, 2, 2, 3), np.float32)
    image[0, 0, 0] = 1.0
    # padded by repeating the last row and column: differences 1 (right) and 1 (down) at the corner pixel
    assert float(losses.total_variation(image, "l2-mean")) == pytest.approx((1 + 1) * 3 / 12)  # mean over 2·2·3


def test_quality_is_the_cli_default_and_runs(tmp_path):
    y, x = np.mgrid[0:48, 0:64]
    save_image(tmp_path / "photo.png", np.stack([x * 4, y * 5, 0 * x + 90], -1).astype(np.uint8))
    save_image(tmp_path / "art.png", np.stack([(x % 8) * 30, (y % 6) * 40, 200 + 0 * x], -1).astype(np.uint8))
    result = subprocess.run([sys.executable, "-m", "tfstyle", "stylize", tmp_path / "photo.png", tmp_path / "art.png",
                             "-o", tmp_path / "out.png", "--weights", "none", "--max-size", "48", "--steps", "8"],
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "preset quality" in result.stdout and read_image(tmp_path / "out.png").shape == (36, 48, 3)
