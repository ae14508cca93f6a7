"""Exporting a trained run (or a .keras generator) with calibration and held-out images from a dataset."""

import os

import numpy as np

from tfstyle.data import list_images, load_paired, load_unpaired, read_image, to_model_range
from tfstyle.data.sources import SYNTHETIC_PAIRED
from tfstyle.errors import DatasetError, TfstyleError
from tfstyle.export.exporter import export_model, last_metrics
from tfstyle.training.run import load_generator, read_config
from tfstyle.translate.recipes import generator_name


def export_run(model_path, out, direction=None, size=256, calibration=None, calibration_steps=100, heldout=8,
               **kwargs):  # fmt: skip
    """Exports the generator of `model_path` (runs/NAME or a .keras file); see `export_model` for kwargs.

    Calibration images default to the run's training source: the first `calibration_steps` input images are
    the representative dataset, the next `heldout` images check fidelity.
    """
    config = read_config(model_path) if os.path.isdir(model_path) else {}
    source = calibration or config.get("dataset")
    if source is None:
        raise TfstyleError(f"{model_path}: pass --calibration SOURCE (a dataset or a folder of images).")
    images = input_images(source, size, calibration_steps + heldout, config.get("model"), direction or config.get("direction", "AtoB"))
    if len(images) <= heldout:
        raise DatasetError(f"{source}: only {len(images)} images; need more than {heldout} (calibration + held-out).")
    generator = load_generator(model_path, generator_name(model_path, direction))
    card = {"source_model": os.fspath(model_path), "architecture": generator.name,
            "direction": direction or config.get("direction", "AtoB"), "training_data": config.get("dataset"),
            "training_settings": config, "metrics": last_metrics(model_path) if config else {},
            "calibration_data": os.fspath(source)}  # fmt: skip
    return export_model(generator, out, size=size, calibration=images[:-heldout], heldout=images[-heldout:],
                        card=card, **kwargs)  # fmt: skip


def input_images(source, size, count, model=None, direction="AtoB"):
    """Up to `count` float32 [-1, 1] input-domain images of `size`×`size`, from a source or an image folder."""
    source = os.fspath(source)
    if os.path.isdir(source) and not _has_layout(source):
        paths = list_images(source)[:count]
        import tensorflow as tf

        return np.stack([to_model_range(tf.image.resize(read_image(p), [size, size], antialias=True)).numpy()
                         for p in paths])  # fmt: skip
    options = dict(image_size=size, batch_size=1, jitter=False, flip=False, shuffle=False)
    unpaired = model == "cyclegan" or (model is None and _looks_unpaired(source))
    if unpaired:
        ds = load_unpaired(source, "train", **options).take(count)
        return np.stack([(a if direction != "BtoA" else b)[0].numpy() for a, b in ds])
    extra = {"count": max(count, 2)} if source in SYNTHETIC_PAIRED else {}
    ds = load_paired(source, "train", direction=direction, **options, **extra).take(count)
    return np.stack([x[0].numpy() for x, _ in ds])


def _has_layout(folder):
    return any(os.path.isdir(os.path.join(folder, d)) for d in ("train", "trainA", "A"))


def _looks_unpaired(source):
    return source.startswith(("cycle_gan/", "synthetic/stripes")) or os.path.isdir(os.path.join(source, "trainA"))
