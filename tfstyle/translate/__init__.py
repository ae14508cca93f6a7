"""Image-to-image translation systems (keras.Model subclasses with train_step)."""

from tfstyle.translate.cyclegan import CycleGAN
from tfstyle.models.inference import translate_images
from tfstyle.translate.losses import gan_loss
from tfstyle.translate.pix2pix import Pix2Pix
from tfstyle.translate.pool import ImagePool

__all__ = ["CycleGAN", "ImagePool", "Pix2Pix", "gan_loss", "translate_images"]
