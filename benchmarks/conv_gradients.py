"""Convolution gradients: TensorFlow's Conv2DBackpropInput/Filter kernels against the same sums computed as
forward convolutions (`tfstyle.models.conv`), on the stride-1 convolutions of the ResNet generator and the
PatchGAN at 256 px.

TensorFlow enables oneDNN by default only on CPUs with AVX-512 VNNI/BF16 or AMX; run once as is and once with
TF_ENABLE_ONEDNN_OPTS=1 to see both code paths. With oneDNN on, only TensorFlow's kernels are timed: the library
then uses them (Conv2D gates the forward form off), and oneDNN's convolution aborts the process (a failed check in
MklConvOp, TF 2.21) on the filter gradient written as a convolution whose kernel is a whole 256 px image.

The second table (`--kernel-gradients`) times the kernel gradient alone in three layouts: the whole batch in one
convolution with 4-D transposes (the library's form until 2026-12-07), the same with a 3-D transpose, and one
convolution per image with 2-D transposes (what the library uses up to PER_IMAGE_MAX_BATCH images).

Run: python benchmarks/conv_gradients.py [--runs 5] [--kernel-gradients [--pairs 15]]
"""

import argparse
import statistics

import tensorflow as tf

from tfstyle.models import conv
from tfstyle.models.conv import conv2d_forward_gradients, onednn_enabled

# (name, input size after padding, kernel, in channels, out channels, batch)
SHAPES = [
    ("stem 7x7 3->64 @256", 262, 7, 3, 64, 1),
    ("block 3x3 256->256 @64", 66, 3, 256, 256, 1),
    ("block 3x3 256->256 @64, batch 2", 66, 3, 256, 256, 2),
    ("head 7x7 64->3 @256", 262, 7, 64, 3, 1),
    ("PatchGAN 4x4 256->512 @32", 34, 4, 256, 512, 1),
    ("PatchGAN logits 4x4 512->1 @31", 33, 4, 512, 1, 1),
]


# The kernel-gradient table's shapes, in SHAPES's columns
KERNEL_GRADIENT_SHAPES = [
    ("ResNet block 3x3 256->256 @64", 66, 3, 256, 256, 1),
    ("ResNet head 7x7 64->3 @256", 262, 7, 64, 3, 1),
    ("U-Net blocked 2x2 256->128 @64", 65, 2, 256, 128, 1),
    ("fast style 9x9 3->32 @256, batch 4", 264, 9, 3, 32, 4),
    ("fast style 3x3 32->32 @256, batch 4", 258, 3, 32, 32, 4),
    ("fast style block 3x3 128->128 @64, batch 4", 66, 3, 128, 128, 4),
    ("3x3 128->128 @64, batch 8", 66, 3, 128, 128, 8),
    ("3x3 128->128 @64, batch 16", 66, 3, 128, 128, 16),
    ("3x3 128->128 @64, batch 32", 66, 3, 128, 128, 32),
]


def gradients(conv, x, w, dy):
    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = conv(x, w)
    return tape.gradient(y, [x, w], dy)


def kernel_gradient_4d(x, dy):
    """The whole batch in one convolution, with TensorFlow's 4-D transposes (the library's form until 2026-12-07)."""
    dw = tf.nn.conv2d(tf.transpose(x, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, "VALID")
    return tf.transpose(dw, [1, 2, 0, 3])


def kernel_gradient_table(pairs):
    from _timing import alternating_times

    forms = {"whole batch, 4-D transposes": kernel_gradient_4d,
             "whole batch, 3-D transpose": conv._kernel_gradient_whole_batch,
             "per image, 2-D transposes": conv._kernel_gradient_per_image}
    print(f"Kernel gradient only, medians of {pairs} alternating calls (ms); the library uses the per-image form up to "
          f"{conv.PER_IMAGE_MAX_BATCH} images")
    print("| convolution | " + " | ".join(forms) + " | per image / 4-D |\n|---|" + "---|" * (len(forms) + 1))
    for name, size, k, cin, cout, batch in KERNEL_GRADIENT_SHAPES:
        x = tf.random.uniform((batch, size, size, cin))
        dy = tf.random.normal((batch, size - k + 1, size - k + 1, cout))
        functions = [tf.function(lambda f=f: f(x, dy)) for f in forms.values()]
        reference = functions[0]()
        for fn in functions[1:]:  # the same sums, in another order
            error = float(tf.reduce_max(tf.abs(fn() - reference)) / tf.reduce_max(tf.abs(reference)))
            assert error < 1e-5, (name, error)
        calls = [lambda fn=fn: fn().numpy() for fn in functions]
        times = [1000 * statistics.median(t) for t in alternating_times(calls, pairs)]
        print(f"| {name} | " + " | ".join(f"{t:.1f}" for t in times) + f" | {times[2] / times[0]:.2f}x |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--kernel-gradients", action="store_true", help="time the kernel-gradient layouts instead")
    parser.add_argument("--pairs", type=int, default=15)
    args = parser.parse_args()
    if args.kernel_gradients:
        return kernel_gradient_table(args.pairs)
    from _timing import time_steps

    onednn = onednn_enabled()
    print(f"oneDNN enabled: {onednn}")
    if onednn:
        print("oneDNN is on: the forward-convolution column is not run (the library does not use that form here)")
    print("| convolution | TensorFlow kernels (ms) | forward convolutions (ms) | speed-up |\n|---|---|---|---|")
    plain = tf.function(lambda x, w, dy: gradients(lambda a, b: tf.nn.conv2d(a, b, 1, "VALID"), x, w, dy))
    forward = tf.function(lambda x, w, dy: gradients(conv2d_forward_gradients, x, w, dy))
    for name, size, k, cin, cout, batch in SHAPES:
        x = tf.random.uniform((batch, size, size, cin))
        w = tf.random.normal((k, k, cin, cout), stddev=0.02)
        dy = tf.random.normal((batch, size - k + 1, size - k + 1, cout))
        a = 1000 * time_steps(lambda: [g.numpy() for g in plain(x, w, dy)], args.runs)
        if onednn:
            print(f"| {name} | {a:.0f} | not run | |")
            continue
        b = 1000 * time_steps(lambda: [g.numpy() for g in forward(x, w, dy)], args.runs)
        print(f"| {name} | {a:.0f} | {b:.0f} | {a / b:.2f}x |")


if __name__ == "__main__":
    main()
