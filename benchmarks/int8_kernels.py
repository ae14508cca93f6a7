"""The CPU's ceiling for int8 speed-ups: a bare stack of four 3×3 256→256 convolutions at 64×64 (the ResNet-9
residual convolutions, which hold most of its arithmetic), without and with instance norm, fp32 vs full-integer
int8 in LiteRT (XNNPACK), 1 thread. If int8 is not ≥ 2× faster here, no export setting makes the whole
generator ≥ 2× faster: the kernels themselves are the limit (int8 dot-product instructions such as AVX-512 VNNI
make the difference).

Run: python benchmarks/int8_kernels.py [--runs 5] [--out /tmp/int8_kernels]
"""

import argparse
import os

import keras
import numpy as np
import tensorflow as tf

from tfstyle.export import verify
from tfstyle.models import InstanceNormalization


def stack(norm):
    x = inputs = keras.Input((64, 64, 256), batch_size=1)
    for _ in range(4):
        x = keras.layers.Conv2D(256, 3, padding="same")(x)
        x = keras.layers.ReLU()(InstanceNormalization()(x) if norm else x)
    return keras.Model(inputs, x)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default="/tmp/int8_kernels")
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    data = [np.random.default_rng(i).normal(size=(1, 64, 64, 256)).astype("float32") for i in range(8)]
    print("| network | fp32 (ms) | int8 (ms) | int8 speed-up |\n|---|---|---|---|")
    for norm in (False, True):
        folder = os.path.join(args.out, "in" if norm else "conv")
        stack(norm).export(folder, verbose=False)
        ms = {}
        for mode in ("fp32", "int8"):
            converter = tf.lite.TFLiteConverter.from_saved_model(folder)
            if mode == "int8":
                converter.optimizations = [tf.lite.Optimize.DEFAULT]
                converter.representative_dataset = lambda: ([d] for d in data)
                converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            path = os.path.join(args.out, f"{'in' if norm else 'conv'}_{mode}.tflite")
            with open(path, "wb") as handle:
                handle.write(converter.convert())
            ms[mode] = verify.latency(path, data[0][0], threads=(1,), runs=args.runs)["1"]["median_ms"]
        name = "4 × (conv 3×3 256→256" + (" + instance norm" if norm else "") + " + ReLU) at 64×64"
        print(f"| {name} | {ms['fp32']:.0f} | {ms['int8']:.0f} | {ms['fp32'] / ms['int8']:.2f}x |")


if __name__ == "__main__":
    main()
