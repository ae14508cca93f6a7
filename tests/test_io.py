"""read_image: formats, conversions, and the bad-input corpus (only ImageError may escape)."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from tfstyle import ImageError
from tfstyle.data import list_images, read_image, write_image
from tfstyle.errors import DatasetError, TfstyleError

from conftest import random_image, save_image


@pytest.mark.parametrize("ext,kwargs", [("jpg", {"quality": 95}), ("png", {}), ("bmp", {}), ("webp", {"lossless": True}), ("tif", {})])
def test_formats_round_trip(tmp_path, ext, kwargs):
    array = random_image(24)
    path = save_image(tmp_path / f"x.{ext}", array, **kwargs)
    out = read_image(path)
    assert out.dtype == np.uint8 and out.shape == (24, 24, 3)
    if ext != "jpg":
        np.testing.assert_array_equal(out, array)


def test_grayscale_palette_rgba_cmyk_16bit(tmp_path):
    gray = Image.fromarray(np.full((16, 16), 100, np.uint8), "L")
    gray.save(tmp_path / "g.png")
    assert read_image(tmp_path / "g.png")[0, 0].tolist() == [100, 100, 100]

    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., 0] = 255  # red, fully transparent on the left half
    rgba[:, 8:, 3] = 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    out = read_image(tmp_path / "a.png")
    assert out[0, 0].tolist() == [255, 255, 255]  # composited on white
    assert out[0, 15].tolist() == [255, 0, 0]

    Image.fromarray(random_image(16)).convert("P").save(tmp_path / "p.gif")
    assert read_image(tmp_path / "p.gif").shape == (16, 16, 3)

    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(tmp_path / "c.jpg")  # CMYK red
    red = read_image(tmp_path / "c.jpg")[8, 8]
    assert red[0] > 200 and red[1] < 60 and red[2] < 60

    deep = np.full((16, 16), 0x8080, np.uint16)  # 32896 / 65535 * 255 = 128
    Image.fromarray(deep).save(tmp_path / "d.png")
    assert read_image(tmp_path / "d.png")[0, 0].tolist() == [128, 128, 128]


def test_exif_orientation_is_applied(tmp_path):
    image = Image.fromarray(random_image(16, width=32))  # 16 high, 32 wide
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    image.save(tmp_path / "r.jpg", exif=exif)
    assert read_image(tmp_path / "r.jpg").shape == (32, 16, 3)


def _png_header_only(width, height):
    """A PNG whose IHDR claims a huge image (decompression-bomb probe), with a tiny body."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))  # noqa: E731
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b"")


def bad_corpus(folder):
    """The bad-input corpus: name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    good = io.BytesIO()
    Image.fromarray(random_image(64)).save(good, "JPEG")
    cases = {
        "truncated.jpg": good.getvalue()[: len(good.getvalue()) // 2],
        "zero.jpg": b"",
        "text.jpg": b"this is not an image\n" * 10,
        "huge.png": _png_header_only(100_000, 100_000),
    }
    for name, data in cases.items():
        (folder / name).write_bytes(data)
    save_image(folder / "tiny.png", np.zeros((1, 1, 3), np.uint8))
    return {name: folder / name for name in [*cases, "tiny.png"]}


@pytest.mark.parametrize("name,reason", [
    ("truncated.jpg", "truncated or corrupt"), ("zero.jpg", "empty file"), ("text.jpg", "not a recognised image"),
    ("huge.png", "exceeds the limit"), ("tiny.png", "smaller than the minimum"),
])  # fmt: skip
def test_bad_inputs_raise_image_error_naming_the_file(tmp_path, name, reason):
    path = bad_corpus(tmp_path)[name]
    with pytest.raises(ImageError) as info:
        read_image(path)
    assert str(path) in str(info.value) and reason in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TfstyleError)


def test_missing_file_and_limits_configurable(tmp_path):
    with pytest.raises(ImageError, match="file not found"):
        read_image(tmp_path / "nope.png")
    path = save_image(tmp_path / "x.png", random_image(32))
    with pytest.raises(ImageError, match="exceeds the limit of 1,000"):
        read_image(path, max_pixels=1000)
    assert read_image(save_image(tmp_path / "one.png", np.zeros((1, 1, 3), np.uint8)), min_size=1).shape == (1, 1, 3)


def test_scanning_skips_bad_files_and_counts_them(tmp_path, caplog):
    folder = tmp_path / "mixed"
    bad_corpus(folder)
    save_image(folder / "good.png", random_image(32))
    paths = list_images(folder)
    assert [p.split("/")[-1] for p in paths] == ["good.png"]
    assert "skipped 5 of 6 image files" in caplog.text and "truncated.jpg" in caplog.text
    with pytest.raises(DatasetError, match="no usable images"):
        list_images(tmp_path / "empty" if (tmp_path / "empty").mkdir() is None else None)


def test_write_image_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "out.png"
    old = random_image(8)
    write_image(path, old)
    assert path.stat().st_mode & 0o044  # readable by others, like any normally written file
    from PIL import Image

    real_save = Image.Image.save

    def disk_full_half_way(self, fp, format=None, **params):  # noqa: A002 (PIL's name)
        real_save(self, fp, format=format, **params)  # the encoder writes the whole file ...
        with open(fp, "r+b") as handle:  # ... then the disk fills up: a truncated file and an error
            handle.truncate(40)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", disk_full_half_way)
    with pytest.raises(OSError, match="No space left"):
        write_image(path, random_image(64, seed=1))
    monkeypatch.undo()
    np.testing.assert_array_equal(read_image(path, min_size=1), old)  # the old file is intact, not truncated
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]  # and no temp file is left behind
