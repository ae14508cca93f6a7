"""VGG feature extractors for style transfer, over `keras.applications` (no classifier head)."""

import keras

from tfstyle.models.conv import Conv2D
from tfstyle.models.pooling import MaxPooling2D
from tfstyle.models.pretrained import load_application

BACKBONES = {
    "vgg19": (keras.applications.VGG19, keras.applications.vgg19.preprocess_input,
              "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    "vgg16": (keras.applications.VGG16, keras.applications.vgg16.preprocess_input,
              "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    # a second feature space for hybrid style losses (layers "mixed0".."mixed10"; images of at least 75 px)
    "inceptionv3": (keras.applications.InceptionV3, keras.applications.inception_v3.preprocess_input,
                    "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"),
}  # fmt: skip
POOLINGS = ("max", "avg")


def vgg_backbone(backbone="vgg19", weights="imagenet", pooling="max", option="weights"):
    """Builds a VGG-16/19 (or InceptionV3) convolutional base from `keras.applications` (include_top=False).

    Reference: Simonyan & Zisserman 2015; Gatys et al. 2016 replace max pooling by average pooling.

    Args:
        backbone: "vgg19" or "vgg16". Defaults to "vgg19".
        weights: "imagenet" (downloaded and cached by Keras on first use), a path to a local weights file in
            the keras.applications layout (`*_notop.h5` or a `.weights.h5` saved from this model), or None
            (random init). Defaults to "imagenet".
        pooling: "max" (as trained) or "avg" (the paper's choice; VGG only). Defaults to "max".
        option: how the caller's users pass a weights file, quoted in the offline error. Defaults to "weights".

    Returns:
        A functional `keras.Model` with layers named as keras.applications (`block4_conv2`, ...).

    Raises:
        WeightsError: when ImageNet weights cannot be downloaded (offline) or a weights file does not load.
    """
    if backbone not in BACKBONES:
        choices = ", ".join(f'"{name}"' for name in BACKBONES)
        raise ValueError(f'Unknown backbone. Received: backbone="{backbone}"; expected one of {choices}.')
    if pooling not in POOLINGS:
        raise ValueError(f'Unknown pooling. Received: pooling="{pooling}"; expected "max" or "avg".')
    if pooling == "avg" and not backbone.startswith("vgg"):
        raise ValueError(f'pooling="avg" rebuilds VGG only. Received: backbone="{backbone}"; use pooling="max".')
    builder, _, filename = BACKBONES[backbone]
    model = load_application(builder, weights, filename, option=option, input_shape=(None, None, 3))
    return _rebuilt(model, pooling) if backbone.startswith("vgg") else model


def _rebuilt(model, pooling):
    """The same VGG (copied layers and weights) with `tfstyle.models.Conv2D` convolutions, whose input gradients
    run as forward convolutions on CPUs without oneDNN, and `tfstyle.models.MaxPooling2D` pools, whose gradients
    skip TensorFlow's slow MaxPoolGrad there (average pooling instead of max when asked)."""
    x = inputs = keras.Input((None, None, 3), name="image")
    for layer in model.layers[1:]:
        if isinstance(layer, keras.layers.MaxPooling2D) and pooling == "avg":
            x = keras.layers.AveragePooling2D(layer.pool_size, layer.strides, name=layer.name)(x)
            continue
        if isinstance(layer, keras.layers.Conv2D):
            copy = Conv2D.from_config({**layer.get_config(), "forward_gradients": "always"})
        elif isinstance(layer, keras.layers.MaxPooling2D):
            copy = MaxPooling2D.from_config(layer.get_config())
        else:
            copy = layer.__class__.from_config(layer.get_config())
        x = copy(x)
        copy.set_weights(layer.get_weights())
    rebuilt = keras.Model(inputs, x, name=model.name if pooling == "max" else f"{model.name}_avgpool")
    rebuilt.trainable = False
    return rebuilt


def preprocess_fn(backbone="vgg19"):
    """The backbone's `preprocess_input` (caffe mode: RGB→BGR, ImageNet mean subtracted, 0–255 input)."""
    return BACKBONES[backbone][1]


@keras.saving.register_keras_serializable(package="tfstyle")
class CaffePreprocessing(keras.layers.Layer):
    """VGG's input convention as a layer: RGB in [0, 1] -> BGR pixels 0-255 minus the ImageNet mean (what
    `keras.applications.vgg19.preprocess_input` does), so an exported network carries it."""

    MEAN_BGR = (103.939, 116.779, 123.68)

    def call(self, images):
        bgr = keras.ops.flip(keras.ops.cast(images, self.compute_dtype) * 255.0, axis=-1)
        return bgr - keras.ops.convert_to_tensor(self.MEAN_BGR, dtype=self.compute_dtype)


class FeatureExtractor:
    """Maps an RGB image in [0, 1] to {layer name: feature map} for the requested layers."""

    def __init__(self, layers, backbone="vgg19", weights="imagenet", pooling="max", option="weights"):
        base = vgg_backbone(backbone, weights, pooling, option)
        missing = [name for name in layers if name not in {l.name for l in base.layers}]
        if missing:
            example = "mixed2" if backbone == "inceptionv3" else "block4_conv2"
            raise ValueError(f"Unknown {backbone} layers: {', '.join(missing)}. Use names like '{example}'.")
        self.layers = list(dict.fromkeys(layers))
        self.base = base
        self.model = keras.Model(base.input, {name: base.get_layer(name).output for name in self.layers})
        self.preprocess = preprocess_fn(backbone)

    def __call__(self, image_unit):
        return self.model(self.preprocess(image_unit * 255.0))

    def subset(self, layers):
        """An extractor of fewer layers over the same VGG (shared weights), which stops at the deepest of them:
        cheaper when only shallow features are needed (FastStyle's content targets stop at relu2_2)."""
        subset = object.__new__(FeatureExtractor)
        subset.layers, subset.base, subset.preprocess = list(dict.fromkeys(layers)), self.base, self.preprocess
        subset.model = keras.Model(self.base.input, {name: self.base.get_layer(name).output for name in subset.layers})
        return subset

    def functional(self, name="vgg_encoder"):
        """The extractor as one flat functional Keras model (VGG backbones): RGB in [0, 1] -> [features, in `layers`
        order], with the preprocessing inside and the VGG layers up to the deepest one requested, for networks
        that are saved (`.keras`) and exported whole."""
        inputs = keras.Input((None, None, 3), name="image_unit")
        x, outputs = CaffePreprocessing(name="caffe_preprocessing")(inputs), {}
        for layer in self.base.layers[1:]:
            x = outputs[layer.name] = layer(x)
            if all(n in outputs for n in self.layers):
                break
        return keras.Model(inputs, [outputs[n] for n in self.layers], name=name)
