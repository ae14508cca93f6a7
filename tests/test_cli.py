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
