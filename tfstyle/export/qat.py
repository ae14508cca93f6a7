"""Quantisation-aware training (QAT) for Keras 3 generators, through a tf_keras twin.

tensorflow-model-optimization (tfmot) only rewrites tf_keras (Keras 2) models: `quantize_model` rejects Keras 3
models. The bridge:

    Keras 3 generator --to_tf_keras--> same graph in tf_keras, weights copied (checked: same outputs)
        --quantize_model (+ QuantizeConfigs for our InstanceNormalization / ReflectionPadding2D /
          BatchNormalization)--> fake-quantised twin
        --fine-tune N steps: L1 to the float generator's own outputs (distillation, no labels needed)-->
        --TFLiteConverter.from_keras_model--> int8 TFLite

Needs the `qat` extra (`pip install "tfstyle[qat]"`: tensorflow-model-optimization, tf-keras).
"""

import functools
import os
import types

import numpy as np
import tensorflow as tf

from tfstyle.errors import ExportError
from tfstyle.export.convert import run_converter


def _tfmot():
    legacy = os.environ.get("TF_USE_LEGACY_KERAS")
    try:
        import tensorflow_model_optimization as tfmot
        import tf_keras
    except ImportError as err:
        raise ExportError(f'QAT needs the qat extra ({err.name} is missing): pip install "tfstyle[qat]".') from None
    finally:  # tfmot sets TF_USE_LEGACY_KERAS=1 on import; keep it from leaking into child processes
        if legacy is None:
            os.environ.pop("TF_USE_LEGACY_KERAS", None)
        else:
            os.environ["TF_USE_LEGACY_KERAS"] = legacy
    return tfmot, tf_keras


@functools.cache
def _classes():
    """tf_keras twins of tfstyle's own layers (same maths as `tfstyle.models.layers`) and the QuantizeConfigs
    for layers tfmot's default 8-bit scheme does not cover (they quantise the layer's output only)."""
    tfmot, tf_keras = _tfmot()
    quantizers = tfmot.quantization.keras.quantizers

    class InstanceNormalization(tf_keras.layers.Layer):
        def __init__(self, epsilon=1e-5, **kwargs):
            super().__init__(**kwargs)
            self.epsilon = epsilon

        def call(self, x):
            centered = x - tf.reduce_mean(x, axis=[1, 2], keepdims=True)
            return centered * tf.math.rsqrt(tf.reduce_mean(tf.square(centered), axis=[1, 2], keepdims=True) + self.epsilon)

        def get_config(self):
            return {**super().get_config(), "epsilon": self.epsilon}

    class ReflectionPadding2D(tf_keras.layers.Layer):
        def __init__(self, padding=1, **kwargs):
            super().__init__(**kwargs)
            self.padding = padding

        def call(self, x):
            p = self.padding
            return tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")

        def get_config(self):
            return {**super().get_config(), "padding": self.padding}

    class OutputQuantizeConfig(tfmot.quantization.keras.QuantizeConfig):
        def get_weights_and_quantizers(self, layer):
            return []

        def get_activations_and_quantizers(self, layer):
            return []

        def set_quantize_weights(self, layer, quantize_weights):
            pass

        def set_quantize_activations(self, layer, quantize_activations):
            pass

        def get_output_quantizers(self, layer):
            return [quantizers.MovingAverageQuantizer(num_bits=8, per_axis=False, symmetric=False, narrow_range=False)]

        def get_config(self):
            return {}

    class NoOpQuantizeConfig(OutputQuantizeConfig):  # padding only moves values: the input's range holds
        def get_output_quantizers(self, layer):
            return []

    return types.SimpleNamespace(
        InstanceNormalization=InstanceNormalization, ReflectionPadding2D=ReflectionPadding2D,
        OutputQuantizeConfig=OutputQuantizeConfig, NoOpQuantizeConfig=NoOpQuantizeConfig,
        configs={"InstanceNormalization": OutputQuantizeConfig, "ReflectionPadding2D": NoOpQuantizeConfig,
                 "BatchNormalization": OutputQuantizeConfig},
    )  # fmt: skip


def to_tf_keras(model, annotate=False, input_shape=None):
    """Rebuilds a Keras 3 functional generator as a tf_keras functional model with the same weights.

    Each layer is recreated from its attributes (not its config: the two Keras versions serialise
    differently) and wired as in the original graph; `Identity` layers (norm="none") are dropped.

    Args:
        model: a functional Keras 3 model built from standard layers and `tfstyle.models` layers.
        annotate: wrap every layer for QAT (`quantize_annotate_layer`, with our QuantizeConfigs where tfmot's
            default scheme has none). Defaults to False.
        input_shape: (H, W, C) of the twin's input, e.g. the export size. Defaults to the model's.

    Raises:
        ExportError: the model holds a layer the bridge does not know (named in the message).
    """
    tfmot, tf_keras = _tfmot()
    twins, L = _classes(), tf_keras.layers
    makers = {
        "Conv2D": lambda l: L.Conv2D(l.filters, l.kernel_size, l.strides, l.padding, use_bias=l.use_bias),
        "Conv2DTranspose": lambda l: L.Conv2DTranspose(l.filters, l.kernel_size, l.strides, l.padding,
                                                       use_bias=l.use_bias),  # fmt: skip
        "BatchNormalization": lambda l: L.BatchNormalization(momentum=l.momentum, epsilon=l.epsilon, center=l.center,
                                                             scale=l.scale),  # fmt: skip
        "InstanceNormalization": lambda l: None if l.center or l.scale else twins.InstanceNormalization(l.epsilon),
        "ReflectionPadding2D": lambda l: twins.ReflectionPadding2D(l.padding),
        "ZeroPadding2D": lambda l: L.ZeroPadding2D(l.padding),
        "Cropping2D": lambda l: L.Cropping2D(l.cropping),
        "ReLU": lambda l: L.ReLU(),
        "LeakyReLU": lambda l: L.LeakyReLU(l.negative_slope),
        "Dropout": lambda l: L.Dropout(l.rate),
        "Concatenate": lambda l: L.Concatenate(l.axis),
        "Add": lambda l: L.Add(),
        "Activation": lambda l: L.Activation(l.activation.__name__),
    }  # fmt: skip
    tensors, inputs = {}, []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            inputs.append(tf_keras.Input(input_shape or layer.output.shape[1:], name=layer.name))
            tensors[id(layer.output)] = inputs[-1]
            continue
        inbound = layer.input if isinstance(layer.input, (list, tuple)) else [layer.input]
        sources = [tensors[id(t)] for t in inbound]
        if kind == "Identity":
            tensors[id(layer.output)] = sources[0]
            continue
        twin = makers[kind](layer) if kind in makers else None
        if twin is None:
            raise ExportError(f"QAT: layer {layer.name} ({kind}) has no tf_keras twin; export without QAT.")
        twin._name = layer.name
        wrapped = twin
        if annotate:
            config = twins.configs.get(kind)
            wrapped = tfmot.quantization.keras.quantize_annotate_layer(twin, config() if config else None)
        tensors[id(layer.output)] = wrapped(sources if len(sources) > 1 else sources[0])
        if layer.weights:
            twin.set_weights(layer.get_weights())
    return tf_keras.Model(inputs, tensors[id(model.outputs[0])], name=model.name)


def quantization_aware(model, input_shape=None):
    """The tf_keras twin of a Keras 3 generator with fake quantisation inserted (tfmot default 8-bit scheme)."""
    tfmot, _ = _tfmot()
    twins = _classes()
    scope = {cls.__name__: cls for cls in (twins.InstanceNormalization, twins.ReflectionPadding2D,
                                           twins.OutputQuantizeConfig, twins.NoOpQuantizeConfig)}  # fmt: skip
    with tfmot.quantization.keras.quantize_scope(scope):
        return tfmot.quantization.keras.quantize_apply(to_tf_keras(model, annotate=True, input_shape=input_shape))


def finetune(generator, images, steps=100, batch_size=4, learning_rate=1e-5, seed=0, progress=True):
    """QAT fine-tuning by distillation: the fake-quantised twin learns to reproduce the float generator.

    Args:
        generator: the trained Keras 3 generator (float [-1, 1] in and out).
        images: float32 [-1, 1] images (N, H, W, 3), e.g. the calibration set.
        steps: optimisation steps. Defaults to 100.
        batch_size: images per step. Defaults to 4.
        learning_rate: Adam learning rate (small: the weights are already trained). Defaults to 1e-5.
        seed: shuffling seed. Defaults to 0.
        progress: show a progress bar. Defaults to True.

    Returns:
        (qat_model, (before, after)): the fine-tuned tf_keras QAT model and its mean L1 distance to the float
        generator's outputs on `images` before and after fine-tuning.
    """
    _, tf_keras = _tfmot()
    images = np.asarray(images, np.float32)
    targets = np.concatenate([np.asarray(generator(images[i : i + 8], training=False)) for i in range(0, len(images), 8)])
    qat_model = quantization_aware(generator, images.shape[1:])
    qat_model.compile(optimizer=tf_keras.optimizers.Adam(learning_rate), loss="mae")
    data = (tf.data.Dataset.from_tensor_slices((images, targets)).shuffle(len(images), seed=seed).repeat()
            .batch(min(batch_size, len(images))))  # fmt: skip
    before = qat_model.evaluate(images, targets, batch_size=8, verbose=0)
    if steps:
        qat_model.fit(data, steps_per_epoch=steps, epochs=1, verbose=1 if progress else 0, shuffle=False)
    return qat_model, (before, qat_model.evaluate(images, targets, batch_size=8, verbose=0))


def qat_tflite(qat_model, calibration, io="float32"):
    """Converts a QAT model to full-integer int8 TFLite bytes (`io="uint8"`: uint8 pixels in and out).

    The fake-quant nodes fix most ranges; `calibration` images (float32 [-1, 1]) fill in those of ops tfmot
    leaves in float (e.g. inside instance norm), so no float op or DEQUANTIZE remains in the file.
    """
    converter = tf.lite.TFLiteConverter.from_keras_model(qat_model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([image[None].astype(np.float32)] for image in calibration)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if io == "uint8":
        converter.inference_input_type = tf.uint8
        converter.inference_output_type = tf.uint8
    return run_converter(converter)
