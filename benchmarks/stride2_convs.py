"""Pix2Pix's stride-2 4×4 convolutions and transposed convolutions: TensorFlow's kernels against the library's
blocked forms (`tfstyle.models.conv`), forward + both gradients, on U-Net-256's and the PatchGAN's shapes. The
machine is noisy, so besides each side's best time the script reports the median (and quartiles) of per-call
ratios with the two sides alternating call by call. The blocked forms are used only without oneDNN (AVX2 CPUs);
the script checks that they give TensorFlow's outputs and gradients.

- stride-2 conv, "same" (pad 1): a 2×2 "valid" conv of space_to_depth(pad(x, 1)) with the kernel regrouped to
  (2, 2, 4·C, O), whose gradients are forward convolutions (`conv2d_stride2_blocked`);
- transposed conv (its adjoint): the four output phases from one 2×2 stride-1 conv of pad(x, 1), interleaved by
  depth_to_space and cropped; TensorFlow's gradients (`conv2d_transpose_blocked`).

Run: python benchmarks/stride2_convs.py [--batch 1] [--pairs 30]
"""

import argparse
import time

import numpy as np
import tensorflow as tf

from _timing import cpu_report
from tfstyle.models.conv import conv2d_stride2_blocked, conv2d_transpose_blocked, onednn_enabled

# (kind, input size, in channels, out channels): U-Net-256's encoder and decoder, then the PatchGAN's first layer
LAYERS = [("conv", 256, 3, 64), ("conv", 128, 64, 128), ("conv", 64, 128, 256), ("conv", 32, 256, 512),
          ("conv", 16, 512, 512), ("conv", 8, 512, 512), ("conv", 4, 512, 512), ("conv", 2, 512, 512),
          ("transposed", 1, 512, 512), ("transposed", 2, 1024, 512), ("transposed", 4, 1024, 512),
          ("transposed", 8, 1024, 512), ("transposed", 16, 1024, 256), ("transposed", 32, 512, 128),
          ("transposed", 64, 256, 64), ("transposed", 128, 128, 3), ("conv", 256, 6, 64)]  # fmt: skip
PAD1 = [[0, 0], [1, 1], [1, 1], [0, 0]]


def conv_tf(x, w):
    return tf.nn.conv2d(x, w, 2, "SAME")


def conv_blocked(x, w):
    return conv2d_stride2_blocked(tf.pad(x, PAD1), w)


def transposed_tf(x, w):
    b, h, width, _ = x.shape
    return tf.nn.conv2d_transpose(x, w, [b, 2 * h, 2 * width, w.shape[2]], 2, "SAME")


def gradients(fn, x, w, dy):
    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = fn(x, w)
    return y, tape.gradient(y, [x, w], output_gradients=dy)


def paired_times(functions, pairs):
    """Seconds of each call of the functions, called in turn `pairs` times (after one untimed call each)."""
    for fn in functions:
        fn()
    times = [[] for _ in functions]
    for _ in range(pairs):
        for fn, seconds in zip(functions, times):
            start = time.perf_counter()
            fn()
            seconds.append(time.perf_counter() - start)
    return times


def relative_error(a, b):
    return float(tf.reduce_max(tf.abs(a - b)) / (tf.reduce_max(tf.abs(a)) + 1e-12))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=1, help="Pix2Pix's batch is 1")
    parser.add_argument("--pairs", type=int, default=30)
    args = parser.parse_args()
    cpu_report(bf16_rows=False)
    print(f"oneDNN: {'on' if onednn_enabled() else 'off'}; batch {args.batch}; forward + dx + dw; {args.pairs} pairs")
    rng = np.random.default_rng(0)
    print("| layer | TensorFlow, best (ms) | blocked, best (ms) | blocked / TensorFlow, paired: median (quartiles) "
          "| max rel. error (y, dx, dw) |\n|---|---|---|---|---|")  # fmt: skip
    for kind, size, cin, cout in LAYERS:
        x = tf.constant(rng.standard_normal((args.batch, size, size, cin)), tf.float32)
        if kind == "conv":
            w = tf.constant(rng.standard_normal((4, 4, cin, cout)) * 0.05, tf.float32)
            dy = tf.constant(rng.standard_normal((args.batch, size // 2, size // 2, cout)), tf.float32)
            plain, blocked = conv_tf, conv_blocked
        else:  # a transposed conv's kernel is (4, 4, out, in), as in keras.layers.Conv2DTranspose
            w = tf.constant(rng.standard_normal((4, 4, cout, cin)) * 0.05, tf.float32)
            dy = tf.constant(rng.standard_normal((args.batch, 2 * size, 2 * size, cout)), tf.float32)
            plain, blocked = transposed_tf, conv2d_transpose_blocked
        (y0, g0), (y1, g1) = gradients(plain, x, w, dy), gradients(blocked, x, w, dy)
        errors = [relative_error(a, b) for a, b in [(y0, y1), *zip(g0, g1)]]
        assert max(errors) < 1e-5, errors
        # y is returned too: a graph returning only the gradients would prune the (linear) forward pass
        steps = [tf.function(lambda x, w, dy, fn=fn: gradients(fn, x, w, dy)) for fn in (plain, blocked)]
        calls = [lambda step=step: step(x, w, dy)[0].numpy() for step in steps]
        times = paired_times(calls, args.pairs)
        ratios = np.array(times[1]) / np.array(times[0])
        q1, median, q3 = np.quantile(ratios, [0.25, 0.5, 0.75])
        name = f"{kind} {size}→{size // 2 if kind == 'conv' else 2 * size} px, {cin}→{cout}"
        print(f"| {name} | {min(times[0]) * 1e3:.1f} | {min(times[1]) * 1e3:.1f} | {median:.2f} ({q1:.2f}–{q3:.2f}) | "
              f"{', '.join(f'{e:.0e}' for e in errors)} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
