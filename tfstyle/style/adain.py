"""Arbitrary style transfer with AdaIN (Huang & Belongie 2017), declared as a model kind: one network for every
painting, trained with `fit` on content photos and paintings; an app computes a style vector once per painting."""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from tfstyle.data.images import image_examples, load_images
from tfstyle.errors import TfstyleError
from tfstyle.models.adain import (
    AdaptiveInstanceNormalization, FeatureStatistics, adain, adain_decoder, feature_statistics, style_vector,
)  # fmt: skip
from tfstyle.models.inference import translate_images
from tfstyle.style import color
from tfstyle.style.distances import StyleJudge
from tfstyle.style.features import FeatureExtractor
from tfstyle.training.callbacks import image_grid
from tfstyle.style.stylizer import FeedForwardStylizer
from tfstyle.training.settings import TrainSettings, setting

LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1")  # relu1_1 ... relu4_1


@dataclasses.dataclass
class AdaINSettings(TrainSettings):
    """`tfstyle train adain --styles PAINTINGS`: the reference's defaults (naoto0804/pytorch-AdaIN train.py)."""

    dataset: str = setting("coco/2014", "content photos: a folder of images, a TFDS name with an image feature, or "
                           "synthetic/stripes", architecture=True)  # fmt: skip
    styles: str = setting(None, "style images: a folder of paintings (the reference uses WikiArt) or a TFDS name",
                          architecture=True)  # fmt: skip
    backbone: str = setting("vgg19", "encoder up to relu4_1 (vgg16 for the offline weights)", architecture=True,
                            choices=("vgg19", "vgg16"))  # fmt: skip
    vgg_weights: str = setting("imagenet", "encoder weights: imagenet, or a local *_notop weights file")
    load_size: int = setting(512, "images are resized to this square before the random crops")
    epochs: int = setting(16, "epochs over the content photos (16 x 10k steps = the reference's 160k on COCO)")
    epochs_decay: int = setting(0, "(the reference decays the rate as 1 / (1 + lr_decay * step) instead)")
    batch_size: int = setting(8, "(content, style) pairs per replica per step")
    lr: float = setting(1e-4, "initial learning rate of Adam")
    lr_decay: float = setting(5e-5, "inverse-time decay per step: lr / (1 + lr_decay * step)")
    content_weight: float = setting(1.0, "weight of the content loss (decoded relu4_1 vs the AdaIN target)")
    style_weight: float = setting(10.0, "weight of the style loss (means and stds at relu1_1 ... relu4_1)")


@keras.saving.register_keras_serializable(package="tfstyle")
class AdaIN(FeedForwardStylizer):
    """Arbitrary style transfer: a frozen VGG encoder to relu4_1, AdaIN, and a trained decoder.

    Reference: Huang & Belongie, "Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization",
    ICCV 2017, and naoto0804/pytorch-AdaIN: content loss between the decoded image's relu4_1 and the AdaIN output,
    style loss on channel means and standard deviations at relu1_1, relu2_1, relu3_1 and relu4_1 (weight 10),
    Adam(1e-4) with inverse-time decay 5e-5, batches of 8 (content, style) crops of 256 from 512×512 images.

    The networks it exports: `style_network` (style image -> style vector of 1024 numbers: relu4_1 channel means,
    then stds), `transfer_network` (content image + style vector -> image) and `adain` (content + style image).

    Args:
        backbone: "vgg19" (paper) or "vgg16". Defaults to "vgg19".
        vgg_weights: encoder weights: "imagenet", a local notop weights file, or None (tests). Defaults to "imagenet".
    """

    kind_name = "adain"
    description = "arbitrary style transfer with adaptive instance normalisation (Huang & Belongie 2017)"
    Settings = AdaINSettings

    def __init__(self, backbone="vgg19", vgg_weights="imagenet", **kwargs):
        super().__init__(**kwargs)
        self.config = {"backbone": backbone, "vgg_weights": vgg_weights}
        self.encoder = FeatureExtractor(LAYERS, backbone, vgg_weights, "max", "vgg_weights").functional()
        self.decoder = self.trained = adain_decoder()
        self.style_network, self.transfer_network, self.transfer = self._inference_networks()

    def _inference_networks(self):
        """The three exported networks, all [-1, 1] images in and out; each a flat graph around the shared encoder
        and decoder (so each saves and converts on its own)."""

        def relu4_1(image, name):
            return self.encoder(keras.layers.Rescaling(0.5, 0.5, name=f"{name}_to_unit")(image))[-1]

        def decode(features, vector):
            decoded = self.decoder(AdaptiveInstanceNormalization(name="adain")([features, vector]))
            return keras.layers.Rescaling(2.0, -1.0, dtype="float32", name="to_model_range")(decoded)

        image, style = keras.Input((None, None, 3), name="image"), keras.Input((None, None, 3), name="style")
        content_features = relu4_1(image, "image")
        style_network = keras.Model(style, FeatureStatistics(name="style_vector")(relu4_1(style, "style")),
                                    name="style_network")  # fmt: skip
        vector = keras.Input((2 * content_features.shape[-1],), name="style_vector")
        transfer_network = keras.Model([image, vector], decode(content_features, vector), name="transfer_network")
        both = FeatureStatistics(name="style_vector")(relu4_1(style, "style"))
        transfer = keras.Model([image, style], decode(content_features, both), name="adain")
        return style_network, transfer_network, transfer

    def compile(self, content_weight=1.0, style_weight=10.0, optimizer=None, learning_rate=1e-4, **kwargs):
        """Configures training (defaults: the reference's; `learning_rate` may be a schedule)."""
        self.loss_weights_ = {"content": float(content_weight), "style": float(style_weight)}
        self.configure_training(optimizer, learning_rate, ("content", "style"), **kwargs)

    def call(self, inputs, training=False):
        return self.transfer(inputs, training=training)

    def _unit_features(self, images_unit):
        return [tf.cast(f, tf.float32) for f in self.encoder(images_unit)]

    def _loss_terms(self, data, training):
        content, style = data
        content_relu4_1 = self._unit_features((content + 1.0) / 2.0)[-1]
        style_feats = self._unit_features((style + 1.0) / 2.0)
        target = adain(content_relu4_1, style_vector(style_feats[-1]))
        decoded = self.decoder(target, training=training)
        out_feats = self._unit_features(decoded)
        content_loss = tf.reduce_mean(tf.square(out_feats[-1] - target))
        style_loss = tf.add_n([_statistics_loss(o, s) for o, s in zip(out_feats, style_feats)])
        loss = self.loss_weights_["content"] * content_loss + self.loss_weights_["style"] * style_loss
        return {"loss": loss, "content": content_loss, "style": style_loss}

    def networks(self):
        return {"decoder": self.decoder}

    def generators(self):
        return {"adain": self.transfer, "style_network": self.style_network, "transfer_network": self.transfer_network}

    def sample_rows(self, batch):
        content, style = batch
        return image_grid([content, style, self.transfer([content, style], training=False)])

    # ---- the run-level declaration (tfstyle.train / tfstyle.Run) ----
    @classmethod
    def from_settings(cls, s, steps_per_epoch):
        if not s.styles:
            raise TfstyleError("adain needs style images: pass styles=FOLDER (CLI: --styles FOLDER).")
        model = cls(backbone=s.backbone, vgg_weights=s.vgg_weights)
        schedule = keras.optimizers.schedules.InverseTimeDecay(s.lr, decay_steps=1, decay_rate=s.lr_decay)
        model.compile(content_weight=s.content_weight, style_weight=s.style_weight, learning_rate=schedule,
                      jit_compile=s.jit_compile)  # fmt: skip
        return model

    @classmethod
    def training_data(cls, s, split, batch_size, shuffle=None, cache=True, **augmentation):
        """(content, style) batches: every content photo once per epoch, the paintings repeated alongside."""
        options = dict(image_size=s.image_size, batch_size=batch_size, shuffle=shuffle, cache=cache,
                       data_dir=s.data_dir, count=s.count, random_crop_from=s.load_size if augmentation.get(
                           "jitter", True) else None)  # fmt: skip
        content = load_images(s.dataset, split, seed=s.seed, **options)
        styles = load_images(s.styles, "train", seed=s.seed + 1, repeat=True, **options)
        return tf.data.Dataset.zip(content, styles)

    @classmethod
    def directions(cls, config):
        return {"stylize": "adain", "style": "style_network", "transfer": "transfer_network"}

    @classmethod
    def export_plan(cls, config, direction=None):
        """The split an app wants (the style network runs once per painting, the transfer network per photo) and the
        single two-input file; or only the network for `direction`. The style network's output is a vector of
        feature statistics whose int8 activations lose detail (measured: 18.8 dB), and it runs once per painting,
        so it is written with float activations only (fp32, fp16, dynamic-range int8 weights)."""
        float_only = ("fp32", "fp16", "dynamic")
        plan = [("adain", "stylize", None), ("style_network", "style", float_only), ("transfer_network", "transfer", None)]
        return [p for p in plan if direction in (None, p[1])]

    @classmethod
    def export_examples(cls, config, source, size, count, direction, generator):
        """Photos from `source` (the content images) paired with the run's paintings, in turn."""
        photos = cls.calibration_images(config, source, size, count, direction)
        paintings = image_examples(config["styles"], size, count)
        styles = paintings[np.arange(len(photos)) % len(paintings)]
        if direction == "style":
            return {"style": styles}
        if direction == "transfer":
            return {"image": photos, "style_vector": np.asarray(generator("style")(styles, training=False))}
        return {"image": photos, "style": styles}

    @classmethod
    def dataset_inputs(cls, config, source, size, count, direction):
        return image_examples(source, size, count)

    @classmethod
    def translate_with(cls, generator, images, style=None, alpha=1.0, style_weights=None, preserve_color=False):
        """Stylises uint8 images of any size with one or more uint8 style images (see `stylize_arbitrary`)."""
        return stylize_arbitrary(generator, images, style, alpha, style_weights, preserve_color)

    @classmethod
    def score(cls, generators, config, dataset, split, batch_size, max_images, inception):
        """Style and content distances of held-out photos stylised with each style image of the run."""
        judge = StyleJudge(config["vgg_weights"], config["backbone"])
        photos = load_images(dataset, split, config["image_size"], 1, shuffle=False, cache=False)
        paintings = [np.asarray((x[0] + 1.0) * 127.5, np.uint8) for x in
                     load_images(config["styles"], "train", config["image_size"], 1, shuffle=False, cache=False)]  # fmt: skip
        totals, columns = {"style_distance": [], "photo_style_distance": [], "content_distance": []}, []
        for i, x in enumerate(photos.take(max_images) if max_images else photos):
            photo, painting = np.asarray((x[0] + 1.0) * 127.5, np.uint8), paintings[i % len(paintings)]
            out = stylize_arbitrary(generators["adain"], photo, painting)
            totals["style_distance"].append(judge.style_distance(out, painting))
            totals["photo_style_distance"].append(judge.style_distance(photo, painting))
            totals["content_distance"].append(judge.content_distance(out, photo))
            columns.append([photo[None], painting[None], out[None]])
        results = {name: float(np.mean(values)) for name, values in totals.items()}
        results["style_cut"] = results["photo_style_distance"] / results["style_distance"]
        return results, columns


def stylize_arbitrary(transfer, images, style, alpha=1.0, style_weights=None, preserve_color=False):
    """Stylises uint8 content image(s) of any size with a trained AdaIN `transfer` network.

    Args:
        transfer: the run's "adain" network (content image, style image -> image) or the AdaIN model.
        images: uint8 (H, W, 3) or (N, H, W, 3).
        style: a uint8 style image, or a list of them to interpolate.
        alpha: content-style trade-off: 0 keeps the content's own statistics, 1 the style's. Defaults to 1.
        style_weights: interpolation weights of several styles (normalised). Defaults to equal.
        preserve_color: first give each style image the content's colour statistics (the paper's §7.3). Defaults
            to False.

    Returns:
        uint8 images like `images`.
    """
    style_network, transfer_network = _split(transfer)
    styles = style if isinstance(style, (list, tuple)) else [style]
    weights = np.asarray(style_weights if style_weights is not None else [1.0] * len(styles), np.float32)
    weights = weights / weights.sum()
    single = np.asarray(images).ndim == 3
    batch = np.asarray(images)[None] if single else np.asarray(images)
    outputs = []
    for image in batch:
        paintings = [color.match_color(p / 255.0, image / 255.0) * 255.0 if preserve_color else p for p in styles]
        vectors = [style_network(np.asarray(p, np.float32)[None] / 127.5 - 1.0, training=False) for p in paintings]
        vector = sum(w * v for w, v in zip(weights, vectors))
        if alpha != 1.0:  # AdaIN is linear in the vector: blending with the content's own vector is the α blend
            vector = alpha * vector + (1.0 - alpha) * style_network(image[None] / 127.5 - 1.0, training=False)
        net = _VectorBound(transfer_network, vector)
        outputs.append(translate_images(net, image))
    return outputs[0] if single else np.stack(outputs)


class _VectorBound(keras.Model):
    """transfer_network with the style vector fixed, so `translate_images` pads and crops the content alone."""

    def __init__(self, transfer_network, vector):
        super().__init__()
        self.transfer_network, self.vector = transfer_network, tf.constant(vector)

    def call(self, images, training=False):
        vectors = tf.repeat(self.vector, tf.shape(images)[0], axis=0)
        return self.transfer_network([images, vectors], training=training)


def _split(transfer):
    """(style network, transfer network) of an AdaIN model or of its saved two-input "adain" network, rebuilt from
    the latter's encoder and decoder."""
    if isinstance(transfer, AdaIN):
        return transfer.style_network, transfer.transfer_network
    encoder, decoder = transfer.get_layer("vgg_encoder"), transfer.get_layer("adain_decoder")
    image = keras.Input((None, None, 3), name="image")
    relu4_1 = encoder(keras.layers.Rescaling(0.5, 0.5)(image))[-1]
    style_network = keras.Model(image, FeatureStatistics()(relu4_1))
    vector = keras.Input((2 * relu4_1.shape[-1],))
    decoded = decoder(AdaptiveInstanceNormalization()([relu4_1, vector]))
    return style_network, keras.Model([image, vector], keras.layers.Rescaling(2.0, -1.0)(decoded))


def _statistics_loss(features, target):
    mean, std = feature_statistics(features)
    target_mean, target_std = feature_statistics(target)
    return tf.reduce_mean(tf.square(mean - target_mean)) + tf.reduce_mean(tf.square(std - target_std))

