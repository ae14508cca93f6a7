"""Exporting generators to SavedModel and TFLite, with verification reports."""

from tfstyle.export.convert import MODES, convert_tflite, write_savedmodel
from tfstyle.export.exporter import DEFAULT_MIN_PSNR, export_model, export_networks

__all__ = ["DEFAULT_MIN_PSNR", "MODES", "convert_tflite", "export_model", "export_networks", "write_savedmodel"]
