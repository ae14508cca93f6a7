"""Finding usable images in folders: one bad file is skipped with one warning line, never fatal."""

import logging
import os
import warnings
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from tfstyle.data.io import DEFAULT_MAX_PIXELS, DEFAULT_MIN_SIZE, IMAGE_EXTENSIONS
from tfstyle.errors import DatasetError

log = logging.getLogger("tfstyle")


def check_image(path, max_pixels=DEFAULT_MAX_PIXELS, min_size=DEFAULT_MIN_SIZE, shape_rule=None):
    """Validity check of one file: header, size limits, an optional `shape_rule(width, height)` returning a reason
    or None, and a full decode (JPEGs at 1/8 scale, which is fast and still finds truncated data). Returns None
    if usable, else the reason."""
    try:
        if os.path.getsize(path) == 0:
            return "empty file (0 bytes)"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > max_pixels:
                    return f"{width}x{height} exceeds the {max_pixels:,}-pixel limit"
                if min(width, height) < min_size:
                    return f"{width}x{height} is below the {min_size}-pixel minimum side"
                reason = shape_rule(width, height) if shape_rule is not None else None
                if reason:
                    return reason
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
    except Exception as err:  # any decoder failure means "not usable", reported by the caller
        return f"not a readable image ({type(err).__name__}: {err})"
    return None


def list_images(folder, max_pixels=DEFAULT_MAX_PIXELS, min_size=DEFAULT_MIN_SIZE, shape_rule=None):
    """Sorted paths of the usable images directly inside `folder`.

    Unusable files (wrong format, empty, truncated, too large or small, or refused by `shape_rule(width, height)`,
    which returns a reason or None) are skipped with one warning line each, so a dataset's size is known exactly
    before training.

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
    with ThreadPoolExecutor(max_workers=8) as pool:  # PIL decodes without the GIL
        reasons = list(pool.map(lambda p: check_image(p, max_pixels, min_size, shape_rule), candidates))
    for path, reason in zip(candidates, reasons):
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
