"""Sources of single images (the content photos feed-forward stylizers train on) and their tf.data pipeline.

A source is a folder of images (or a folder with `train/`, `test/`, ... subfolders), any TFDS dataset whose
examples have an "image" feature (e.g. `coco/2017`), or `synthetic/stripes` (offline, both domains).
"""

import os

import numpy as np
import tensorflow as tf

from tfstyle.data import synthetic
from tfstyle.data.convert import to_model_range
from tfstyle.data.pipeline import AUTOTUNE, pad_to_count, with_seeds
from tfstyle.data.scan import list_images
from tfstyle.data.sources import decoded_files, tfds_load, with_image_shapes
from tfstyle.errors import DatasetError


def open_images(source, split="train", native_size=256, seed=0, data_dir=None, count=None):
    """Resolves an image source into (dataset of uint8 images, number of images).

    Folders: `<source>/<split>/` when it exists, else (for "train") the folder itself.
    """
    source = os.fspath(source)
    if source == "synthetic/stripes":
        n = synthetic.split_size(split, count)

        def make(index):
            index = int(index)
            return synthetic.stripes_image(split, index % 2, index // 2, native_size, seed)

        images = tf.data.Dataset.range(2 * n).map(lambda i: tf.numpy_function(make, [i], tf.uint8, stateful=False))
        return with_image_shapes(images), 2 * n
    if os.path.isdir(source):
        folder = os.path.join(source, split)
        if not os.path.isdir(folder):
            if split != "train":
                raise DatasetError(f"{source}: no {split}/ folder; put held-out images in {source}/{split}/.")
            folder = source
        paths = list_images(folder)
        return decoded_files(paths), len(paths)
    if "/" in source or source.startswith("tfds:"):
        ds, n, _ = tfds_load(source.removeprefix("tfds:"), split, data_dir)
        if not isinstance(ds.element_spec, dict) or "image" not in ds.element_spec:
            raise DatasetError(f"{source}: TFDS examples have no 'image' feature; pass a dataset of images.")
        return ds.map(lambda example: example["image"]), n
    raise DatasetError(f"{source}: not a folder of images, not synthetic/stripes and not a TFDS name (NAME/CONFIG).")


def load_images(source, split="train", image_size=256, batch_size=4, shuffle=None, seed=0, cache=True,
                data_dir=None, count=None, random_crop_from=None, repeat=False):  # fmt: skip
    """Batches of square images, float32 in [-1, 1]: each image resized so its shorter side is `image_size`
    (bilinear, antialiased), then centre-cropped, as the fast-style reference does (Resize + CenterCrop); or,
    with `random_crop_from=N`, resized to N×N and randomly cropped, as the AdaIN reference does.

    Args:
        source: a folder of images, a TFDS name with an "image" feature, or "synthetic/stripes".
        split: "train", or a held-out split ("test" folder / TFDS split). Defaults to "train".
        image_size: side of the crops. Defaults to 256.
        batch_size: images per batch (whole batches only when training). Defaults to 4 (the reference's).
        shuffle: shuffle every epoch. Defaults to True for "train".
        seed: shuffling seed. Defaults to 0.
        cache: keep the resized images in memory after the first epoch. Defaults to True.
        data_dir: TFDS data folder. Defaults to TFDS's own.
        count: images per split of a synthetic source. Defaults to the task's split size.
        random_crop_from: resize to this square size, then take a random `image_size` crop (a new one every
            epoch, from stateless seeds). Defaults to None (centre crops).
        repeat: repeat the images forever (reshuffled each pass) before batching, so even a handful of images
            fills batches: AdaIN's paintings. Defaults to False.

    Returns:
        A `tf.data.Dataset` of float32 batches (B, image_size, image_size, 3).
    """
    training = split == "train"
    shuffle = training if shuffle is None else shuffle
    images, n = open_images(source, split, native_size=image_size, seed=seed, data_dir=data_dir, count=count)
    ds = pad_to_count(images, n)  # a known length: Keras then knows where each (validation) epoch ends
    if random_crop_from:
        ds = ds.map(lambda image: _square(image, random_crop_from), num_parallel_calls=AUTOTUNE)
    else:
        ds = ds.map(lambda image: _resize_and_crop(image, image_size), num_parallel_calls=AUTOTUNE)
    ds = ds.cache() if cache else ds
    if shuffle:
        ds = ds.shuffle(max(n, 1), seed=seed, reshuffle_each_iteration=True)
    ds = ds.repeat() if repeat else ds
    if random_crop_from:
        ds = with_seeds(ds, seed).map(lambda image, s: tf.image.stateless_random_crop(image, [image_size, image_size, 3], s),
                                      num_parallel_calls=AUTOTUNE)  # fmt: skip
    return ds.map(to_model_range).batch(batch_size, drop_remainder=training).prefetch(AUTOTUNE)


def image_examples(source, size, count, split="train"):
    """The first `count` images of a source, centre-cropped to size×size, as one float32 [-1, 1] array."""
    synthetic_count = max(count, 2) if os.fspath(source).startswith("synthetic/") else None
    ds = load_images(source, split, size, 1, shuffle=False, cache=False, count=synthetic_count)
    return np.concatenate([x.numpy() for x in ds.take(count)])


def _square(image, size):
    resized = tf.image.resize(image, [size, size], antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)


def _resize_and_crop(image, size):
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = size / tf.reduce_min(shape)
    resized = tf.image.resize(image, tf.cast(tf.round(shape * scale), tf.int32), antialias=True)
    cropped = tf.image.resize_with_crop_or_pad(resized, size, size)
    return tf.cast(tf.clip_by_value(tf.round(cropped), 0, 255), tf.uint8)
