"""The `tfstyle` command end to end (subprocesses; real data from ../shared where available)."""

import os
import subprocess
import sys

import pytest

import tfstyle
from conftest import shared

TINY = ["--image-size", "32", "--ngf", "4", "--ndf", "4", "--batch-size", "8", "--epochs", "1", "--epochs-decay", "0", "--quiet"]


def tfstyle_cli(*args, timeout=600, env=None):
    result = subprocess.run([sys.executable, "-m", "tfstyle", *map(str, args)], capture_output=True, text=True,
                            timeout=timeout, env={**os.environ, **(env or {})})  # fmt: skip
    return result


def test_help_version_and_datasets():
    assert tfstyle_cli("--version").stdout.strip() == f"tfstyle {tfstyle.__version__}"
    help_text = tfstyle_cli("--help").stdout
    for command in ("datasets", "train", "translate", "evaluate"):
        assert command in help_text
    listing = tfstyle_cli("datasets").stdout
    assert "cycle_gan/horse2zebra" in listing and "pix2pix/facades" in listing and "synthetic/stripes" in listing
    info = tfstyle_cli("datasets", "info", "synthetic/labels").stdout
    assert "paired" in info and "train" in info


def test_bad_source_gives_one_clear_error_line():
    result = tfstyle_cli("datasets", "info", "/no/such/folder")
    assert result.returncode == 2
    assert "tfstyle datasets: error: /no/such/folder: not a folder and not a known source" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_pix2pix_cli_on_real_facades(tmp_path):
    facades = shared("facades_sample")
    run = tmp_path / "facades"
    result = tfstyle_cli("train", "pix2pix", "--dataset", facades, "--direction", "BtoA", "--out", run, *TINY)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "trained pix2pix for 4 steps" in result.stdout
    assert (run / "generator.keras").exists() and list((run / "samples").glob("*.png"))
    assert list((run / "logs").rglob("events.out.tfevents*"))
    out = tmp_path / "translated"
    result = tfstyle_cli("translate", "--model", run, facades / "train" / "1.jpg", "-o", out)
    assert result.returncode == 0, result.stderr[-3000:]
    from tfstyle.data import read_image

    assert read_image(out / "1.png").shape == (256, 512, 3)  # any size: the whole side-by-side image
    result = tfstyle_cli("evaluate", "--model", run, "--split", "train", "--max-images", "8")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "psnr" in result.stdout and "ssim" in result.stdout and (run / "evaluate_train.png").exists()


@pytest.mark.slow
def test_cyclegan_cli_on_real_horse2zebra(tmp_path):
    horses = shared("horse2zebra_sample")
    run = tmp_path / "h2z"
    result = tfstyle_cli("train", "cyclegan", "--dataset", horses, "--n-blocks", "1", "--pool-size", "4", "--out", run, *TINY)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "trained cyclegan for 4 steps" in result.stdout
    out = tmp_path / "zebras"
    result = tfstyle_cli("translate", "--model", run, "--direction", "AtoB", horses / "trainA", "-o", out)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(list(out.glob("*.png"))) == 32
    offline = {"KERAS_HOME": str(tmp_path / "empty_keras_home")}  # no cached InceptionV3 weights
    result = tfstyle_cli("evaluate", "--model", run, "--split", "train", "--max-images", "8", env=offline)
    assert result.returncode == 0 and "cycle_l1_A" in result.stdout, result.stderr[-3000:]
    assert "FID/KID: skipped. Could not download" in result.stdout and "--inception-weights PATH" in result.stdout
    missing = tfstyle_cli("translate", "--model", tmp_path / "nothing", horses / "trainA", "-o", out)
    assert missing.returncode == 2 and "nothing: model not found. Pass a run folder" in missing.stderr


@pytest.mark.slow
@pytest.mark.parametrize("kind,dataset,extra", [("pix2pix", "synthetic/labels", []),
                                                ("cyclegan", "synthetic/stripes", ["--n-blocks", "1", "--pool-size", "2"])])  # fmt: skip
def test_train_translate_evaluate_on_built_in_data(tmp_path, kind, dataset, extra):
    """The same commands as the real-data tests above, on the synthetic sources every clone has."""
    run = tmp_path / kind
    trained = tfstyle_cli("train", kind, "--dataset", dataset, "--count", "8", "--out", run, *TINY, *extra)
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert "shuffle=True was passed" not in trained.stderr  # fit is told not to shuffle what tf.data shuffles
    assert f"trained {kind} for 1 steps" in trained.stdout
    sample = next((run / "samples").glob("*.png"))
    out = tmp_path / "translated"
    translated = tfstyle_cli("translate", "--model", run, sample, "-o", out, *(["--direction", "BtoA"] if kind == "cyclegan" else []))
    assert translated.returncode == 0, translated.stderr[-3000:]
    from tfstyle.data import read_image

    assert read_image(out / sample.name).shape == read_image(sample).shape  # any size in, the same size out
    split = "val" if kind == "pix2pix" else "test"
    scored = tfstyle_cli("evaluate", "--model", run, "--split", split, "--inception-weights", "none")
    assert scored.returncode == 0, scored.stderr[-3000:]
    metrics = ("l1", "psnr", "ssim") if kind == "pix2pix" else ("cycle_l1_A", "identity_l1_B", "stripe_AtoB")
    assert all(name in scored.stdout for name in metrics) and (run / f"evaluate_{split}.png").exists()
    if kind == "cyclegan":  # every test image of each domain scored once
        assert "images_A         8\n" in scored.stdout and "images_B         8\n" in scored.stdout
