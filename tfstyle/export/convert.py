"""Writing artifacts: a SavedModel with uint8 and float signatures, and TFLite files per quantisation mode."""

import os
import shutil
import tempfile
import warnings

import keras
import numpy as np
import tensorflow as tf

from tfstyle.data.io import atomic_path
from tfstyle.export.modes import MODES

FLOAT_SIGNATURE = "serve_float"
# TFLite files are converted from this batch-1 signature: every tensor has a static shape, which LiteRT.js (the
# browser runtime) requires and phone apps assume ([1, S, S, 3] buffers).
TFLITE_SIGNATURE = "serve_tflite"
# The same without the output clip, for int16x8, whose quantiser has no kernel for the clip (RELU_N1_TO_1).
TFLITE_UNCLIPPED_SIGNATURE = "serve_tflite_unclipped"


def io_kinds(generator):
    """[(name, "image" or "vector", shape)] of a generator's inputs, and (kind, shape) of its output: rank-4
    tensors are RGB images (float32 [-1, 1] inside the model), rank-2 tensors are vectors (e.g. an AdaIN style)."""

    def kind(tensor):
        return "image" if len(tensor.shape) == 4 else "vector"

    inputs = [(t.name.split(":")[0], kind(t), tuple(t.shape)) for t in generator.inputs]
    output = generator.outputs[0]
    return inputs, (kind(output), tuple(output.shape))


def input_specs(generator, size, image_dtype=tf.float32, batch=None):
    """TensorSpecs of a generator's inputs with images of size×size (in `image_dtype`) and `batch` examples."""
    inputs, _ = io_kinds(generator)
    return [tf.TensorSpec([batch, size, size, 3], image_dtype, name=name) if kind == "image"
            else tf.TensorSpec([batch, shape[-1]], tf.float32, name=name) for name, kind, shape in inputs]  # fmt: skip


def write_savedmodel(generator, path, size):
    """SavedModel via Keras 3 export with two signatures (atomic: written aside, then renamed into place).

    - `serving_default`: uint8 RGB images [N, size, size, 3] (vector inputs float32) -> uint8 RGB image (or the
      float32 vector a style network returns), all pre/post-processing inside;
    - `serve_float`: float32 [-1, 1] images (and vectors) -> float32;
    - `serve_tflite`: the same with a batch of 1 and image outputs clipped to [-1, 1], what `convert_tflite`
      converts (`serve_tflite_unclipped`, without the clip, for int16x8).
    """
    inputs, (output_kind, _) = io_kinds(generator)

    def run(*tensors):
        return generator(tensors[0] if len(tensors) == 1 else list(tensors), training=False)

    def uint8_fn(*tensors):
        converted = [tf.cast(t, tf.float32) / 127.5 - 1.0 if kind == "image" else t
                     for t, (_, kind, _) in zip(tensors, inputs)]  # fmt: skip
        outputs = run(*converted)
        if output_kind == "vector":
            return outputs
        return tf.cast(tf.round(tf.clip_by_value((outputs + 1.0) * 127.5, 0.0, 255.0)), tf.uint8)

    def tflite_fn(*tensors):
        # Only [-1, 1] is a pixel: clipping here lets int8 quantise the output over that range (a step of one
        # pixel level) rather than over what an unbounded network (fast style) reaches in calibration.
        outputs = run(*tensors)
        return outputs if output_kind == "vector" else tf.clip_by_value(outputs, -1.0, 1.0)

    archive = keras.export.ExportArchive()
    archive.track(generator)
    archive.add_endpoint("serving_default", uint8_fn, input_specs(generator, size, tf.uint8))
    archive.add_endpoint(FLOAT_SIGNATURE, run, input_specs(generator, size))
    archive.add_endpoint(TFLITE_SIGNATURE, tflite_fn, input_specs(generator, size, batch=1))
    archive.add_endpoint(TFLITE_UNCLIPPED_SIGNATURE, run, input_specs(generator, size, batch=1))
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".tmp-savedmodel-", dir=parent)
    try:
        archive.write_out(os.path.join(staging, "model"), verbose=False)
        replace_dir(os.path.join(staging, "model"), path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return path


def replace_dir(source, target):
    """Moves a finished folder onto `target`, replacing an older one without a window where neither exists."""
    old = None
    if os.path.exists(target):
        old = target + ".old"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(source, target)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def convert_tflite(savedmodel, mode, calibration=None, io="float32"):
    """Converts the SavedModel's batch-1 float signature to TFLite bytes in `mode`.

    Args:
        savedmodel: folder written by `write_savedmodel`.
        mode: "fp32", "fp16" (fp16 weights), "dynamic" (int8 weights), "int8" (full integer, calibrated) or
            "int16x8" (int16 activations, int8 weights).
        calibration: the representative dataset of int8/int16x8: float32 [-1, 1] images (N, H, W, 3), or for a
            network with several inputs a dict input name -> array (N, ...).
        io: "float32", or "uint8" so an int8 model takes and returns uint8 pixels (scale 2/255, zero point
            128 ≈ pixel/127.5 − 1); other modes keep float32 I/O.
    """
    if mode not in MODES:
        raise ValueError(f'Unknown quantisation. Received: "{mode}"; expected one of {", ".join(MODES)}.')
    signature = TFLITE_UNCLIPPED_SIGNATURE if mode == "int16x8" else TFLITE_SIGNATURE
    converter = tf.lite.TFLiteConverter.from_saved_model(savedmodel, signature_keys=[signature])
    if mode != "fp32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    if mode in ("int8", "int16x8"):
        by_name = calibration if isinstance(calibration, dict) else None
        count = len(next(iter(by_name.values()))) if by_name else len(calibration if calibration is not None else [])
        if count == 0:
            raise ValueError(f"{mode} needs calibration images (a representative dataset).")
        if by_name:  # several inputs: one dict per sample, by signature input name
            converter.representative_dataset = lambda: (
                {name: values[i][None].astype(np.float32) for name, values in by_name.items()} for i in range(count)
            )
        else:
            converter.representative_dataset = lambda: ([image[None].astype(np.float32)] for image in calibration)
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8 if mode == "int8"
            else tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        ]  # fmt: skip
        if mode == "int8" and io == "uint8":
            converter.inference_input_type = tf.uint8
            converter.inference_output_type = tf.uint8
    return run_converter(converter)


def run_converter(converter):
    """`converter.convert()` without the deprecation warning TensorFlow's own int8 calibrator triggers: it runs
    `tf.lite.Interpreter` inside `convert()` and the warning asks users to migrate code they did not write
    (tfstyle runs its files with ai_edge_litert's Interpreter)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"\s*Warning: tf.lite.Interpreter is deprecated", category=UserWarning)
        return converter.convert()


def write_bytes(path, content):
    """Writes a file atomically: an interrupted export leaves no partial file."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(content)
    return path
