"""Dataset sources and pipelines: synthetic tasks, local folders, TFDS (mocked), the pix2pix builder."""

import io
import logging
import tarfile

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import tfstyle  # noqa: F401  (registers pix2pix/*)
from tfstyle import metrics
from tfstyle.data import load_paired, load_unpaired, synthetic
from tfstyle.data.archive import safe_extract
from tfstyle.data.sources import describe
from tfstyle.errors import DatasetError

from conftest import random_image, save_image, shared


def _first(ds):
    return [t.numpy() for t in next(iter(ds))]


def _side_by_side(seed, size=32):
    left = np.full((size, size, 3), 40, np.uint8)
    right = np.full((size, size, 3), 210, np.uint8)
    left[0, 0] = seed  # a per-image marker
    return np.concatenate([left, right], axis=1)


# ---------- synthetic tasks ----------

def test_synthetic_is_deterministic_and_any_size():
    a1 = synthetic.stripes_image("train", 1, 5, size=48, seed=3)
    a2 = synthetic.stripes_image("train", 1, 5, size=48, seed=3)
    np.testing.assert_array_equal(a1, a2)
    assert not np.array_equal(a1, synthetic.stripes_image("train", 1, 5, size=48, seed=4))
    a, b = synthetic.labels_pair("test", 2, size=40)
    assert a.shape == b.shape == (40, 40, 3) and a.dtype == np.uint8
    assert set(map(tuple, a.reshape(-1, 3))) <= set(map(tuple, synthetic.LABEL_PALETTE))


def test_stripe_score_separates_domains():
    ds = load_unpaired("synthetic/stripes", split="test", image_size=64, batch_size=32, count=32)
    a, b = next(iter(ds))
    score_a, score_b = float(metrics.stripe_score(a)), float(metrics.stripe_score(b))
    assert score_b > 4 * score_a, (score_a, score_b)


def test_synthetic_labels_pipeline_deterministic():
    first = _first(load_paired("synthetic/labels", image_size=32, batch_size=4, seed=7, count=8))
    again = _first(load_paired("synthetic/labels", image_size=32, batch_size=4, seed=7, count=8))
    other = _first(load_paired("synthetic/labels", image_size=32, batch_size=4, seed=8, count=8))
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.array_equal(first[0], other[0])
    assert first[0].dtype == np.float32 and first[0].min() >= -1 and first[0].max() <= 1


# ---------- local folders ----------

def test_side_by_side_folder_and_direction(tmp_path):
    for i in range(3):
        save_image(tmp_path / "train" / f"{i}.png", _side_by_side(i))
    kwargs = dict(image_size=32, batch_size=1, jitter=False, flip=False, shuffle=False)
    a, b = _first(load_paired(tmp_path, **kwargs))
    assert a.mean() < -0.5 < 0.5 < b.mean()  # left half (dark) is the input for AtoB
    a2, b2 = _first(load_paired(tmp_path, direction="BtoA", **kwargs))
    np.testing.assert_array_equal(a2, b)
    with pytest.raises(DatasetError, match='direction="sideways"'):
        load_paired(tmp_path, direction="sideways")


def test_jitter_applies_the_same_crop_and_flip_to_both(tmp_path):
    gradient = np.tile(np.arange(64, dtype=np.uint8)[None, :, None] * 4, (64, 1, 3))
    save_image(tmp_path / "train" / "0.png", np.concatenate([gradient, gradient], axis=1))
    for a, b in load_paired(tmp_path, image_size=32, batch_size=1).take(5):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_b_folders_report_unmatched_names(tmp_path, caplog):
    for name in ["x", "y", "only_a"]:
        save_image(tmp_path / "train" / "A" / f"{name}.png", random_image(32, 1))
    for name in ["x", "y", "only_b"]:
        save_image(tmp_path / "train" / "B" / f"{name}.jpg", random_image(32, 2))
    with caplog.at_level(logging.WARNING, logger="tfstyle"):
        ds = load_paired(tmp_path, image_size=32, batch_size=1, shuffle=False)
    assert "2 unmatched names" in caplog.text and "only_a" in caplog.text and "only_b" in caplog.text
    assert sum(1 for _ in ds) == 2


def test_unpaired_folder_epoch_is_max_of_domains(tmp_path):
    for i in range(5):
        save_image(tmp_path / "trainA" / f"{i}.png", random_image(32, i))
    for i in range(2):
        save_image(tmp_path / "trainB" / f"{i}.png", random_image(32, 10 + i))
    ds = load_unpaired(tmp_path, image_size=32, batch_size=1)
    assert int(ds.cardinality()) == 5 and sum(1 for _ in ds) == 5
    with pytest.raises(DatasetError, match="expected folders testA/ and testB/"):
        load_unpaired(tmp_path, split="test")
    # the validation split's length is known too (fit would warn "input ran out of data" otherwise)
    for i in range(3):
        save_image(tmp_path / "testA" / f"{i}.png", random_image(32, 20 + i))
    save_image(tmp_path / "testB" / "0.png", random_image(32, 30))
    ds = load_unpaired(tmp_path, split="test", image_size=32, batch_size=2)
    assert int(ds.cardinality()) == 2 and sum(1 for _ in ds) == 2


def test_held_out_image_folders_have_a_known_length(tmp_path):
    """The stylizers' validation split: fit knows where it ends (no "input ran out of data" warning)."""
    from tfstyle.data.images import load_images

    for i in range(5):
        save_image(tmp_path / "test" / f"{i}.png", random_image(32, i))
    ds = load_images(tmp_path, "test", image_size=16, batch_size=2)
    assert int(ds.cardinality()) == 3 and sum(1 for _ in ds) == 3


def test_bad_files_in_a_dataset_are_skipped(tmp_path, caplog):
    for i in range(2):
        save_image(tmp_path / "trainA" / f"{i}.png", random_image(32, i))
        save_image(tmp_path / "trainB" / f"{i}.png", random_image(32, i))
    good = (tmp_path / "trainA" / "0.png").read_bytes()
    (tmp_path / "trainA" / "truncated.png").write_bytes(good[: len(good) // 2])
    (tmp_path / "trainA" / "notes.jpg").write_text("not an image")
    with caplog.at_level(logging.WARNING, logger="tfstyle"):
        batches = list(load_unpaired(tmp_path, image_size=32, batch_size=1, shuffle=False))
    assert len(batches) == 2
    assert "notes.jpg" in caplog.text and "truncated.png" in caplog.text
    (tmp_path / "empty" / "trainA").mkdir(parents=True)
    (tmp_path / "empty" / "trainB").mkdir(parents=True)
    with pytest.raises(DatasetError, match="no usable images"):
        load_unpaired(tmp_path / "empty")


def test_unknown_sources_and_kinds():
    with pytest.raises(DatasetError, match="Known sources"):
        load_paired("no/such/source")
    with pytest.raises(DatasetError, match="unpaired source"):
        load_paired("synthetic/stripes")
    with pytest.raises(DatasetError, match="paired source"):
        load_unpaired("synthetic/labels")
    with pytest.raises(DatasetError, match="expected one of"):
        load_unpaired("cycle_gan/horse2pony")


def _colour_pairs(folder, count=8, size=16):
    """A/ and B/ folders whose pair i is flat colour i·20 on both sides, so a shifted pair shows in the pixels."""
    for i in range(count):
        save_image(folder / "A" / f"{i:03d}.png", np.full((size, size, 3), i * 20, np.uint8))
        save_image(folder / "B" / f"{i:03d}.png", np.full((size, size, 3), i * 20 + 5, np.uint8))


def _colours(ds):
    """The colour index of each (a, b) pair of an unaugmented [-1, 1] paired dataset."""
    to_index = lambda x: int(round((float(np.mean(x)) + 1) * 127.5 / 20 - 0.125))  # noqa: E731
    return [(to_index(a), to_index(b)) for a, b in ds.unbatch()]


def test_a_file_that_breaks_after_the_scan_drops_its_pair_without_shifting_the_others(tmp_path, caplog):
    _colour_pairs(tmp_path / "train")
    ds = load_paired(tmp_path, image_size=16, batch_size=1, jitter=False, flip=False, shuffle=False)
    (tmp_path / "train" / "A" / "002.png").write_bytes(b"junk, not a PNG any more")  # after load_paired returned
    assert int(ds.cardinality()) == 8
    with caplog.at_level(logging.WARNING, logger="tfstyle"):
        for _ in range(2):  # two epochs: the cached second one too
            pairs = _colours(ds)
            assert len(pairs) == 8  # the epoch completes at its declared length
            assert all(a == b for a, b in pairs), pairs  # every pair still matches (no shift)
            assert sorted(set(a for a, _ in pairs)) == [0, 1, 3, 4, 5, 6, 7]  # pair 2 dropped, one pair shown twice
    assert caplog.text.count("skipping the pair of") == 1 and "A/002.png" in caplog.text


def test_side_by_side_count_is_what_is_kept(tmp_path, caplog):
    for i in range(3):
        save_image(tmp_path / "train" / f"{i}.png", _side_by_side(i))
    save_image(tmp_path / "train" / "odd.png", np.zeros((32, 63, 3), np.uint8))  # cannot be split in halves
    with caplog.at_level(logging.WARNING, logger="tfstyle"):
        ds = load_paired(tmp_path, image_size=32, batch_size=1)
    assert "odd.png: side-by-side pair has odd width 63" in caplog.text
    assert int(ds.cardinality()) == 3 and sum(1 for _ in ds) == 3


def test_evaluation_sees_every_test_image_of_each_domain_once(tmp_path):
    from tfstyle.data import load_domains

    for i in range(5):
        save_image(tmp_path / "testA" / f"{i}.png", np.full((16, 16, 3), i * 40, np.uint8))
    for i in range(3):
        save_image(tmp_path / "testB" / f"{i}.png", np.full((16, 16, 3), 200 + i, np.uint8))
    a, b = load_domains(tmp_path, "test", image_size=16, batch_size=2)
    means = lambda ds: sorted(round((float(np.mean(x)) + 1) * 127.5) for x in ds.unbatch())  # noqa: E731
    assert means(a) == [0, 40, 80, 120, 160] and means(b) == [200, 201, 202]
    training = load_unpaired(tmp_path, split="test", image_size=16, batch_size=1)
    assert sum(1 for _ in training) == 5  # (the training pipeline repeats the smaller domain)


# ---------- TFDS ----------

def test_cycle_gan_through_tfds_mock():
    with tfds.testing.mock_data(num_examples=4):
        ds = load_unpaired("cycle_gan/horse2zebra", image_size=32, batch_size=2)
        a, b = next(iter(ds))
    assert a.shape == b.shape == (2, 32, 32, 3)


def _tarball(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _png_bytes(array):
    buffer = io.BytesIO()
    from PIL import Image

    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def _facades_tarball(path):
    members = {f"facades/{split}/{i}.jpg": _png_bytes(_side_by_side(i)) for split in ("train", "val", "test")
               for i in range(2)}  # fmt: skip
    return _tarball(path, members)


def test_pix2pix_builder_from_file_url_and_manual_dir(tmp_path):
    archive = _facades_tarball(tmp_path / "facades.tar.gz")
    ds = tfds.load(
        "pix2pix/facades", split="train", data_dir=str(tmp_path / "tfds"),
        builder_kwargs={"url": archive.as_uri()},
    )  # fmt: skip
    examples = list(ds)
    assert len(examples) == 2 and examples[0]["image_a"].shape == (32, 32, 3)
    assert examples[0]["image_a"].numpy().mean() < 100 < examples[0]["image_b"].numpy().mean()

    manual = tmp_path / "manual"
    manual.mkdir()
    _facades_tarball(manual / "facades.tar.gz")
    builder = tfds.builder("pix2pix/facades", data_dir=str(tmp_path / "tfds2"))
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(manual)))
    assert builder.info.splits["test"].num_examples == 2

    a, b = _first(load_paired("pix2pix/facades", split="val", data_dir=str(tmp_path / "tfds"), image_size=32))
    assert a.shape == (1, 32, 32, 3)


def test_pix2pix_builder_verifies_checksum(tmp_path):
    archive = _facades_tarball(tmp_path / "facades.tar.gz")
    with pytest.raises(DatasetError, match="checksum mismatch"):
        tfds.load("pix2pix/facades", split="train", data_dir=str(tmp_path / "tfds"),
                  builder_kwargs={"url": archive.as_uri(), "sha256": "0" * 64})  # fmt: skip


def test_archive_with_escaping_member_is_refused(tmp_path):
    archive = _tarball(tmp_path / "evil.tar.gz", {"facades/train/ok.txt": b"ok", "../escape.txt": b"x"})
    with pytest.raises(DatasetError, match=r"refusing member '../escape.txt'"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "out").exists()


def test_describe_sources(tmp_path):
    save_image(tmp_path / "trainA" / "0.png", random_image(16))
    info = describe(tmp_path)
    assert info["kind"] == "unpaired" and info["splits"] == {"trainA": 1}
    assert describe("synthetic/labels")["splits"]["train"] == synthetic.SPLIT_SIZES["train"]


# ---------- real data (../shared) ----------

def test_real_facades_sample_halves():
    folder = shared("facades_sample")
    ds = load_paired(folder, image_size=256, batch_size=4, jitter=False, flip=False, shuffle=False)
    photo, label = _first(ds)
    assert photo.shape == label.shape == (4, 256, 256, 3)
    # the right half is the label map: flat colour regions, so neighbouring pixels barely differ
    roughness = lambda x: np.median(np.abs(np.diff(x, axis=2)).sum(-1))  # noqa: E731
    assert roughness(label) < roughness(photo) / 2


def test_real_horse2zebra_sample():
    ds = load_unpaired(shared("horse2zebra_sample"), image_size=64, batch_size=8)
    assert int(ds.cardinality()) == 4
    a, b = _first(ds)
    assert a.shape == b.shape == (8, 64, 64, 3)
    assert float(metrics.stripe_score(tf.constant(b))) > float(metrics.stripe_score(tf.constant(a)))
