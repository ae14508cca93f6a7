"""tfstyle: neural style transfer and image-to-image translation for Keras 3, exported to phones."""

__version__ = "0.1.0"

import os  # noqa: E402

# Quiet TensorFlow's C++ start-up log lines unless the user chose a level.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfstyle.errors import DatasetError, ExportError, ImageError, TfstyleError, WeightsError  # noqa: E402
from tfstyle import data  # noqa: E402,F401  (registers the pix2pix TFDS builder)
from tfstyle.translate import CycleGAN, Pix2Pix  # noqa: E402

__all__ = ["CycleGAN", "DatasetError", "ExportError", "ImageError", "Pix2Pix", "TfstyleError", "WeightsError"]
