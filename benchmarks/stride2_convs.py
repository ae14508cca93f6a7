"""Pix2Pix's stride-2 4×4 convolutions and transposed convolutions: TensorFlow's kernels against the library's
faster forms (`tfstyle.models.conv`), forward + both gradients, on U-Net-256's and the PatchGAN's shapes:

- blocked (convolutions): a 2×2 "valid" convolution of space_to_depth(pad(x, 1)) with the kernel regrouped to
  (2, 2, 4·C, O), whose gradients are forward convolutions (`conv2d_stride2_blocked`);
- small (both kinds): gradients, and a transposed convolution's forward pass, as matrix products with im2col /
  col2im (`conv2d_stride2_small`, `conv2d_transpose_small`).

Each form is checked against TensorFlow's outputs and gradients. The machine is noisy, so besides each side's best
time the script reports the median (and quartiles) of per-call ratios, the forms alternating call by call. The
layer chooses the form by map size (`tfstyle.models.conv.BLOCKED_MIN_SIZE`, `SMALL_TRANSPOSED_MAX_SIZE`): the
blocked form only without oneDNN (AVX2 CPUs), the small forms on any CPU.

Run: python benchmarks/stride2_convs.py [--batch 1] [--pairs 30]
"""

import argparse
import time

import numpy as np
import tensorflow as tf

from _timing import alternating_times, cpu_report
from tfstyle.models.conv import (
    conv2d_stride2_blocked, conv2d_stride2_small, conv2d_transpose_small, onednn_enabled,
)  # fmt: skip

# (kind, input size, in channels, out channels): U-Net-256's encoder and decoder, then the PatchGAN's first layer
LAYERS = [("conv", 256, 3, 64), ("conv", 128, 64, 128), ("conv", 64, 128, 256), ("conv", 32, 256, 512),
          ("conv", 16, 512, 512), ("conv", 8, 512, 512), ("conv", 4, 512, 512), ("conv", 2, 512, 512),
          ("transposed", 1, 512, 512), ("transposed", 2, 1024, 512), ("transposed", 4, 1024, 512),
          ("transposed", 8, 1024, 512), ("transposed", 16, 1024, 256), ("transposed", 32, 512, 128),
          ("transposed", 64, 256, 64), ("transposed", 128, 128, 3), ("conv", 256, 6, 64)]  # fmt: skip
PAD1 = [[0, 0], [1, 1], [1, 1], [0, 0]]
FORMS = {
    "conv": {"TensorFlow": lambda x, w: tf.nn.conv2d(x, w, 2, "SAME"),
             "blocked": lambda x, w: conv2d_stride2_blocked(tf.pad(x, PAD1), w),
             "small": lambda x, w: conv2d_stride2_small(tf.pad(x, PAD1), w)},
    "transposed": {"TensorFlow": lambda x, w: tf.nn.conv2d_transpose(
                       x, w, [x.shape[0], 2 * x.shape[1], 2 * x.shape[2], w.shape[2]], 2, "SAME"),
                   "small": conv2d_transpose_small},
}  # fmt: skip


def gradients(fn, x, w, dy):
    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = fn(x, w)
    # y is returned too: a graph returning only the gradients would prune the (linear) forward pass
    return [y, *tape.gradient(y, [x, w], output_gradients=dy)]


def relative_error(a, b):
    return float(tf.reduce_max(tf.abs(a - b)) / (tf.reduce_max(tf.abs(a)) + 1e-12))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=1, help="Pix2Pix's batch is 1")
    parser.add_argument("--pairs", type=int, default=30)
    args = parser.parse_args()
    cpu_report(bf16_rows=False)
    print(f"oneDNN: {'on' if onednn_enabled() else 'off'}; batch {args.batch}; forward + dx + dw; {args.pairs} rounds")
    rng = np.random.default_rng(0)
    print("| layer | TensorFlow, best (ms) | blocked: best (ms), paired ratio (quartiles) | small: best (ms), paired "
          "ratio (quartiles) | max rel. error |\n|---|---|---|---|---|")  # fmt: skip
    for kind, size, cin, cout in LAYERS:
        x = tf.constant(rng.standard_normal((args.batch, size, size, cin)), tf.float32)
        if kind == "conv":
            w = tf.constant(rng.standard_normal((4, 4, cin, cout)) * 0.05, tf.float32)
            dy = tf.constant(rng.standard_normal((args.batch, size // 2, size // 2, cout)), tf.float32)
        else:  # a transposed conv's kernel is (4, 4, out, in), as in keras.layers.Conv2DTranspose
            w = tf.constant(rng.standard_normal((4, 4, cout, cin)) * 0.05, tf.float32)
            dy = tf.constant(rng.standard_normal((args.batch, 2 * size, 2 * size, cout)), tf.float32)
        forms = FORMS[kind]
        steps = {name: tf.function(lambda x, w, dy, fn=fn: gradients(fn, x, w, dy)) for name, fn in forms.items()}
        results = {name: step(x, w, dy) for name, step in steps.items()}
        errors = [relative_error(a, b) for name in forms if name != "TensorFlow"
                  for a, b in zip(results["TensorFlow"], results[name])]  # fmt: skip
        assert max(errors) < 1e-5, errors
        calls = [lambda step=step: step(x, w, dy)[0].numpy() for step in steps.values()]
        times = dict(zip(forms, alternating_times(calls, args.pairs)))
        cells = []
        for name in ("blocked", "small"):
            if name not in times:
                cells.append("–")
                continue
            q1, median, q3 = np.quantile(np.array(times[name]) / np.array(times["TensorFlow"]), [0.25, 0.5, 0.75])
            cells.append(f"{min(times[name]) * 1e3:.1f}, {median:.2f} ({q1:.2f}–{q3:.2f})")
        name = f"{kind} {size}→{size // 2 if kind == 'conv' else 2 * size} px, {cin}→{cout}"
        print(f"| {name} | {min(times['TensorFlow']) * 1e3:.1f} | {' | '.join(cells)} | {max(errors):.0e} |", flush=True)


if __name__ == "__main__":
    main()
