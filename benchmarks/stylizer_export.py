"""Feed-forward stylizers on a phone's budget: sizes, LiteRT latency and fidelity of their TFLite files at 256 px.

Fast style transfer at three widths (a trained run for the full width when given, random weights otherwise: sizes
and latency do not depend on training, PSNR does) and AdaIN's style and transfer networks (the offline VGG-16
encoder, a random decoder). Calibration and held-out images: the held-out shared photos (benchmarks/_photos.py).
Each export goes through `tfstyle.export` (every artifact verified); the table is printed as Markdown.

    python benchmarks/stylizer_export.py [--faststyle RUN_OR_SHIPPED_NAME] [--runs 10] [--threads 1,2]
"""

import argparse
import os
import platform
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _photos import STYLES, photo_split  # noqa: E402
from hed_vgg16 import convert  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faststyle", help="a fast-style run (or shipped model name) for the full-width row")
    parser.add_argument("--alphas", default="1,0.5,0.25")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--skip-adain", action="store_true")
    args = parser.parse_args()

    import keras
    import numpy as np

    from tfstyle import pretrained
    from tfstyle.data import folder_images
    from tfstyle.export import export_model, export_networks
    from tfstyle.models.transformer import transformer_network
    from tfstyle.runs import Run
    from tfstyle.style.adain import AdaIN

    photos = folder_images(photo_split() / "test", 256, 40)
    calibration, heldout = photos[:32], photos[32:]
    threads = tuple(int(t) for t in args.threads.split(","))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; 256 px, batch 1")
    print("| network | weights | mode | size (MB) | " + " | ".join(f"{t} thread(s) (ms)" for t in threads)
          + " | PSNR vs Keras (dB) |")  # fmt: skip
    print("|---|---|---|---|" + "---|" * len(threads) + "---|")
    keras.utils.set_random_seed(0)
    for alpha in (float(a) for a in args.alphas.split(",")):
        generator, weights = transformer_network(alpha), "random"
        if alpha == 1.0 and args.faststyle:
            generator, weights = Run(pretrained.resolve(args.faststyle)).generator(), args.faststyle
        with tempfile.TemporaryDirectory() as out:
            report = export_model(generator, out, size=256, formats=("tflite",), quantize=("fp32", "fp16", "int8"),
                                  io="uint8", calibration=calibration, heldout=heldout, threads=threads,
                                  runs=args.runs, min_psnr=0.0)  # fmt: skip
        _rows(f"fast style, {alpha:g}× width ({generator.count_params():,} parameters)", weights, report, threads)
    if not args.skip_adain:
        model = AdaIN(backbone="vgg16", vgg_weights=convert())
        styles = folder_images(STYLES, 256, 3)
        style_examples = {"style": styles[np.arange(len(photos)) % len(styles)]}
        vectors = np.asarray(model.style_network(style_examples["style"], training=False))
        networks = {
            "style_network": (model.style_network, {k: v[:32] for k, v in style_examples.items()},
                              {k: v[32:] for k, v in style_examples.items()}, ("fp32", "fp16", "dynamic")),
            "transfer_network": (model.transfer_network, {"image": calibration, "style_vector": vectors[:32]},
                                 {"image": heldout, "style_vector": vectors[32:]}),
        }  # fmt: skip
        with tempfile.TemporaryDirectory() as out:
            report = export_networks(networks, out, size=256, formats=("tflite",), quantize=("fp32", "fp16", "dynamic", "int8"),
                                     threads=threads, runs=args.runs, min_psnr=0.0)  # fmt: skip
        for name in networks:
            part = {**report, "artifacts": [a for a in report["artifacts"] if a["network"] == name]}
            _rows(f"AdaIN {name.replace('_', ' ')}", "VGG-16 (HED) + random decoder", part, threads)


def _rows(name, weights, report, threads):
    for a in report["artifacts"]:
        latency = " | ".join(f"{a['latency'][str(t)]['median_ms']}" for t in threads)
        print(f"| {name} | {weights} | {a['mode']} | {a['bytes'] / 1e6:.3f} | {latency} | {a['fidelity']['psnr_db']} |",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
