"""Exporting generators to SavedModel and TFLite, with verification reports. Names load on first use."""

from tfstyle._lazy import lazy_attributes

_NAMES = {
    "DEFAULT_MIN_PSNR": "tfstyle.export.modes", "MODES": "tfstyle.export.modes",
    "convert_tflite": "tfstyle.export.convert", "write_savedmodel": "tfstyle.export.convert",
    "export_model": "tfstyle.export.exporter", "export_networks": "tfstyle.export.exporter",
}  # fmt: skip
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_attributes(__name__, _NAMES)
