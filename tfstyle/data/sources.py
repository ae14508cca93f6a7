"""Dataset sources: turn a source name into tf.data datasets of raw uint8 RGB images.

A source is one of
- `cycle_gan/<config>` (TFDS, unpaired), `pix2pix/<name>` (TFDS builder shipped here, paired),
- a local folder (unpaired: trainA/ trainB/ testA/ testB/; paired: side-by-side images in train/ val/ test/,
  or A/ and B/ folders matched by file name),
- `synthetic/stripes` (unpaired) or `synthetic/labels` (paired), generated offline from a seed.

Everything downstream (resizing, caching, jitter, batching) lives in `pipeline.py`.
"""

import dataclasses
import logging
import os

import numpy as np
import tensorflow as tf

from tfstyle.data import synthetic
from tfstyle.data.io import IMAGE_EXTENSIONS, read_image
from tfstyle.data.pix2pix_tfds import NAMES as PIX2PIX_NAMES
from tfstyle.data.pix2pix_tfds import split_side_by_side
from tfstyle.data.scan import list_images
from tfstyle.errors import DatasetError, ImageError

log = logging.getLogger("tfstyle")

CYCLE_GAN_CONFIGS = (
    "apple2orange", "summer2winter_yosemite", "horse2zebra", "monet2photo", "cezanne2photo",
    "ukiyoe2photo", "vangogh2photo", "maps", "cityscapes", "facades", "iphone2dslr_flower",
)  # fmt: skip
SYNTHETIC_PAIRED = ("synthetic/labels",)
SYNTHETIC_UNPAIRED = ("synthetic/stripes",)


@dataclasses.dataclass
class Paired:
    """Raw paired data: `pairs` yields (a, b) uint8 images; `count` examples."""

    pairs: tf.data.Dataset
    count: int
    name: str
    location: str


@dataclasses.dataclass
class Unpaired:
    """Raw unpaired data: `a` and `b` yield uint8 images of the two domains."""

    a: tf.data.Dataset
    b: tf.data.Dataset
    count_a: int
    count_b: int
    name: str
    location: str


def known_sources():
    """Names of the built-in sources (besides local folders), with their kind."""
    rows = [(f"cycle_gan/{config}", "unpaired", "TFDS") for config in CYCLE_GAN_CONFIGS]
    rows += [(f"pix2pix/{name}", "paired", "TFDS (tfstyle builder)") for name in PIX2PIX_NAMES]
    rows += [(name, "unpaired", "synthetic, offline") for name in SYNTHETIC_UNPAIRED]
    rows += [(name, "paired", "synthetic, offline") for name in SYNTHETIC_PAIRED]
    return rows


def open_paired(source, split="train", native_size=256, seed=0, data_dir=None, count=None):
    """Resolves a paired source into a `Paired` of full-resolution uint8 (a, b) pairs."""
    source = os.fspath(source)
    if source in SYNTHETIC_PAIRED:
        n = synthetic.split_size(split, count)

        def make(index):
            return synthetic.labels_pair(split, int(index), native_size, seed)

        pairs = tf.data.Dataset.range(n).map(
            lambda i: _numpy_images(make, [i], 2), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
        )
        return Paired(with_image_shapes(pairs), n, source, "generated in memory")
    if source.startswith("pix2pix/"):
        _check_name(source, [f"pix2pix/{n}" for n in PIX2PIX_NAMES])
        ds, count, location = tfds_load(source, split, data_dir)
        return Paired(ds.map(lambda x: (x["image_a"], x["image_b"])), count, source, location)
    if os.path.isdir(source):
        return _paired_folder(source, split)
    if source in SYNTHETIC_UNPAIRED or source.startswith("cycle_gan/"):
        raise DatasetError(f"{source} is an unpaired source; use load_unpaired (or a paired source here).")
    raise DatasetError(_unknown(source))


def open_unpaired(source, split="train", native_size=256, seed=0, data_dir=None, count=None):
    """Resolves an unpaired source into an `Unpaired` of full-resolution uint8 images per domain."""
    source = os.fspath(source)
    if source in SYNTHETIC_UNPAIRED:
        n = synthetic.split_size(split, count)

        def domain(d):
            def make(index):
                return (synthetic.stripes_image(split, d, int(index), native_size, seed),)

            return with_image_shapes(
                tf.data.Dataset.range(n).map(lambda i: _numpy_images(make, [i], 1)[0])
            )

        return Unpaired(domain(0), domain(1), n, n, source, "generated in memory")
    if source.startswith("cycle_gan/"):
        _check_name(source, [f"cycle_gan/{c}" for c in CYCLE_GAN_CONFIGS])
        tfds_split = {"train": "train", "test": "test"}.get(split)
        if tfds_split is None:
            raise DatasetError(f"{source} has splits 'train' and 'test'. Received: split={split!r}")
        ds_a, count_a, location = tfds_load(source, tfds_split + "A", data_dir)
        ds_b, count_b, _ = tfds_load(source, tfds_split + "B", data_dir)
        return Unpaired(ds_a.map(_image), ds_b.map(_image), count_a, count_b, source, location)
    if os.path.isdir(source):
        folder_a, folder_b = (os.path.join(source, f"{split}{d}") for d in "AB")
        if not (os.path.isdir(folder_a) and os.path.isdir(folder_b)):
            raise DatasetError(
                f"{source}: expected folders {split}A/ and {split}B/ for an unpaired dataset "
                f"(found: {', '.join(sorted(os.listdir(source))) or 'nothing'})."
            )
        paths_a, paths_b = list_images(folder_a), list_images(folder_b)
        return Unpaired(decoded_files(paths_a), decoded_files(paths_b), len(paths_a), len(paths_b), source, source)
    if source in SYNTHETIC_PAIRED or source.startswith("pix2pix/"):
        raise DatasetError(f"{source} is a paired source; use load_paired (or an unpaired source here).")
    raise DatasetError(_unknown(source))


def _paired_folder(root, split):
    """Side-by-side images in root/<split>/, or A/ and B/ folders (root/<split>/A|B or root/A|B).

    Both images of a pair are decoded in one step, so a file that fails drops its whole pair and can never shift
    the pairs after it; the count is what the scan found usable (see `pad_to_count` for training)."""
    for base in (os.path.join(root, split), root):
        folder_a, folder_b = os.path.join(base, "A"), os.path.join(base, "B")
        if os.path.isdir(folder_a) and os.path.isdir(folder_b):
            paths_a, paths_b = _match_by_name(list_images(folder_a), list_images(folder_b), base)

            def load_pair(path_a, path_b):
                return read_image(path_a.decode()), read_image(path_b.decode())

            return Paired(_decoded_pairs(load_pair, (paths_a, paths_b)), len(paths_a), root, base)
    side_by_side = os.path.join(root, split)
    if os.path.isdir(side_by_side):
        paths = list_images(side_by_side, shape_rule=_even_width)

        def load_halves(path):
            path = path.decode()
            return split_side_by_side(read_image(path), path)

        return Paired(_decoded_pairs(load_halves, (paths,)), len(paths), root, side_by_side)
    raise DatasetError(
        f"{root}: no paired layout for split {split!r}. Expected side-by-side A|B images in {split}/, "
        f"or folders {split}/A and {split}/B (or A/ and B/) with matching file names."
    )


def _even_width(width, height):
    return None if width % 2 == 0 else f"side-by-side pair has odd width {width}; expected A|B halves of equal width"


def _warn_once(message, *args):
    """One warning per message: a file that fails is re-read by every pass over an uncached dataset."""
    text = message % args
    if text not in _WARNED:
        _WARNED.add(text)
        log.warning("%s", text)


_WARNED = set()


def _decoded_pairs(load, path_lists):
    """(a, b) uint8 pairs from `load(*paths)`; a pair whose decoding fails is dropped with one warning."""

    def load_or_skip(*paths):
        try:
            return load(*paths)
        except (ImageError, DatasetError) as err:
            _warn_once("skipping the pair of %s: %s", " + ".join(p.decode() for p in paths), err)
            return np.zeros((0, 0, 3), np.uint8), np.zeros((0, 0, 3), np.uint8)

    pairs = tf.data.Dataset.from_tensor_slices(path_lists).map(
        lambda *paths: _numpy_images(load_or_skip, list(paths), 2), num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )  # fmt: skip
    return with_image_shapes(pairs.filter(lambda a, b: tf.size(a) > 0))


def _match_by_name(paths_a, paths_b, base):
    """Keeps pairs whose file stems match; reports the unmatched names."""
    stem = lambda p: os.path.splitext(os.path.basename(p))[0]  # noqa: E731
    by_name_b = {stem(p): p for p in paths_b}
    names_a = {stem(p) for p in paths_a}
    matched = [(a, by_name_b[stem(a)]) for a in paths_a if stem(a) in by_name_b]
    only_a = sorted(names_a - set(by_name_b))
    only_b = sorted(set(by_name_b) - names_a)
    if only_a or only_b:
        log.warning(
            "%s: %d unmatched names skipped (only in A: %s; only in B: %s)",
            base, len(only_a) + len(only_b), ", ".join(only_a[:10]) or "-", ", ".join(only_b[:10]) or "-",
        )  # fmt: skip
    if not matched:
        raise DatasetError(f"{base}: no file name appears in both A/ and B/; pairs are matched by name.")
    return [a for a, _ in matched], [b for _, b in matched]


def decoded_files(paths):
    """Decodes image files with `read_image`; a file that fails to decode (changed since the scan) is skipped
    with a warning."""

    def load(path):
        path = path.decode()
        try:
            return (read_image(path),)
        except ImageError as err:
            _warn_once("skipping %s", err)
            return (np.zeros((0, 0, 3), np.uint8),)

    ds = tf.data.Dataset.from_tensor_slices(paths).map(
        lambda p: _numpy_images(load, [p], 1)[0], num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )
    return with_image_shapes(ds.filter(lambda image: tf.size(image) > 0))


def _image(example):
    return example["image"]


def _numpy_images(fn, args, n):
    return tf.numpy_function(fn, args, [tf.uint8] * n, stateful=False)


def with_image_shapes(ds):
    """Restores the static rank/channels that numpy_function loses."""
    fix = lambda image: tf.ensure_shape(image, [None, None, 3])  # noqa: E731
    return ds.map(lambda *images: tuple(fix(i) for i in images) if len(images) > 1 else fix(images[0]))


def tfds_load(name, split, data_dir):
    """tfds.load with clear errors; returns (dataset, example count, data folder)."""
    import tensorflow_datasets as tfds

    try:
        ds, info = tfds.load(name, split=split, data_dir=data_dir, with_info=True, shuffle_files=False)
    except Exception as err:  # network failures, unknown splits, missing manual files: say what to do
        raise DatasetError(
            f"{name} (split {split!r}): could not download or prepare the TFDS dataset "
            f"({type(err).__name__}: {str(err)[:300]}). Check your network and the split name, "
            "or pass data_dir= pointing at a prepared TFDS folder."
        ) from None
    count = info.splits[split].num_examples if split in info.splits else int(ds.cardinality())
    return ds, count, os.fspath(info.data_dir)


def _check_name(source, valid):
    if source not in valid:
        raise DatasetError(f"Unknown source {source!r}; expected one of: {', '.join(valid)}.")


def _unknown(source):
    names = ", ".join(name for name, _, _ in known_sources())
    return f"{source}: not a folder and not a known source. Known sources: {names}, or a local folder."


def describe(source, data_dir=None):
    """What a source holds, without downloading: {"name", "kind", "location", "prepared", "splits"}.

    `splits` maps split name to an example count (paired) or "A/B" counts (unpaired); None when unknown.
    """
    source = os.fspath(source)
    if source in SYNTHETIC_PAIRED + SYNTHETIC_UNPAIRED:
        kind = "paired" if source in SYNTHETIC_PAIRED else "unpaired"
        return {"name": source, "kind": kind, "location": "generated in memory (no files)", "prepared": True,
                "splits": dict(synthetic.SPLIT_SIZES)}  # fmt: skip
    if source.startswith(("cycle_gan/", "pix2pix/")):
        import tensorflow_datasets as tfds

        _check_name(source, [name for name, _, _ in known_sources()])
        builder = tfds.builder(source, data_dir=data_dir)
        splits = {name: split.num_examples for name, split in builder.info.splits.items()}
        return {"name": source, "kind": "paired" if source.startswith("pix2pix/") else "unpaired",
                "location": os.fspath(builder.data_dir), "prepared": builder.is_prepared(), "splits": splits}  # fmt: skip
    if os.path.isdir(source):
        splits, kind = {}, "paired"
        for entry in sorted(os.listdir(source)):
            path = os.path.join(source, entry)
            if os.path.isdir(path):
                images = [n for n in os.listdir(path) if n.lower().endswith(IMAGE_EXTENSIONS)]
                splits[entry] = len(images) if images else None
                kind = "unpaired" if entry.endswith(("A", "B")) and entry[:-1] in ("train", "test") else kind
        return {"name": source, "kind": kind, "location": os.path.abspath(source), "prepared": True, "splits": splits}
    raise DatasetError(_unknown(source))
