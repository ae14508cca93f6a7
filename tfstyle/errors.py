"""The exceptions a user can cause. Each message names the offending thing and the fix."""


class TfstyleError(ValueError):
    """Base class for every error caused by user input (files, datasets, arguments, weights)."""


class ImageError(TfstyleError):
    """An image file that cannot be used: missing, not an image, corrupt, too large or too small."""

    def __init__(self, path, reason):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class DatasetError(TfstyleError):
    """A dataset source that cannot be used: unknown name, wrong folder layout, no usable images."""


class WeightsError(TfstyleError):
    """Pretrained weights that cannot be loaded (offline download failure, wrong file)."""


class ExportError(TfstyleError):
    """An exported artifact that failed verification (fidelity, unsupported ops)."""
