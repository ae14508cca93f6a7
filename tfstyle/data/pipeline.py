"""tf.data training pipelines, following the pix2pix/CycleGAN papers' data handling.

Decode once, resize to the load size (286 for 256 crops) and cache; then per epoch: shuffle, the same random
crop and flip for both images of a pair, normalise to [-1, 1], batch and prefetch. Randomness comes from
stateless ops seeded by `tf.data.Dataset.random(seed)`, so a pipeline is deterministic given its seed.
"""

import numpy as np
import tensorflow as tf

from tfstyle.data import sources
from tfstyle.data.convert import to_model_range
from tfstyle.errors import DatasetError

AUTOTUNE = tf.data.AUTOTUNE
DIRECTIONS = ("AtoB", "BtoA")


def default_load_size(image_size):
    """The papers' resize-before-crop size: 286 for 256 (ratio 286/256), rounded to an even number."""
    return int(round(image_size * 286 / 256 / 2)) * 2


def load_paired(
    source, split="train", image_size=256, direction="AtoB", batch_size=1, jitter=None, flip=None,
    shuffle=None, load_size=None, seed=0, cache=True, data_dir=None, count=None,
):  # fmt: skip
    """Paired (input, target) batches, float32 in [-1, 1].

    Reference: Isola et al., "Image-to-Image Translation with Conditional Adversarial Networks", CVPR 2017
    (random jitter: resize to 286, random crop 256, random mirroring).

    Args:
        source: `pix2pix/<name>`, `synthetic/labels`, or a local folder (see `tfstyle.data.sources`).
        split: "train", "val" or "test". Defaults to "train".
        image_size: side of the square crops fed to the model. Defaults to 256.
        direction: "AtoB" (input = A, the left half) or "BtoA". Defaults to "AtoB".
        batch_size: images per batch. Defaults to 1 (the paper's setting).
        jitter: resize to `load_size` then random-crop. Defaults to True for "train", else False.
        flip: random horizontal flip (same for both images). Defaults to True for "train", else False.
        shuffle: shuffle every epoch. Defaults to True for "train", else False.
        load_size: resize size before cropping. Defaults to image_size·286/256.
        seed: seed for shuffling, crops and flips. Defaults to 0.
        cache: keep decoded, resized images in memory after the first epoch. Defaults to True.
        data_dir: TFDS data folder. Defaults to TFDS's own.
        count: number of examples of a synthetic source. Defaults to the task's split size.

    Returns:
        A `tf.data.Dataset` of `(input, target)` float32 batches of shape (B, image_size, image_size, 3).
    """
    _check_direction(direction)
    training = split == "train"
    jitter, flip, shuffle = (training if v is None else v for v in (jitter, flip, shuffle))
    size = (load_size or default_load_size(image_size)) if jitter else image_size
    raw = sources.open_paired(source, split, native_size=size, seed=seed, data_dir=data_dir, count=count)
    ds = pad_to_count(raw.pairs, raw.count)  # a known length: Keras then knows where each epoch ends
    ds = ds.map(lambda a, b: (_resize(a, size), _resize(b, size)), num_parallel_calls=AUTOTUNE)
    ds = ds.cache() if cache else ds
    if shuffle:
        ds = ds.shuffle(max(raw.count, 1), seed=seed, reshuffle_each_iteration=True)
    ds = with_seeds(ds, seed).map(
        lambda pair, s: _augment_pair(pair[0], pair[1], s, image_size, jitter, flip), num_parallel_calls=AUTOTUNE
    )
    if direction == "BtoA":
        ds = ds.map(lambda a, b: (b, a))
    ds = ds.map(lambda a, b: (to_model_range(a), to_model_range(b)))
    return ds.batch(batch_size, drop_remainder=training).prefetch(AUTOTUNE)


def load_unpaired(
    source, split="train", image_size=256, batch_size=1, jitter=None, flip=None, shuffle=None,
    load_size=None, seed=0, cache=True, data_dir=None, count=None,
):  # fmt: skip
    """Unpaired (a, b) batches, float32 in [-1, 1]; an epoch lasts max(|A|, |B|) steps.

    Reference: Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks",
    ICCV 2017 (resize to 286, random crop 256, flip; the smaller domain is reshuffled and reused).

    Args: as `load_paired`, without `direction`; `source` is `cycle_gan/<config>`, `synthetic/stripes` or a
        folder with trainA/ trainB/ testA/ testB/.

    Returns:
        A `tf.data.Dataset` of `(a, b)` float32 batches of shape (B, image_size, image_size, 3).
    """
    training = split == "train"
    jitter, flip, shuffle = (training if v is None else v for v in (jitter, flip, shuffle))
    size = (load_size or default_load_size(image_size)) if jitter else image_size
    raw = sources.open_unpaired(source, split, native_size=size, seed=seed, data_dir=data_dir, count=count)
    steps = max(raw.count_a, raw.count_b)

    def domain(ds, count, domain_seed):
        ds = pad_to_count(ds, count)
        ds = ds.map(lambda image: _resize(image, size), num_parallel_calls=AUTOTUNE)
        ds = ds.cache() if cache else ds
        if shuffle:
            ds = ds.shuffle(max(count, 1), seed=domain_seed, reshuffle_each_iteration=True)
        # Only the smaller domain repeats: the larger one ends the epoch, so both caches get completed.
        ds = ds.repeat() if count < steps else ds
        return with_seeds(ds, domain_seed).map(
            lambda image, s: _augment_one(image, s, image_size, jitter, flip), num_parallel_calls=AUTOTUNE
        )

    ds = tf.data.Dataset.zip(domain(raw.a, raw.count_a, seed), domain(raw.b, raw.count_b, seed + 1))
    ds = ds.map(lambda a, b: (to_model_range(a), to_model_range(b)))
    return ds.batch(batch_size, drop_remainder=training).prefetch(AUTOTUNE)


def load_domains(source, split="test", image_size=256, batch_size=1, seed=0, data_dir=None, count=None):
    """Both domains of an unpaired source separately, every image exactly once, resized, unaugmented: for scoring
    (`load_unpaired` repeats the smaller domain to the larger one's length, which is right only for training).

    Returns:
        `(a, b)`: two `tf.data.Dataset`s of float32 [-1, 1] batches (B, image_size, image_size, 3), holding the
        |A| and |B| images the source lists (fewer only if a file became unreadable after the scan).
    """
    raw = sources.open_unpaired(source, split, native_size=image_size, seed=seed, data_dir=data_dir, count=count)

    def domain(ds):
        ds = ds.map(lambda image: to_model_range(_resize(image, image_size)), num_parallel_calls=AUTOTUNE)
        return ds.batch(batch_size).prefetch(AUTOTUNE)

    return domain(raw.a), domain(raw.b)


def folder_images(folder, size, count=None):
    """Up to `count` images of a folder (sorted by name, unusable files skipped), resized to size×size (antialiased
    bilinear), as one float32 [-1, 1] array (N, size, size, 3): calibration and verification inputs for export."""
    from tfstyle.data.io import read_image
    from tfstyle.data.scan import list_images

    paths = list_images(folder)[:count]
    return np.stack([to_model_range(tf.image.resize(read_image(p), [size, size], antialias=True)).numpy() for p in paths])


def pad_to_count(ds, count):
    """Exactly `count` elements per pass, as the scan counted: if a file became unreadable after the scan (its
    element was dropped with a warning), the pass is completed from the start of the source again, so a training
    epoch keeps its length and the learning-rate schedule its position. A no-op when nothing was dropped, except
    that the length becomes known to tf.data, so Keras knows where a validation pass ends (without it, fit warns
    "input ran out of data" after the first one)."""
    return ds.repeat().take(count)


def _check_direction(direction):
    if direction not in DIRECTIONS:
        raise DatasetError(f'Unknown direction. Received: direction="{direction}"; expected "AtoB" or "BtoA".')


def _resize(image, size):
    """Bicubic resize to size×size (the references use bicubic), back to uint8 for a compact cache."""
    image = tf.image.resize(image, [size, size], method="bicubic", antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)


def with_seeds(ds, seed):
    """Pairs each element with a fresh stateless seed (shape [2]), different every epoch."""
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    return tf.data.Dataset.zip(ds, seeds)


def _augment_pair(a, b, seed, image_size, jitter, flip):
    both = _augment_one(tf.concat([a, b], axis=-1), seed, image_size, jitter, flip)  # same crop and flip
    return both[..., :3], both[..., 3:]


def _augment_one(image, seed, image_size, jitter, flip):
    channels = image.shape[-1]
    if jitter:
        image = tf.image.stateless_random_crop(image, [image_size, image_size, channels], seed=seed)
    if flip:
        image = tf.image.stateless_random_flip_left_right(image, seed=seed[::-1])
    return tf.ensure_shape(image, [image_size, image_size, channels])
