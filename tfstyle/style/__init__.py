"""Neural style transfer (Gatys et al.) on VGG features: losses, presets, `stylize`."""

from tfstyle.style.features import FeatureExtractor, vgg_backbone
from tfstyle.style.gatys import stylize
from tfstyle.style.losses import content_loss, gram_matrix, gram_style_loss, mean_std_style_loss, mrf_style_loss, total_variation
from tfstyle.style.presets import PRESETS, StyleSettings, settings_for

__all__ = [
    "FeatureExtractor", "PRESETS", "StyleSettings", "content_loss", "gram_matrix", "gram_style_loss",
    "mean_std_style_loss", "mrf_style_loss", "settings_for", "stylize", "total_variation", "vgg_backbone",
]  # fmt: skip
