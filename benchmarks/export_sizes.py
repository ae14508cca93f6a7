"""Full-size ResNet-9 (CycleGAN) and U-Net-256 (Pix2Pix) generators in every TFLite mode: size, LiteRT
latency at 1 and 2 threads, fidelity against Keras. Random weights (sizes and latency do not depend on
training; fidelity on random weights is indicative only). Calibration/held-out: the shared horse2zebra sample.

Run: python benchmarks/export_sizes.py [--modes fp32,fp16,dynamic,int8] [--runs 10] [--out /tmp/export_bench]
"""

import argparse
import os

import keras

from tfstyle.export import export_model
from tfstyle.export.from_run import input_images
from tfstyle.models import resnet_generator, unet_generator

MAGENTA = "Magenta arbitrary-style TFLite anchors: int8 prediction network 2.8 MB, transfer network 0.28 MB."


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--modes", default="fp32,fp16,dynamic,int8")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--calibration", type=int, default=24)
    parser.add_argument("--out", default="/tmp/export_bench")
    parser.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
    parser.add_argument("--models", default="resnet9,unet256")
    args = parser.parse_args()
    images = input_images(os.path.join(args.data, "horse2zebra_sample", "trainA"), 256, args.calibration + 4)
    builders = {"resnet9": lambda: resnet_generator(9), "unet256": lambda: unet_generator(256, norm="batch")}
    print("| generator | mode | size (MB) | gzip (MB) | 1 thread (ms) | 2 threads (ms) | PSNR vs Keras (dB) |")
    print("|---|---|---|---|---|---|---|")
    for name in args.models.split(","):
        keras.utils.set_random_seed(0)
        report = export_model(builders[name](), os.path.join(args.out, name), size=256, formats=("tflite",),
                              quantize=tuple(args.modes.split(",")), calibration=images[:-4], heldout=images[-4:],
                              threads=(1, 2), runs=args.runs, min_psnr=0.0)  # fmt: skip
        for a in report["artifacts"]:
            lat = a["latency"]
            print(f"| {name} | {a['mode']} | {a['bytes'] / 1e6:.2f} | {a['gzip_bytes'] / 1e6:.2f} | "
                  f"{lat['1']['median_ms']:.0f} | {lat['2']['median_ms']:.0f} | {a['fidelity']['psnr_db']} |")  # fmt: skip
    print(MAGENTA)


if __name__ == "__main__":
    main()
