"""Fast style transfer (Johnson et al. 2016), declared as a model kind: one network per painting, trained with
`fit` on content photos, then a single forward pass per photo of any size (and a `.tflite` for phones)."""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from tfstyle.data import read_image
from tfstyle.data.images import image_examples, load_images
from tfstyle.errors import TfstyleError
from tfstyle.models.transformer import transformer_network
from tfstyle.style.distances import StyleJudge
from tfstyle.style.features import FeatureExtractor
from tfstyle.style.losses import batch_gram
from tfstyle.training.callbacks import image_grid
from tfstyle.style.stylizer import FeedForwardStylizer
from tfstyle.training.settings import TrainSettings, setting

CONTENT_LAYER = "block2_conv2"  # relu2_2
STYLE_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3")  # relu1_2, relu2_2, relu3_3, relu4_3
# The reference's VGG takes (x/255 − μ)/σ (torchvision's weights); Keras's caffe-mode VGG takes x − 255·μ and has
# larger activations. Features are multiplied by FEATURE_SCALE so the reference's weights (content 1e5, style 1e10)
# keep their balance (the style term scales with features⁴, the content term with features²). 1/230 was measured
# here with the offline VGG-16 weights: with the reference's weights the two terms stay of the same order while
# training (1.6e3 and 1.4e3 after 600 steps at 64 px) and the outputs keep the photo; the ratio of the input
# scalings alone (1/57.6) left the style term 30× the content term and the network painted texture without the
# photo. With other VGG weights, adjust style_weight if the balance differs.
FEATURE_SCALE = 1.0 / 230.0


@dataclasses.dataclass
class FastStyleSettings(TrainSettings):
    """`tfstyle train faststyle --style PAINTING`: the reference's defaults (pytorch/examples fast_neural_style)."""

    dataset: str = setting("coco/2014", "content photos: a folder of images, a TFDS name with an image feature, or "
                           "synthetic/stripes", architecture=True)  # fmt: skip
    style: str = setting(None, "the style image (a painting) the network learns to paint", architecture=True)
    alpha: float = setting(1.0, "width multiplier of the network (0.5 or 0.25 for phones)", architecture=True)
    epochs: int = setting(2, "epochs over the content photos")
    epochs_decay: int = setting(0, "epochs of linear learning-rate decay after them (the reference keeps it constant)")
    batch_size: int = setting(4, "photos per replica per step")
    lr: float = setting(1e-3, "learning rate of Adam")
    content_weight: float = setting(1e5, "weight of the content loss (relu2_2)")
    style_weight: float = setting(1e10, "weight of the style loss (Grams at relu1_2, relu2_2, relu3_3, relu4_3)")
    tv_weight: float = setting(0.0, "weight of a total-variation term on the output pixels (the reference has none)")
    style_size: int = setting(None, "longer side of the style image in pixels (default: its own size)")
    vgg_weights: str = setting("imagenet", "loss network: imagenet, or a local VGG16 *_notop weights file")


@keras.saving.register_keras_serializable(package="tfstyle")
class FastStyle(FeedForwardStylizer):
    """A feed-forward stylizer trained with perceptual losses on a frozen VGG-16.

    Reference: Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and Super-Resolution",
    ECCV 2016; defaults as `pytorch/examples` fast_neural_style: content loss on relu2_2, style loss on Gram
    matrices (FᵀF / (C·H·W)) at relu1_2, relu2_2, relu3_3, relu4_3, content weight 1e5, style weight 1e10,
    Adam(1e-3), 256-px photos in batches of 4.

    Args:
        alpha: width multiplier of `transformer_network`. Defaults to 1.0.
        vgg_weights: loss-network weights: "imagenet", a local VGG16 notop weights file, or None (tests).
            Defaults to "imagenet".

    Example:
    ```python
    model = tfstyle.FastStyle()
    model.compile(style_image=read_image("starry_night.jpg"))
    model.fit(load_images("coco/2014"), epochs=2, callbacks=run_callbacks("runs/starry"))
    ```
    """

    kind_name = "faststyle"
    description = "fast style transfer: one painting, any photo, one pass (Johnson et al. 2016)"
    Settings = FastStyleSettings

    def __init__(self, alpha=1.0, vgg_weights="imagenet", **kwargs):
        super().__init__(**kwargs)
        self.config = {"alpha": alpha, "vgg_weights": vgg_weights}
        self.stylizer = self.trained = transformer_network(alpha)
        self.loss_network = FeatureExtractor([CONTENT_LAYER, *STYLE_LAYERS], "vgg16", vgg_weights, "max", "vgg_weights")
        # the photos' targets are content features only: stopping VGG at relu2_2 for them saves a sixth of a step
        self.content_network = self.loss_network.subset([CONTENT_LAYER])

    def compile(self, style_image=None, content_weight=1e5, style_weight=1e10, tv_weight=0.0, optimizer=None,
                learning_rate=1e-3, **kwargs):  # fmt: skip
        """Sets the painting to learn and the loss weights.

        Args:
            style_image: the style image, uint8 (H, W, 3).
            content_weight: weight of the content loss. Defaults to 1e5.
            style_weight: weight of the style loss. Defaults to 1e10.
            tv_weight: weight of total variation on the output pixels (0-255). Defaults to 0.
            optimizer: Defaults to Adam(`learning_rate`), the paper's form (`tfstyle.training.optimizers`).
            learning_rate: Defaults to 1e-3.
            **kwargs: passed to `keras.Model.compile` (e.g. `jit_compile=True`).
        """
        if style_image is None:
            raise ValueError("FastStyle.compile needs style_image (a uint8 painting).")
        self.weights_ = {"content": float(content_weight), "style": float(style_weight), "tv": float(tv_weight)}
        style = tf.constant(np.asarray(style_image, np.float32)[None] / 127.5 - 1.0)
        self.style_grams = [_gram(f) for f in self._features(style)[1:]]
        self.configure_training(optimizer, learning_rate, ("content", "style", "tv"), **kwargs)

    def call(self, inputs, training=False):
        return self.stylizer(inputs, training=training)

    def _features(self, images):
        """Loss-network features of [-1, 1] images, float32, on the reference's scale: [content, *style]."""
        feats = self.loss_network((tf.cast(images, tf.float32) + 1.0) / 2.0)
        return [tf.cast(feats[name], tf.float32) * FEATURE_SCALE for name in (CONTENT_LAYER, *STYLE_LAYERS)]

    def _content_features(self, images):
        """The content layer alone (VGG stops there), on the same scale as `_features(images)[0]`."""
        feats = self.content_network((tf.cast(images, tf.float32) + 1.0) / 2.0)
        return tf.cast(feats[CONTENT_LAYER], tf.float32) * FEATURE_SCALE

    def _loss_terms(self, images, training):
        return self.objective(images, self.stylizer(images, training=training))

    def objective(self, photos, styled):
        """The training objective's terms for given outputs: {"loss", "content", "style", "tv"}, each a batch mean.

        `styled` may come from any network (another run, another precision, another framework), so outputs are
        compared on one loss network: a float32 `FastStyle` scores the outputs of bf16-trained networks, and the
        learning-parity benchmark scores a PyTorch reference's. Both arguments are [-1, 1] batches.
        """
        target = tf.stop_gradient(self._content_features(photos))
        out = self._features(styled)
        content = self.weights_["content"] * tf.reduce_mean(tf.square(out[0] - target))
        style = self.weights_["style"] * tf.add_n([tf.reduce_mean(tf.square(_gram(f) - g))
                                                   for f, g in zip(out[1:], self.style_grams)])  # fmt: skip
        tv = tf.constant(0.0)
        if self.weights_["tv"]:
            tv = self.weights_["tv"] * tf.reduce_mean(tf.image.total_variation((tf.cast(styled, tf.float32) + 1) * 127.5))
        return {"loss": content + style + tv, "content": content, "style": style, "tv": tv}

    def generators(self):
        return {"stylizer": self.stylizer}

    def sample_rows(self, batch):
        return image_grid([batch, self.stylizer(batch, training=False)])

    # ---- the run-level declaration (tfstyle.train / tfstyle.Run) ----
    @classmethod
    def from_settings(cls, s, steps_per_epoch):
        model = cls(alpha=s.alpha, vgg_weights=s.vgg_weights)
        model.compile(style_image=style_image(s.style, s.style_size), content_weight=s.content_weight,
                      style_weight=s.style_weight, tv_weight=s.tv_weight, learning_rate=s.lr,
                      jit_compile=s.jit_compile)  # fmt: skip
        return model

    @classmethod
    def training_data(cls, s, split, batch_size, shuffle=None, cache=True, **augmentation):
        # (the reference does not augment: resize, centre crop)
        return load_images(s.dataset, split, s.image_size, batch_size, shuffle=shuffle, seed=s.seed, cache=cache,
                           data_dir=s.data_dir, count=s.count)  # fmt: skip

    @classmethod
    def directions(cls, config):
        return {"stylize": "stylizer"}

    @classmethod
    def dataset_inputs(cls, config, source, size, count, direction):
        return image_examples(source, size, count)

    @classmethod
    def score(cls, generators, config, dataset, split, batch_size, max_images, inception):
        """Style and content distances (`tfstyle.style.distances`, the run's loss-network weights) of the outputs on
        held-out photos, the photos' own style distance, and the cut: photo distance / output distance."""
        judge, painting = StyleJudge(config["vgg_weights"]), style_image(config["style"], config.get("style_size"))
        ds = load_images(dataset, split, config["image_size"], 1, shuffle=False, cache=False, count=config.get("count"))
        totals, columns = {"style_distance": [], "photo_style_distance": [], "content_distance": []}, []
        for x in ds.take(max_images) if max_images else ds:
            photo = np.asarray(tf.cast(tf.round((x[0] + 1.0) * 127.5), tf.uint8))
            out = cls.translate_with(generators["stylizer"], photo)
            totals["style_distance"].append(judge.style_distance(out, painting))
            totals["photo_style_distance"].append(judge.style_distance(photo, painting))
            totals["content_distance"].append(judge.content_distance(out, photo))
            columns.append([photo[None], out[None], photo[None]])
        results = {name: float(np.mean(values)) for name, values in totals.items()}
        results["style_cut"] = results["photo_style_distance"] / results["style_distance"]
        results["images"] = len(totals["style_distance"])
        return results, columns


def style_image(path, style_size=None):
    """The style image as uint8, its longer side resized to `style_size` when given."""
    if not path:
        raise TfstyleError("faststyle needs a style image: pass style=PATH (CLI: --style PATH).")
    image = read_image(path)
    if style_size:
        scale = style_size / max(image.shape[:2])
        size = [max(1, round(image.shape[0] * scale)), max(1, round(image.shape[1] * scale))]
        image = tf.cast(tf.round(tf.image.resize(image, size, antialias=True)), tf.uint8).numpy()
    return image


def _gram(features):
    """FᵀF / (C·H·W) per image, the reference's normalisation: (B, H, W, C) -> (B, C, C)."""
    shape = tf.shape(features)
    size = tf.cast(shape[1] * shape[2] * shape[3], features.dtype)
    return batch_gram(features) / size
