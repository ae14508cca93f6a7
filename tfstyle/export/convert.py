"""Writing artifacts: a SavedModel with uint8 and float signatures, and TFLite files per quantisation mode."""

import os
import shutil
import tempfile

import keras
import numpy as np
import tensorflow as tf

from tfstyle.data.io import atomic_path

MODES = ("fp32", "fp16", "dynamic", "int8", "int16x8")
FLOAT_SIGNATURE = "serve_float"


def write_savedmodel(generator, path, size):
    """SavedModel via Keras 3 export with two signatures (atomic: written aside, then renamed into place).

    - `serving_default`: uint8 RGB [N, size, size, 3] -> uint8 RGB (all pre/post-processing inside);
    - `serve_float`: float32 [-1, 1] -> float32 [-1, 1].
    """

    def float_fn(images):
        return generator(images, training=False)

    def uint8_fn(images):
        outputs = generator(tf.cast(images, tf.float32) / 127.5 - 1.0, training=False)
        return tf.cast(tf.round(tf.clip_by_value((outputs + 1.0) * 127.5, 0.0, 255.0)), tf.uint8)

    archive = keras.export.ExportArchive()
    archive.track(generator)
    archive.add_endpoint("serving_default", uint8_fn, [tf.TensorSpec([None, size, size, 3], tf.uint8, name="image")])
    archive.add_endpoint(FLOAT_SIGNATURE, float_fn, [tf.TensorSpec([None, size, size, 3], tf.float32, name="image")])
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
    """Converts the SavedModel's float signature to TFLite bytes in `mode`.

    Args:
        savedmodel: folder written by `write_savedmodel`.
        mode: "fp32", "fp16" (fp16 weights), "dynamic" (int8 weights), "int8" (full integer, calibrated) or
            "int16x8" (int16 activations, int8 weights).
        calibration: float32 [-1, 1] images (N, H, W, 3) for the representative dataset of int8/int16x8.
        io: "float32", or "uint8" so an int8 model takes and returns uint8 pixels (scale 2/255, zero point
            128 ≈ pixel/127.5 − 1); other modes keep float32 I/O.
    """
    if mode not in MODES:
        raise ValueError(f'Unknown quantisation. Received: "{mode}"; expected one of {", ".join(MODES)}.')
    converter = tf.lite.TFLiteConverter.from_saved_model(savedmodel, signature_keys=[FLOAT_SIGNATURE])
    if mode != "fp32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    if mode in ("int8", "int16x8"):
        if calibration is None or len(calibration) == 0:
            raise ValueError(f"{mode} needs calibration images (a representative dataset).")
        converter.representative_dataset = lambda: ([image[None].astype(np.float32)] for image in calibration)
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8 if mode == "int8"
            else tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        ]  # fmt: skip
        if mode == "int8" and io == "uint8":
            converter.inference_input_type = tf.uint8
            converter.inference_output_type = tf.uint8
    return converter.convert()


def write_bytes(path, content):
    """Writes a file atomically: an interrupted export leaves no partial file."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(content)
    return path
