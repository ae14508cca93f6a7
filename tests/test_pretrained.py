"""The shipped fast-style model, as a user gets it from a clone or a wheel: it loads, paints any size, its TFLite
files match it, and the package data carries every file."""

import json
import pathlib
import tomllib

import numpy as np
import pytest

from tfstyle import pretrained
from tfstyle.data import read_image, synthetic
from tfstyle.export import DEFAULT_MIN_PSNR
from tfstyle.export.verify import interpreter, psnr, run, to_uint8
from tfstyle.runs import Run

from conftest import REPO, shared

NAME = "starry_night"


@pytest.fixture(scope="module")
def shipped():
    assert NAME in pretrained.names()
    return Run(pretrained.path(NAME))


def test_shipped_model_is_the_reference_network_and_paints_any_size(shipped):
    assert shipped.config["kind"] == "faststyle" and shipped.config["image_size"] > 0
    assert shipped.generator().count_params() == 1_679_235
    photo = synthetic.labels_pair("test", 0, 100)[1][:, :60]
    result = shipped.translate(photo)
    assert result.shape == photo.shape and result.dtype == np.uint8
    assert np.abs(result.astype(np.float32) - photo).mean() > 20  # it changed the picture
    assert np.array_equal(result, shipped.translate(photo))  # and does so deterministically


@pytest.mark.parametrize("mode", ["int8", "fp16"])
def test_shipped_tflite_matches_the_keras_model(shipped, mode):
    folder = pathlib.Path(shipped.folder) / "export"
    report = json.loads((folder / "report.json").read_text())
    artifact = next(a for a in report["artifacts"] if a["file"] == f"model_{mode}.tflite")
    assert artifact["fidelity"]["psnr_db"] >= DEFAULT_MIN_PSNR[mode]
    size = report["size"]
    photo = synthetic.labels_pair("test", 1, size)[1].astype(np.float32) / 127.5 - 1.0
    lite = run(interpreter(folder / artifact["file"]), photo)
    keras_out = to_uint8(shipped.generator()(photo[None]).numpy()[0])
    assert psnr(keras_out, lite) >= DEFAULT_MIN_PSNR[mode]
    assert artifact["bytes"] <= 2_000_000 if mode == "int8" else artifact["bytes"] <= 4_000_000


def test_shipped_model_moves_photos_towards_the_painting(shipped):
    """On held-out photos (every 12th shared photo was held out of training), the outputs' colour statistics (channel
    means and stds) are closer to Starry Night's than the photos' are: on average within 0.7 of the photos' distance
    (the model shipped with this test: 0.46 over these six; an identity network: 1)."""
    painting = read_image(shared("styles", "starry_night.jpg")).reshape(-1, 3).astype(np.float32)
    target = np.concatenate([painting.mean(0), painting.std(0)])

    def distance(image):
        pixels = image.reshape(-1, 3).astype(np.float32)
        return np.abs(np.concatenate([pixels.mean(0), pixels.std(0)]) - target).sum()

    ratios = []
    for path in sorted(shared("photos").glob("*.jpg"))[11::12][:6]:
        photo = read_image(path)
        ratios.append(distance(shipped.translate(photo)) / distance(photo))
    assert np.mean(ratios) < 0.7, ratios


def test_package_data_carries_every_shipped_file(shipped):
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["tfstyle"]
    package = REPO / "tfstyle"
    files = [p.relative_to(package) for p in pathlib.Path(shipped.folder).rglob("*") if p.is_file()]
    assert {"config.json", "stylizer.keras", "TRAINING.md", "export/model_int8.tflite", "export/report.md"} <= {
        p.relative_to(f"pretrained/{NAME}").as_posix() for p in files}  # fmt: skip
    unmatched = [p for p in files if not any(p.match(pattern) and len(p.parts) == len(pathlib.PurePath(pattern).parts)
                                             for pattern in patterns)]  # fmt: skip
    assert unmatched == []
    training = (pathlib.Path(shipped.folder) / "TRAINING.md").read_text()
    assert "tfstyle train faststyle" in training and "steps" in training
