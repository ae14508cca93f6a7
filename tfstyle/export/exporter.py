"""`export_model`: write SavedModel and TFLite artifacts, verify every one, and report.

Artifacts are built in a hidden staging folder and moved into `out` only after all of them pass
verification, so a failed or interrupted export leaves no partial `.tflite` or SavedModel behind.
A network may take several inputs (an AdaIN transfer network: an image and a style vector) and one folder may
hold several networks (`export_networks`), each verified on its own held-out examples.
"""

import json
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

from tfstyle.data.io import atomic_path
from tfstyle.errors import ExportError
from tfstyle.export import convert, metadata, report, verify
from tfstyle.export.modes import DEFAULT_MIN_PSNR


def export_model(generator, out, size=256, formats=("savedmodel", "tflite"), quantize=("fp32",), io="float32",
                 calibration=None, heldout=None, threads=(1,), runs=10, min_psnr=None, card=None, name="model",
                 qat_steps=0):  # fmt: skip
    """Exports a generator and verifies each artifact; returns the report dict (also written to disk).

    Args:
        generator: a Keras generator (float [-1, 1] images in and out; extra inputs may be vectors).
        out: output folder (e.g. `saved_models/NAME`).
        size: square input size baked into the artifacts. Defaults to 256.
        formats: any of "savedmodel", "tflite". Defaults to both.
        quantize: TFLite modes among fp32, fp16, dynamic, int8, int16x8. Defaults to ("fp32",).
        io: "float32" or "uint8" (int8 artifacts take and return uint8 pixels; networks with vector inputs or
            outputs keep float32). Defaults to "float32".
        calibration: int8/int16x8 calibration inputs: float32 [-1, 1] images (N, size, size, 3), or input name ->
            array (N, ...) for a network with several inputs.
        heldout: inputs not used for calibration, in the same form, for the fidelity checks.
        threads: LiteRT thread counts to time. Defaults to (1,).
        runs: timed runs per thread count (median reported). Defaults to 10.
        min_psnr: fidelity floor in dB for every artifact; None uses `DEFAULT_MIN_PSNR` per mode.
        card: extra model-card fields (direction, training data, metrics).
        name: file-name stem of the artifacts. Defaults to "model".
        qat_steps: when > 0, also fine-tune a quantisation-aware twin on the calibration images for this many
            steps (`tfstyle.export.qat`, needs the `qat` extra) and export it as `<name>_qat_int8.tflite`.
            Defaults to 0.

    Raises:
        ExportError: naming each artifact that fell under its PSNR floor or uses unsupported ops; nothing is
            written to `out` in that case.
    """
    return export_networks({name: (generator, calibration, heldout)}, out, size, formats, quantize, io, threads, runs,
                           min_psnr, card, qat_steps)  # fmt: skip


def export_networks(networks, out, size=256, formats=("savedmodel", "tflite"), quantize=("fp32",), io="float32",
                    threads=(1,), runs=10, min_psnr=None, card=None, qat_steps=0):  # fmt: skip
    """Exports several networks into one folder with one report: `networks` maps a name (the artifacts' file
    stem) to (generator, calibration, heldout) as `export_model` takes them, optionally with a fourth element, the
    TFLite modes that network may be written in (others are skipped and the report says so). Returns the report."""
    out = os.fspath(out)
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".tmp-export-", dir=parent)
    try:
        artifacts, described, saved, skipped = [], {}, [], []
        for name, (generator, calibration, heldout, *allowed) in networks.items():
            folder = "savedmodel" if len(networks) == 1 else f"{name}_savedmodel"
            network = _Network(name, generator, size, calibration, heldout)
            described[name] = network.describe()
            convert.write_savedmodel(generator, os.path.join(staging, folder), size)
            if "savedmodel" in formats:
                artifacts.append(network.verify_savedmodel(os.path.join(staging, folder), folder))
                saved.append(folder)
            if "tflite" in formats:
                pixels = io if network.all_images else "float32"
                for mode in quantize:
                    if allowed and mode not in allowed[0]:
                        skipped.append(f"{name}: {mode} not written (this network is exported as {', '.join(allowed[0])})")
                        continue
                    path = os.path.join(staging, f"{name}_{mode}.tflite")
                    tflite = convert.convert_tflite(os.path.join(staging, folder), mode, network.calibration, pixels)
                    convert.write_bytes(path, metadata.embed_card(tflite, network.card(mode, pixels, card)))
                    artifacts.append(network.verify_tflite(path, mode, threads, runs))
                if qat_steps:
                    artifacts.append(_qat_artifact(network, staging, qat_steps, pixels, threads, runs, card))
        failures = _failures(artifacts, min_psnr)
        warnings = report.speed_warnings(artifacts)
        if failures:
            raise ExportError("Export verification failed; nothing was written to " + out + ":\n  " + "\n  ".join(failures))
        result = {"size": size, "io": io, "threads": list(threads), "networks": described, "artifacts": artifacts,
                  "warnings": warnings + skipped}  # fmt: skip
        _publish(staging, out, artifacts, saved)
        _write_json(os.path.join(out, "report.json"), result)
        with atomic_path(os.path.join(out, "report.md")) as tmp, open(tmp, "w") as handle:
            handle.write(report.render_markdown(result))
        _write_json(os.path.join(out, "model_card.json"), report.model_card(result, card or {}))
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)


class _Network:
    """One network to export: its inputs by name, its Keras outputs on the held-out examples, its verification."""

    def __init__(self, name, generator, size, calibration, heldout):
        self.name, self.generator, self.size = name, generator, size
        self.inputs, (self.output_kind, self.output_shape) = convert.io_kinds(generator)
        self.all_images = self.output_kind == "image" and all(kind == "image" for _, kind, _ in self.inputs)
        self.calibration = self._by_name(calibration) if calibration is not None else None
        if heldout is None or len(heldout) == 0:
            raise ExportError(f"{name}: export verification needs held-out examples (heldout=...).")
        self.heldout = self._by_name(heldout)
        ordered = [self.heldout[n] for n, _, _ in self.inputs]
        self.keras_outputs = np.asarray(generator(ordered[0] if len(ordered) == 1 else ordered, training=False))
        count = len(ordered[0])
        self.examples = [{n: self.heldout[n][i] for n, _, _ in self.inputs} for i in range(count)]

    def _by_name(self, values):
        """input name -> float32 array; a plain array is the single input of a one-input network."""
        if isinstance(values, dict):
            return {n: np.asarray(values[n], np.float32) for n, _, _ in self.inputs}
        if len(self.inputs) != 1:
            raise ExportError(f"{self.name} takes {len(self.inputs)} inputs: pass examples as name -> array.")
        return {self.inputs[0][0]: np.asarray(values, np.float32)}

    def describe(self):
        return {"inputs": [{"name": n, "kind": k, "shape": [1, *shape[1:]] if k == "vector" else
                            [1, self.size, self.size, 3]} for n, k, shape in self.inputs],
                "output": {"kind": self.output_kind, "shape": [1, self.size, self.size, 3] if self.output_kind ==
                           "image" else [1, *self.output_shape[1:]]}}  # fmt: skip

    def card(self, mode, io, extra):
        """What a .tflite file says about itself (stored inside it; see `tfstyle.export.metadata`)."""
        pixels = io == "uint8" and mode in ("int8", "qat_int8")
        image = "uint8 RGB pixels 0-255" if pixels else "float32 RGB in [-1, 1] (pixel / 127.5 - 1)"
        values = lambda kind: image if kind == "image" else "float32 vector"  # noqa: E731
        described = self.describe()
        keep = ("source_model", "kind", "architecture", "direction", "training_data", "calibration_data", "qat_steps")
        return {"mode": mode, "network": self.name, "producer": "tfstyle",
                "inputs": [{**i, "value": values(i["kind"])} for i in described["inputs"]],
                "input": {**described["inputs"][0], "value": values(described["inputs"][0]["kind"])},
                "output": {**described["output"], "value": values(described["output"]["kind"])},
                **{k: v for k, v in (extra or {}).items() if k in keep}}  # fmt: skip

    def verify_savedmodel(self, path, folder):
        loaded = tf.saved_model.load(path)
        feed = {n: tf.constant(verify.to_uint8(self.heldout[n]) if kind == "image" else self.heldout[n])
                for n, kind, _ in self.inputs}  # fmt: skip
        result = next(iter(loaded.signatures["serving_default"](**feed).values())).numpy()
        float_feed = {n: tf.constant(v) for n, v in self.heldout.items()}
        float_out = next(iter(loaded.signatures[convert.FLOAT_SIGNATURE](**float_feed).values())).numpy()
        if self.output_kind == "image":
            reference = np.stack([verify.to_uint8(o) for o in self.keras_outputs])
            fidelity = {"psnr_db": round(verify.psnr(reference, result), 2),
                        "max_abs_error": int(np.abs(reference.astype(int) - result.astype(int)).max())}  # fmt: skip
        else:
            peak = float(np.abs(self.keras_outputs).max())
            fidelity = {"psnr_db": round(verify.psnr(self.keras_outputs, result, peak), 2),
                        "max_abs_error": float(np.abs(self.keras_outputs - result).max())}  # fmt: skip
        size = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(path) for f in files)
        signature = "uint8 images / float32 vectors -> uint8 image (float32 vector)"
        return {"file": folder, "network": self.name, "mode": "savedmodel", "bytes": size,
                "signatures": {"serving_default": signature, convert.FLOAT_SIGNATURE: "float32 -> float32"},
                "fidelity": {**fidelity, "float_max_abs_error": float(np.abs(float_out - self.keras_outputs).max()),
                             "images": len(self.examples)}}  # fmt: skip

    def verify_tflite(self, path, mode, threads, runs):
        op_info = verify.ops(path)
        return {
            "file": os.path.basename(path), "network": self.name, "mode": mode, **verify.sizes(path),
            "embedded_card": metadata.read_card(path),
            "latency": verify.latency(path, self.examples[0], threads, runs),
            "fidelity": verify.fidelity(path, self.examples, self.keras_outputs),
            "ops": op_info["ops"], "unsupported_ops": op_info["unsupported"], "io": verify.io_contract(path),
        }  # fmt: skip


def _qat_artifact(network, staging, steps, io, threads, runs, card):
    from tfstyle.export import qat

    if network.calibration is None or len(network.inputs) != 1:
        raise ExportError("QAT needs a one-input network and training images: pass calibration images (--calibration).")
    images = next(iter(network.calibration.values()))
    qat_model, (before, after) = qat.finetune(network.generator, images, steps)
    embedded = network.card("qat_int8", io, {**(card or {}), "qat_steps": steps})
    tflite = metadata.embed_card(qat.qat_tflite(qat_model, images, io), embedded)
    path = convert.write_bytes(os.path.join(staging, f"{network.name}_qat_int8.tflite"), tflite)
    artifact = network.verify_tflite(path, "qat_int8", threads, runs)
    artifact["qat"] = {"steps": steps, "l1_to_float_before": round(float(before), 5),
                       "l1_to_float_after": round(float(after), 5)}  # fmt: skip
    return artifact


def _failures(artifacts, min_psnr):
    failures = []
    for artifact in artifacts:
        floor = min_psnr if min_psnr is not None else DEFAULT_MIN_PSNR[artifact["mode"]]
        artifact["min_psnr_db"] = floor
        if artifact["fidelity"]["psnr_db"] < floor:
            failures.append(f"{artifact['file']}: PSNR {artifact['fidelity']['psnr_db']} dB < {floor} dB")
        if artifact.get("unsupported_ops"):
            failures.append(f"{artifact['file']}: unsupported ops {', '.join(artifact['unsupported_ops'])}")
    return failures


def _publish(staging, out, artifacts, savedmodels):
    os.makedirs(out, exist_ok=True)
    for artifact in artifacts:
        if artifact["mode"] != "savedmodel":
            os.replace(os.path.join(staging, artifact["file"]), os.path.join(out, artifact["file"]))
    for folder in savedmodels:
        convert.replace_dir(os.path.join(staging, folder), os.path.join(out, folder))


def _write_json(path, data):
    with atomic_path(path) as tmp, open(tmp, "w") as handle:
        json.dump(data, handle, indent=2, default=str)
