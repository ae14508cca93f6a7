"""The exporter: every TFLite mode runs in LiteRT and matches Keras within a per-mode tolerance."""

import json
import subprocess
import sys
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfstyle.data import load_paired
from tfstyle.errors import ExportError
from tfstyle.export import DEFAULT_MIN_PSNR, MODES, export_model
from tfstyle.export import convert as convert_module
from tfstyle.export import flatbuffer
from tfstyle.export.metadata import read_card
from tfstyle.export.verify import interpreter, run, to_uint8
from tfstyle.models import resnet_generator
from tfstyle.translate import Pix2Pix

SIZE = 32


@pytest.fixture(scope="module")
def images():
    ds = load_paired("synthetic/labels", image_size=SIZE, batch_size=1, count=24, jitter=False, flip=False, shuffle=False)
    x = np.concatenate([a.numpy() for a, _ in ds])
    return x[:16], x[16:]  # calibration, held out


@pytest.fixture(scope="module")
def pix2pix_generator():
    """A tiny U-Net (batch norm, transposed convs) trained briefly so its outputs are real images."""
    keras.utils.set_random_seed(0)
    model = Pix2Pix(image_size=SIZE, ngf=8, ndf=8)
    model.compile(g_optimizer=keras.optimizers.Adam(2e-3, beta_1=0.5))
    model.fit(load_paired("synthetic/labels", image_size=SIZE, batch_size=4, count=16).repeat(8), epochs=1, verbose=0)
    return model.generator


@pytest.fixture(scope="module")
def cyclegan_generator():
    """A tiny ResNet generator with instance norm (untrained: instance norm already spreads its outputs)."""
    keras.utils.set_random_seed(1)
    g = resnet_generator(2, ngf=8)
    assert np.asarray(g(np.random.default_rng(0).uniform(-1, 1, (2, SIZE, SIZE, 3)).astype("float32"))).std() > 0.1
    return g


def test_every_mode_matches_keras_within_tolerance(tmp_path, images, pix2pix_generator):
    calibration, heldout = images
    report = export_model(pix2pix_generator, tmp_path / "p2p", size=SIZE, quantize=MODES, calibration=calibration,
                          heldout=heldout, threads=(1, 2), runs=3)  # fmt: skip
    by_mode = {a["mode"]: a for a in report["artifacts"]}
    assert set(by_mode) == {"savedmodel", *MODES}
    spread = to_uint8(pix2pix_generator(heldout).numpy()).std()
    assert spread > 8  # the outputs are real images, not flat grey (std ≈ 0)
    for mode, artifact in by_mode.items():
        assert artifact["fidelity"]["psnr_db"] >= DEFAULT_MIN_PSNR[mode], (mode, artifact["fidelity"])
        if mode != "savedmodel":
            assert (tmp_path / "p2p" / artifact["file"]).exists()
            assert set(artifact) >= {"bytes", "gzip_bytes", "latency", "fidelity", "ops", "unsupported_ops", "io"}
            assert set(artifact["latency"]) == {"1", "2"} and artifact["unsupported_ops"] == []
            card = read_card(tmp_path / "p2p" / artifact["file"])  # the model card travels inside the file
            assert card["mode"] == mode and card["input"]["shape"] == [1, SIZE, SIZE, 3] and card["producer"] == "tfstyle"
            assert "[-1, 1]" in card["input"]["value"] and artifact["embedded_card"] == card
    assert by_mode["fp32"]["fidelity"]["max_abs_error"] <= 2
    assert by_mode["int8"]["bytes"] < 0.4 * by_mode["fp32"]["bytes"]
    saved = json.loads((tmp_path / "p2p" / "report.json").read_text())
    assert saved["artifacts"][1]["io"]["inputs"][0]["shape"] == [1, SIZE, SIZE, 3]
    table = (tmp_path / "p2p" / "report.md").read_text()
    assert "| model_int8.tflite | int8 |" in table and "PSNR (dB)" in table
    card = json.loads((tmp_path / "p2p" / "model_card.json").read_text())
    assert card["input"]["shape"] == [1, SIZE, SIZE, 3]


def test_instance_norm_generator_runs_in_int8_with_uint8_io(tmp_path, images, cyclegan_generator):
    calibration, heldout = images
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = export_model(cyclegan_generator, tmp_path / "cyc", size=SIZE, quantize=("fp32", "int8"), io="uint8",
                              calibration=calibration, heldout=heldout, runs=2)  # fmt: skip
    # TensorFlow's calibrator runs the deprecated tf.lite.Interpreter; users were told to migrate code not theirs
    assert not [w for w in caught if "tf.lite.Interpreter is deprecated" in str(w.message)]
    int8 = next(a for a in report["artifacts"] if a["mode"] == "int8")
    assert int8["io"]["inputs"][0]["dtype"] == "uint8" and int8["io"]["outputs"][0]["dtype"] == "uint8"
    assert {"MEAN", "RSQRT", "CONCATENATION"} <= set(int8["ops"])  # instance norm and reflection padding as builtins
    assert "MIRROR_PAD" not in int8["ops"]  # no XNNPACK kernel: each one split the delegated graph (4x slower int8)
    assert "SQUARED_DIFFERENCE" not in int8["ops"]  # XNNPACK has no int8 kernel for it: 3-4x slower norms
    assert read_card(tmp_path / "cyc" / "model_int8.tflite")["input"]["value"] == "uint8 RGB pixels 0-255"
    assert "[-1, 1]" in read_card(tmp_path / "cyc" / "model_fp32.tflite")["input"]["value"]
    model = interpreter(tmp_path / "cyc" / "model_int8.tflite")
    pixels = to_uint8(heldout[:1])  # an app feeds raw pixels: no normalisation code
    inp = model.get_input_details()[0]
    model.set_tensor(inp["index"], pixels)
    model.invoke()
    raw = model.get_tensor(model.get_output_details()[0]["index"])[0]
    expected = to_uint8(cyclegan_generator(heldout[:1]).numpy()[0])
    assert np.abs(raw.astype(int) - expected.astype(int)).mean() < 12
    assert run(model, heldout[0]).dtype == np.uint8
    # the SavedModel's serving_default also takes and returns uint8 pixels
    loaded = tf.saved_model.load(str(tmp_path / "cyc" / "savedmodel"))
    out = next(iter(loaded.signatures["serving_default"](image=tf.constant(pixels)).values())).numpy()
    assert out.dtype == np.uint8 and np.abs(out[0].astype(int) - expected.astype(int)).max() <= 1


def test_packing_shares_quantisation_vectors_without_changing_outputs(tmp_path, images, cyclegan_generator):
    from tensorflow.lite.tools import flatbuffer_utils

    calibration, heldout = images
    export_model(cyclegan_generator, tmp_path / "cyc", size=SIZE, quantize=("int8",), calibration=calibration,
                 heldout=heldout, runs=1)  # fmt: skip
    packed = tmp_path / "cyc" / "model_int8.tflite"
    plain = tmp_path / "plain.tflite"  # the same model written the converter's way: one vector per tensor
    plain.write_bytes(flatbuffer_utils.convert_object_to_bytearray(flatbuffer.unpack(packed.read_bytes())))
    # 211 output channels (weights and biases) carry an int64 zero point each: ~3.4 KB, mostly shared now
    assert plain.stat().st_size - packed.stat().st_size > 2500
    for image in heldout[:3]:
        assert np.array_equal(run(interpreter(packed), image), run(interpreter(plain), image))
    assert read_card(packed)["mode"] == "int8"


def test_min_psnr_failure_writes_nothing(tmp_path, images, pix2pix_generator):
    calibration, heldout = images
    with pytest.raises(ExportError, match=r"model_int8.tflite: PSNR .* dB < 200.0 dB"):
        export_model(pix2pix_generator, tmp_path / "fail", size=SIZE, quantize=("int8",), calibration=calibration,
                     heldout=heldout, min_psnr=200.0, runs=1)  # fmt: skip
    assert not (tmp_path / "fail").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no staging leftovers


def test_interrupted_export_leaves_no_partial_artifact(tmp_path, images, pix2pix_generator, monkeypatch):
    calibration, heldout = images
    real = convert_module.convert_tflite

    def crash_on_int8(savedmodel, mode, *args, **kwargs):
        if mode == "int8":
            raise KeyboardInterrupt  # the user hits Ctrl-C mid-export
        return real(savedmodel, mode, *args, **kwargs)

    monkeypatch.setattr(convert_module, "convert_tflite", crash_on_int8)
    with pytest.raises(KeyboardInterrupt):
        export_model(pix2pix_generator, tmp_path / "out", size=SIZE, quantize=("fp32", "int8"), calibration=calibration,
                     heldout=heldout, runs=1)  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_export_cli_on_a_trained_run(tmp_path):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "tfstyle", *map(str, args)], capture_output=True, text=True, timeout=600)

    run_dir = tmp_path / "run"
    trained = cli("train", "pix2pix", "--dataset", "synthetic/labels", "--count", "8", "--image-size", SIZE, "--ngf", 4,
                  "--ndf", 4, "--batch-size", 4, "--epochs", 1, "--epochs-decay", 0, "--out", run_dir, "--quiet")  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-2000:]
    out = tmp_path / "saved_models" / "labels"
    result = cli("export", "--model", run_dir, "--out", out, "--size", SIZE, "--quantize", "fp32,int8", "--io", "uint8",
                 "--calibration-steps", 8, "--heldout", 4, "--runs", 2, "--qat", "--qat-steps", 5)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "model_qat_int8.tflite" in result.stdout and "quantisation-aware fine-tuning, 5 steps" in result.stdout
    assert "model_int8.tflite" in result.stdout and (out / "model_card.json").exists()
    card = json.loads((out / "model_card.json").read_text())
    assert card["training_data"] == "synthetic/labels" and card["direction"] == "AtoB"
    failed = cli("export", "--model", run_dir, "--out", tmp_path / "strict", "--size", SIZE, "--quantize", "int8",
                 "--calibration-steps", 8, "--heldout", 4, "--runs", 1, "--min-psnr", 500)  # fmt: skip
    assert failed.returncode == 2 and "model_int8.tflite: PSNR" in failed.stderr and "Traceback" not in failed.stderr
    assert not (tmp_path / "strict").exists()


@pytest.mark.parametrize("which", ["pix2pix", "cyclegan"])
def test_tf_keras_twin_computes_the_same_function(images, pix2pix_generator, cyclegan_generator, which):
    pytest.importorskip("tensorflow_model_optimization")
    from tfstyle.export.qat import to_tf_keras

    generator = pix2pix_generator if which == "pix2pix" else cyclegan_generator
    twin = to_tf_keras(generator)
    heldout = images[1]
    np.testing.assert_allclose(twin(heldout, training=False).numpy(), generator(heldout, training=False), atol=2e-5)


def test_qat_fine_tunes_and_exports_int8(tmp_path, images, cyclegan_generator):
    pytest.importorskip("tensorflow_model_optimization")
    calibration, heldout = images
    report = export_model(cyclegan_generator, tmp_path / "qat", size=SIZE, formats=("tflite",), quantize=("int8",),
                          io="uint8", calibration=calibration, heldout=heldout, runs=2, qat_steps=30)  # fmt: skip
    qat = next(a for a in report["artifacts"] if a["mode"] == "qat_int8")
    assert (tmp_path / "qat" / "model_qat_int8.tflite").exists() and qat["unsupported_ops"] == []
    assert qat["io"]["inputs"][0]["dtype"] == "uint8" and qat["io"]["outputs"][0]["dtype"] == "uint8"
    assert qat["qat"]["l1_to_float_after"] < qat["qat"]["l1_to_float_before"]  # fine-tuning moved towards float
    assert qat["fidelity"]["psnr_db"] >= DEFAULT_MIN_PSNR["qat_int8"]
    assert "quantisation-aware fine-tuning, 30 steps" in (tmp_path / "qat" / "report.md").read_text()
