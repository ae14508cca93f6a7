"""tfstyle: neural style transfer and image-to-image translation for Keras 3, exported to phones.

The public names are loaded on first use, so `import tfstyle` (and `tfstyle --help`) does not start TensorFlow:

    tfstyle.train(kind, out, **settings)   train or resume a run folder      tfstyle.Run(folder)  use a trained run
    tfstyle.Pix2Pix, tfstyle.CycleGAN      the model kinds (keras.Model)     tfstyle.KINDS        name -> kind
    tfstyle.data, .models, .style, .translate, .training, .export, .metrics   the subpackages
"""

import os

__version__ = "0.1.0"

# Quiet TensorFlow's C++ start-up log lines unless the user chose a level.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfstyle import _compat  # noqa: E402
from tfstyle._lazy import lazy_attributes  # noqa: E402
from tfstyle.errors import DatasetError, ExportError, ImageError, TfstyleError, WeightsError  # noqa: E402

_compat.check_backend()

_NAMES = {
    "train": "tfstyle.runs", "Run": "tfstyle.runs", "KINDS": "tfstyle.kinds",
    "Pix2Pix": "tfstyle.translate.pix2pix", "CycleGAN": "tfstyle.translate.cyclegan",
    "FastStyle": "tfstyle.style.faststyle", "AdaIN": "tfstyle.style.adain",
    **{name: f"tfstyle.{name}" for name in ("data", "export", "metrics", "models", "pretrained", "style", "training",
                                            "translate")},
}  # fmt: skip
__all__ = sorted({*_NAMES, "DatasetError", "ExportError", "ImageError", "TfstyleError", "WeightsError"})
__getattr__, __dir__ = lazy_attributes(__name__, _NAMES)
