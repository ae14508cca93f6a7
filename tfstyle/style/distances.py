"""How far an image is from a style and from a photo, in a VGG feature space: the yardsticks of style quality.

    style distance   Σ over block1_conv1 … block5_conv1 of mean((G_out − G_style)²) / mean(G_style²), G = FᵀF / positions
    content distance mean((F_out − F_photo)²) / mean(F_photo²) at block4_conv2

Both are scale-free (relative errors), so they compare Gatys presets, feed-forward stylizers and different image
sizes: a photo's style distance to a painting is typically 1-3, a good stylisation cuts it several times while
its content distance stays below the painting's own content distance to the photo.
"""

import numpy as np
import tensorflow as tf

from tfstyle.style.features import FeatureExtractor

STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
CONTENT_LAYER = "block4_conv2"


def gram_per_position(features):
    """(B, H, W, C) -> (B, C, C) Gram matrices divided by the number of positions H·W."""
    shape = tf.shape(features)
    return tf.einsum("bhwc,bhwd->bcd", features, features) / tf.cast(shape[1] * shape[2], features.dtype)


class StyleJudge:
    """Measures style and content distances with a frozen VGG (VGG-16 by default).

    Args:
        weights: VGG weights: "imagenet", a local `*_notop` weights file, or None. Defaults to "imagenet".
        backbone: "vgg16" or "vgg19". Defaults to "vgg16".

    Example:
    ```python
    judge = StyleJudge("vgg16_notop.weights.h5")
    judge.distances(stylized, photo, painting)  # {"style": 0.31, "content": 0.42}
    ```
    """

    def __init__(self, weights="imagenet", backbone="vgg16"):
        self.extractor = FeatureExtractor([*STYLE_LAYERS, CONTENT_LAYER], backbone, weights, "max")
        self._style_cache = {}

    def features(self, image):
        """Features of one uint8 (H, W, 3) image."""
        return self.extractor(tf.constant(np.asarray(image, np.float32)[None] / 255.0))

    def style_grams(self, style):
        key = (np.asarray(style).shape, hash(np.asarray(style).tobytes()))
        if key not in self._style_cache:
            feats = self.features(style)
            self._style_cache[key] = {name: gram_per_position(feats[name]) for name in STYLE_LAYERS}
        return self._style_cache[key]

    def style_distance(self, image, style):
        feats, targets = self.features(image), self.style_grams(style)
        return float(sum(tf.reduce_mean(tf.square(gram_per_position(feats[n]) - targets[n])) /
                         tf.reduce_mean(tf.square(targets[n])) for n in STYLE_LAYERS))  # fmt: skip

    def content_distance(self, image, photo):
        out, ref = self.features(image)[CONTENT_LAYER], self.features(photo)[CONTENT_LAYER]
        if out.shape != ref.shape:  # compare at the photo's size
            out = self.features(tf.image.resize(image, photo.shape[:2], antialias=True).numpy())[CONTENT_LAYER]
        return float(tf.reduce_mean(tf.square(out - ref)) / tf.reduce_mean(tf.square(ref)))

    def distances(self, image, photo, style):
        """{"style": distance of `image` to `style`, "content": distance of `image` to `photo`} (uint8 images)."""
        return {"style": self.style_distance(image, style), "content": self.content_distance(image, photo)}
