"""`export_model`: write SavedModel and TFLite artifacts, verify every one, and report.

Artifacts are built in a hidden staging folder and moved into `out` only after all of them pass
verification, so a failed or interrupted export leaves no partial `.tflite` or SavedModel behind.
"""

import json
import logging
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

from tfstyle.data.io import atomic_path
from tfstyle.errors import ExportError
from tfstyle.export import convert, metadata, verify

log = logging.getLogger("tfstyle")

# Documented per-mode fidelity floors (PSNR in dB of uint8 outputs vs the Keras model), used when
# `min_psnr` is not given: fp32/fp16 must be near-exact, weight-only and integer modes may lose a little.
DEFAULT_MIN_PSNR = {"savedmodel": 45.0, "fp32": 40.0, "fp16": 35.0, "dynamic": 30.0, "int8": 22.0, "int16x8": 30.0,
                    "qat_int8": 22.0}


def export_model(generator, out, size=256, formats=("savedmodel", "tflite"), quantize=("fp32",), io="float32",
                 calibration=None, heldout=None, threads=(1,), runs=10, min_psnr=None, card=None, name="model", qat_steps=0):  # fmt: skip
    """Exports a generator and verifies each artifact; returns the report dict (also written to disk).

    Args:
        generator: a Keras generator (float [-1, 1] in and out).
        out: output folder (e.g. `saved_models/NAME`).
        size: square input size baked into the artifacts. Defaults to 256.
        formats: any of "savedmodel", "tflite". Defaults to both.
        quantize: TFLite modes among fp32, fp16, dynamic, int8, int16x8. Defaults to ("fp32",).
        io: "float32" or "uint8" (int8 artifacts take and return uint8 pixels). Defaults to "float32".
        calibration: float32 [-1, 1] images (N, size, size, 3) for int8/int16x8 calibration.
        heldout: float32 [-1, 1] images, not used for calibration, for fidelity checks.
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
    if heldout is None or len(heldout) == 0:
        raise ExportError("Export verification needs held-out images (heldout=...).")
    heldout = np.asarray(heldout, np.float32)
    keras_outputs = np.asarray(generator(tf.constant(heldout), training=False))
    out = os.fspath(out)
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".tmp-export-", dir=parent)
    try:
        savedmodel = os.path.join(staging, "savedmodel")
        convert.write_savedmodel(generator, savedmodel, size)
        artifacts, failures = [], []
        if "savedmodel" in formats:
            artifacts.append(_verify_savedmodel(savedmodel, heldout, keras_outputs))
        if "tflite" in formats:
            for mode in quantize:
                path = os.path.join(staging, f"{name}_{mode}.tflite")
                tflite = convert.convert_tflite(savedmodel, mode, calibration, io)
                convert.write_bytes(path, metadata.embed_card(tflite, _embedded_card(mode, size, io, card)))
                artifacts.append(_verify_tflite(path, mode, heldout, keras_outputs, threads, runs))
            if qat_steps:
                artifacts.append(_qat_artifact(generator, staging, name, calibration, qat_steps, io, heldout,
                                               keras_outputs, threads, runs, card))  # fmt: skip
        for artifact in artifacts:
            floor = min_psnr if min_psnr is not None else DEFAULT_MIN_PSNR[artifact["mode"]]
            artifact["min_psnr_db"] = floor
            if artifact["fidelity"]["psnr_db"] < floor:
                failures.append(f"{artifact['file']}: PSNR {artifact['fidelity']['psnr_db']} dB < {floor} dB")
            if artifact.get("unsupported_ops"):
                failures.append(f"{artifact['file']}: unsupported ops {', '.join(artifact['unsupported_ops'])}")
        warnings = _speed_warnings(artifacts)
        if failures:
            raise ExportError("Export verification failed; nothing was written to " + out + ":\n  " + "\n  ".join(failures))
        report = {"size": size, "io": io, "threads": list(threads), "artifacts": artifacts, "warnings": warnings}
        _publish(staging, out, artifacts, "savedmodel" in formats)
        _write_json(os.path.join(out, "report.json"), report)
        with atomic_path(os.path.join(out, "report.md")) as tmp, open(tmp, "w") as handle:
            handle.write(render_markdown(report))
        _write_json(os.path.join(out, "model_card.json"), _model_card(report, card or {}))
        return report
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _verify_savedmodel(path, heldout, keras_outputs):
    loaded = tf.saved_model.load(path)
    pixels = verify.to_uint8(heldout)
    outputs = loaded.signatures["serving_default"](image=tf.constant(pixels))
    result = next(iter(outputs.values())).numpy()
    reference = np.stack([verify.to_uint8(o) for o in keras_outputs])
    float_out = next(iter(loaded.signatures[convert.FLOAT_SIGNATURE](image=tf.constant(heldout)).values())).numpy()
    size = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(path) for f in files)
    return {
        "file": "savedmodel", "mode": "savedmodel", "bytes": size,
        "signatures": {"serving_default": "uint8 [N,H,W,3] -> uint8", convert.FLOAT_SIGNATURE: "float32 [-1,1] -> float32"},
        "fidelity": {"psnr_db": round(verify.psnr(reference, result), 2),
                     "max_abs_error": int(np.abs(reference.astype(int) - result.astype(int)).max()),
                     "float_max_abs_error": float(np.abs(float_out - keras_outputs).max()), "images": len(heldout)},
    }  # fmt: skip


def _embedded_card(mode, size, io, card):
    """What a .tflite file says about itself (stored inside it; see `tfstyle.export.metadata`)."""
    pixels = io == "uint8" and mode in ("int8", "qat_int8")
    value = "uint8 RGB pixels 0-255" if pixels else "float32 RGB in [-1, 1] (pixel / 127.5 - 1)"
    keep = ("source_model", "architecture", "direction", "training_data", "calibration_data", "qat_steps")
    return {"mode": mode, "input": {"shape": [1, size, size, 3], "value": value},
            "output": {"shape": [1, size, size, 3], "value": value}, "producer": "tfstyle",
            **{k: v for k, v in (card or {}).items() if k in keep}}  # fmt: skip


def _verify_tflite(path, mode, heldout, keras_outputs, threads, runs):
    op_info = verify.ops(path)
    return {
        "file": os.path.basename(path), "mode": mode, **verify.sizes(path),
        "embedded_card": metadata.read_card(path),
        "latency": verify.latency(path, heldout[0], threads, runs),
        "fidelity": verify.fidelity(path, heldout, keras_outputs),
        "ops": op_info["ops"], "unsupported_ops": op_info["unsupported"], "io": verify.io_contract(path),
    }  # fmt: skip


def _qat_artifact(generator, staging, name, calibration, steps, io, heldout, keras_outputs, threads, runs, card):
    from tfstyle.export import qat

    if calibration is None or len(calibration) == 0:
        raise ExportError("QAT needs training images: pass calibration images (--calibration).")
    qat_model, (before, after) = qat.finetune(generator, calibration, steps)
    card = _embedded_card("qat_int8", calibration.shape[1], io, {**(card or {}), "qat_steps": steps})
    tflite = metadata.embed_card(qat.qat_tflite(qat_model, calibration, io), card)
    path = convert.write_bytes(os.path.join(staging, f"{name}_qat_int8.tflite"), tflite)
    artifact = _verify_tflite(path, "qat_int8", heldout, keras_outputs, threads, runs)
    artifact["qat"] = {"steps": steps, "l1_to_float_before": round(float(before), 5),
                       "l1_to_float_after": round(float(after), 5)}  # fmt: skip
    return artifact


def _speed_warnings(artifacts):
    tflite = {a["mode"]: a for a in artifacts if a["mode"] != "savedmodel"}
    if "fp32" not in tflite:
        return []
    base = tflite["fp32"]["latency"]
    warnings = []
    for mode, artifact in tflite.items():
        for threads, timing in artifact["latency"].items():
            ratio = timing["median_ms"] / max(base[threads]["median_ms"], 1e-6)
            if mode != "fp32" and ratio > 1.0:
                message = (f"!!! {artifact['file']} is {ratio:.1f}x SLOWER than fp32 at {threads} thread(s) "
                           f"({timing['median_ms']} ms vs {base[threads]['median_ms']} ms) on this CPU")  # fmt: skip
                log.warning(message)
                warnings.append(message)
    return warnings


def _publish(staging, out, artifacts, keep_savedmodel):
    os.makedirs(out, exist_ok=True)
    for artifact in artifacts:
        if artifact["mode"] != "savedmodel":
            os.replace(os.path.join(staging, artifact["file"]), os.path.join(out, artifact["file"]))
    if keep_savedmodel:
        convert.replace_dir(os.path.join(staging, "savedmodel"), os.path.join(out, "savedmodel"))


def _write_json(path, data):
    with atomic_path(path) as tmp, open(tmp, "w") as handle:
        json.dump(data, handle, indent=2, default=str)


def _model_card(report, card):
    first = next((a for a in report["artifacts"] if a["mode"] != "savedmodel"), None)
    return {
        "input": {"shape": [1, report["size"], report["size"], 3], "value_range": "[-1, 1] float32, or uint8 pixels "
                  "for the SavedModel's serving_default and for int8 artifacts exported with io=uint8"},
        "output": {"shape": [1, report["size"], report["size"], 3], "value_range": "same convention as the input"},
        "files": {a["file"]: {"mode": a["mode"], "psnr_db": a["fidelity"]["psnr_db"]} for a in report["artifacts"]},
        "tflite_io": first["io"] if first else None,
        **card,
    }  # fmt: skip


def render_markdown(report):
    """One readable table per export."""
    threads = report["threads"]
    head = ["artifact", "mode", "size", "gzip", *[f"latency {t}T (ms)" for t in threads], "PSNR (dB)", "floor",
            "max abs err", "ops"]  # fmt: skip
    lines = [f"# Export report ({report['size']}×{report['size']}, io={report['io']})", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]  # fmt: skip
    for a in report["artifacts"]:
        latency = [str(a.get("latency", {}).get(str(t), {}).get("median_ms", "–")) for t in threads]
        ops = ", ".join(a.get("ops", [])) or "–"
        if a.get("unsupported_ops"):
            ops += " (UNSUPPORTED: " + ", ".join(a["unsupported_ops"]) + ")"
        row = [a["file"], a["mode"], _mb(a["bytes"]), _mb(a["gzip_bytes"]) if "gzip_bytes" in a else "–", *latency,
               str(a["fidelity"]["psnr_db"]), str(a["min_psnr_db"]), str(a["fidelity"]["max_abs_error"]), ops]  # fmt: skip
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "Latency: median of timed LiteRT runs after warm-up on this machine. PSNR/max abs error: uint8 "
              "outputs against the Keras model on held-out images."]  # fmt: skip
    lines += ["", *[f"- WARNING: {w}" for w in report["warnings"]]] if report["warnings"] else []
    for a in report["artifacts"]:
        if "io" in a:
            io = a["io"]
            lines.append(f"- `{a['file']}` input {io['inputs'][0]['name']} {io['inputs'][0]['shape']} "
                         f"{io['inputs'][0]['dtype']} q={io['inputs'][0]['quantization']}; output "
                         f"{io['outputs'][0]['shape']} {io['outputs'][0]['dtype']} q={io['outputs'][0]['quantization']}")  # fmt: skip
        if "qat" in a:
            q = a["qat"]
            lines.append(f"- `{a['file']}`: quantisation-aware fine-tuning, {q['steps']} steps; mean L1 to the float "
                         f"model {q['l1_to_float_before']} before, {q['l1_to_float_after']} after")  # fmt: skip
    return "\n".join(lines) + "\n"


def _mb(count):
    return f"{count / 1e6:.2f} MB"
