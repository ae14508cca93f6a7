"""Convolution gradients: TensorFlow's Conv2DBackpropInput/Filter kernels against the same sums computed as
forward convolutions (`tfstyle.models.conv`), on the stride-1 convolutions of the ResNet generator and the
PatchGAN at 256 px.

TensorFlow enables oneDNN by default only on CPUs with AVX-512 VNNI/BF16 or AMX; run once as is and once with
TF_ENABLE_ONEDNN_OPTS=1 to see both code paths. With oneDNN on, only TensorFlow's kernels are timed: the library
then uses them (Conv2D gates the forward form off), and oneDNN's convolution aborts the process (a failed check in
MklConvOp, TF 2.21) on the filter gradient written as a convolution whose kernel is a whole 256 px image.

Run: python benchmarks/conv_gradients.py [--runs 5]
"""

import argparse

import tensorflow as tf

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


def gradients(conv, x, w, dy):
    with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = conv(x, w)
    return tape.gradient(y, [x, w], dy)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
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
