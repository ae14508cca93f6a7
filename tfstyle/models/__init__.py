"""Network builders: functional Keras 3 models, no training code."""

from tfstyle.models.layers import NORMS, InstanceNormalization, ReflectionPadding2D, norm_layer
from tfstyle.models.patchgan import patchgan_discriminator, pixel_discriminator
from tfstyle.models.resnet import resnet_generator
from tfstyle.models.unet import unet_generator

__all__ = [
    "NORMS", "InstanceNormalization", "ReflectionPadding2D", "norm_layer", "patchgan_discriminator",
    "pixel_discriminator", "resnet_generator", "unet_generator",
]  # fmt: skip
