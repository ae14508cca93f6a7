"""What an export says about itself: the report table, the model card, and warnings about slow artifacts."""

import logging

log = logging.getLogger("tfstyle")


def speed_warnings(artifacts):
    """A loud line for each quantised artifact that runs slower than the fp32 file of the same network."""
    warnings = []
    for network in dict.fromkeys(a.get("network", "model") for a in artifacts):
        tflite = {a["mode"]: a for a in artifacts if a["mode"] != "savedmodel" and a.get("network", "model") == network}
        if "fp32" not in tflite:
            continue
        base = tflite["fp32"]["latency"]
        for mode, artifact in tflite.items():
            for threads, timing in artifact["latency"].items():
                ratio = timing["median_ms"] / max(base[threads]["median_ms"], 1e-6)
                if mode != "fp32" and ratio > 1.0:
                    message = (f"!!! {artifact['file']} is {ratio:.1f}x SLOWER than fp32 at {threads} thread(s) "
                               f"({timing['median_ms']} ms vs {base[threads]['median_ms']} ms) on this CPU")  # fmt: skip
                    log.warning(message)
                    warnings.append(message)
    return warnings


def model_card(report, card):
    """model_card.json: what each network takes and returns, the files, and the caller's fields (training data...)."""
    first = next((a for a in report["artifacts"] if a["mode"] != "savedmodel"), None)
    main = next(iter(report["networks"].values()))
    return {
        "input": main["inputs"][0], "output": main["output"], "networks": report["networks"],
        "value_ranges": "images: float32 RGB in [-1, 1] (pixel / 127.5 - 1), or uint8 pixels for the SavedModel's "
                        "serving_default and for int8 artifacts exported with io=uint8; vectors: float32",
        "files": {a["file"]: {"network": a.get("network"), "mode": a["mode"], "psnr_db": a["fidelity"]["psnr_db"]}
                  for a in report["artifacts"]},
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
              "outputs against the Keras model on held-out images (vector outputs: float values, peak = the largest "
              "|value|)."]  # fmt: skip
    lines += ["", *[f"- WARNING: {w}" for w in report["warnings"]]] if report["warnings"] else []
    for name, network in report["networks"].items():
        inputs = "; ".join(f"{i['name']} ({i['kind']}, {i['shape']})" for i in network["inputs"])
        lines.append(f"- network `{name}`: inputs {inputs} -> {network['output']['kind']} {network['output']['shape']}")
    for a in report["artifacts"]:
        if "io" in a:
            describe = lambda d: f"{d['name']} {d['shape']} {d['dtype']} q={d['quantization']}"  # noqa: E731
            lines.append(f"- `{a['file']}` inputs {', '.join(describe(d) for d in a['io']['inputs'])}; output "
                         f"{describe(a['io']['outputs'][0])}")  # fmt: skip
        if "qat" in a:
            q = a["qat"]
            lines.append(f"- `{a['file']}`: quantisation-aware fine-tuning, {q['steps']} steps; mean L1 to the float "
                         f"model {q['l1_to_float_before']} before, {q['l1_to_float_after']} after")  # fmt: skip
    return "\n".join(lines) + "\n"


def _mb(count):
    return f"{count / 1e6:.2f} MB"
