"""Neural style transfer (Gatys et al.) on VGG features: losses, presets, `stylize`. Names load on first use."""

from tfstyle._lazy import lazy_attributes

_NAMES = {
    "FeatureExtractor": "tfstyle.style.features", "vgg_backbone": "tfstyle.style.features",
    "stylize": "tfstyle.style.gatys",
    **dict.fromkeys(("content_loss", "gram_matrix", "gram_style_loss", "mean_std_style_loss", "mrf_style_loss",
                     "total_variation"), "tfstyle.style.losses"),
    **dict.fromkeys(("PRESETS", "StyleSettings", "settings_for"), "tfstyle.style.presets"),
}  # fmt: skip
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_attributes(__name__, _NAMES)
