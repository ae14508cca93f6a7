"""Image file I/O: every image that enters tfstyle is read here, every image that leaves is written here.

Data in = uint8 RGB arrays (H, W, 3). Conversions between uint8 and model ranges live in `convert.py`.
"""

import os
import tempfile
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from tfstyle.errors import ImageError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif")
DEFAULT_MAX_PIXELS = 64_000_000
DEFAULT_MIN_SIZE = 8


def read_image(path, max_pixels=DEFAULT_MAX_PIXELS, min_size=DEFAULT_MIN_SIZE):
    """Reads an image file as an RGB uint8 array of shape (H, W, 3).

    Accepts JPEG, PNG, BMP, WebP, TIFF and GIF. Grayscale, palette, CMYK and 16-bit images are converted to
    8-bit RGB, alpha is composited on white and the EXIF orientation is applied.

    Args:
        path: path of the image file.
        max_pixels: refuse images with more pixels than this (decompression bombs). Defaults to 64 megapixels.
        min_size: refuse images whose shorter side is below this many pixels. Defaults to 8.

    Returns:
        A `np.uint8` array of shape (H, W, 3).

    Raises:
        ImageError: naming the file and the reason, for a missing file, a file that is not an image,
            truncated or corrupt data, or an image outside the size limits.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ImageError(path, "file not found")
    if os.path.isdir(path):
        raise ImageError(path, "is a folder, expected an image file")
    if os.path.getsize(path) == 0:
        raise ImageError(path, "empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            # We enforce our own pixel limit below; silence PIL's generic bomb warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageError(
                        path,
                        f"{width}x{height} = {width * height:,} pixels exceeds the limit of {max_pixels:,} "
                        "(possible decompression bomb); pass a larger max_pixels if the image is trusted",
                    )
                if min(width, height) < min_size:
                    raise ImageError(
                        path, f"{width}x{height} is smaller than the minimum side of {min_size} pixels"
                    )
                image.load()
                image = ImageOps.exif_transpose(image)
                return _to_rgb_array(image)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(path, "not a recognised image format (JPEG, PNG, BMP, WebP, TIFF, GIF)") from None
    except Image.DecompressionBombError as err:
        raise ImageError(
            path, f"exceeds the limit of {max_pixels:,} pixels, possible decompression bomb (PIL: {err})"
        ) from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageError(path, f"truncated or corrupt image data ({err})") from None


def _to_rgb_array(image):
    """Converts any PIL mode to an RGB uint8 array (alpha on white, 16-bit scaled down)."""
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        array = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        array = np.clip(np.round(array / peak * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(array[..., None], 3, axis=-1)
    if image.mode == "F":
        array = np.clip(np.asarray(image, dtype=np.float64), 0, 255).round().astype(np.uint8)
        return np.repeat(array[..., None], 3, axis=-1)
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode != "RGB":
        image = image.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV
    return np.asarray(image, dtype=np.uint8).copy()


def write_image(path, array):
    """Writes an RGB uint8 array atomically (temp file + rename); the format follows the extension."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise ValueError(f"write_image expects uint8 pixels. Received dtype={array.dtype}")
    image = Image.fromarray(array.squeeze(-1) if array.ndim == 3 and array.shape[-1] == 1 else array)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fmt = Image.registered_extensions().get(os.path.splitext(path)[1].lower(), "PNG")
    with atomic_path(path) as tmp:
        image.save(tmp, format=fmt)
    return path


class atomic_path:
    """Context manager yielding a temporary path next to `path`, renamed onto `path` only on success."""

    def __init__(self, path, suffix=""):
        self.path = os.fspath(path)
        self.suffix = suffix

    def __enter__(self):
        folder = os.path.dirname(os.path.abspath(self.path)) or "."
        os.makedirs(folder, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(prefix=".tmp-" + os.path.basename(self.path), suffix=self.suffix, dir=folder)
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.tmp, 0o666 & ~umask)  # mkstemp's 0600 would make published files private
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            os.replace(self.tmp, self.path)
        elif os.path.exists(self.tmp):
            os.remove(self.tmp)
        return False
