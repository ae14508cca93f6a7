"""Image I/O and dataset pipelines. Public names: read_image, write_image, load_paired, load_unpaired."""

from tfstyle.data import pix2pix_tfds  # noqa: F401  (registers the `pix2pix/<name>` TFDS builder)
from tfstyle.data.convert import to_model_range, to_uint8, to_unit_range
from tfstyle.data.io import read_image, write_image
from tfstyle.data.pipeline import default_load_size, folder_images, load_domains, load_paired, load_unpaired
from tfstyle.data.scan import list_images
from tfstyle.data.sources import known_sources, open_paired, open_unpaired
from tfstyle.errors import DatasetError, ImageError

__all__ = [
    "DatasetError", "ImageError", "default_load_size", "folder_images", "known_sources", "list_images", "load_domains", "load_paired",
    "load_unpaired", "open_paired", "open_unpaired", "read_image", "to_model_range", "to_uint8",
    "to_unit_range", "write_image",
]  # fmt: skip
