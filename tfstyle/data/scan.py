"""Finding usable images in folders: one bad file is skipped with one warning line, never fatal."""

import logging
import os
import warnings

from PIL import Image

from tfstyle.data.io import DEFAULT_MAX_PIXELS, DEFAULT_MIN_SIZE, IMAGE_EXTENSIONS
from tfstyle.errors import DatasetError

log = logging.getLogger("tfstyle")


def check_header(path, max_pixels=DEFAULT_MAX_PIXELS, min_size=DEFAULT_MIN_SIZE):
    """Cheap validity check from the file header (no full decode). Returns None if fine, else the reason."""
    try:
        if os.path.getsize(path) == 0:
            return "empty file (0 bytes)"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
    except Exception as err:  # any decoder failure means "not usable", reported below
        return f"not a readable image ({type(err).__name__})"
    if width * height > max_pixels:
        return f"{width}x{height} exceeds the {max_pixels:,}-pixel limit"
    if min(width, height) < min_size:
        return f"{width}x{height} is below the {min_size}-pixel minimum side"
    return None


def list_images(folder, max_pixels=DEFAULT_MAX_PIXELS, min_size=DEFAULT_MIN_SIZE):
    """Sorted paths of the usable images directly inside `folder`.

    Unusable files (wrong format, empty, too large or small) are skipped with one warning line each.

    Raises:
        DatasetError: when the folder is missing or holds no usable image.
    """
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise DatasetError(f"{folder}: folder not found.")
    candidates = sorted(
        os.path.join(folder, name)
        for name in os.listdir(folder)
        if name.lower().endswith(IMAGE_EXTENSIONS) and not name.startswith(".")
    )
    usable, skipped = [], 0
    for path in candidates:
        reason = check_header(path, max_pixels, min_size)
        if reason is None:
            usable.append(path)
        else:
            skipped += 1
            log.warning("skipping %s: %s", path, reason)
    if skipped:
        log.warning("%s: skipped %d of %d image files", folder, skipped, len(candidates))
    if not usable:
        raise DatasetError(
            f"{folder}: no usable images found ({len(candidates)} image files, {skipped} skipped). "
            f"Put {', '.join(IMAGE_EXTENSIONS[:5])} files in it."
        )
    return usable
