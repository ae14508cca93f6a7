"""tfstyle: neural style transfer and image-to-image translation for Keras 3, exported to phones.

The public names are loaded on first use, so `import tfstyle` (and `tfstyle --help`) does not start TensorFlow:

    tfstyle.train(kind, out, **settings)   train or resume a run folder      tfstyle.Run(folder)  use a trained run
    tfstyle.Pix2Pix, tfstyle.CycleGAN      the model kinds (keras.Model)     tfstyle.KINDS        name -> kind
    tfstyle.data, .models, .style, .translate, .training, .export, .metrics   the subpackages
"""

import importlib
import os

__version__ = "0.1.0"

# Quiet TensorFlow's C++ start-up log lines unless the user chose a level.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfstyle import _compat  # noqa: E402
from tfstyle.errors import DatasetError, ExportError, ImageError, TfstyleError, WeightsError  # noqa: E402

_compat.check_backend()

_LAZY = {
    "train": "tfstyle.runs", "Run": "tfstyle.runs", "KINDS": "tfstyle.kinds",
    "Pix2Pix": "tfstyle.translate.pix2pix", "CycleGAN": "tfstyle.translate.cyclegan",
    "FastStyle": "tfstyle.style.faststyle", "AdaIN": "tfstyle.style.adain",
}  # fmt: skip
_SUBPACKAGES = ("data", "export", "metrics", "models", "pretrained", "style", "training", "translate")

__all__ = ["AdaIN", "CycleGAN", "DatasetError", "ExportError", "FastStyle", "ImageError", "KINDS", "Pix2Pix", "Run", "TfstyleError",
           "WeightsError", "train", *_SUBPACKAGES]  # fmt: skip


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"tfstyle.{name}")
    else:
        raise AttributeError(f"module 'tfstyle' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
