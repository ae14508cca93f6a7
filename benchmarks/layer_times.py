"""Where a generator's training time goes, layer by layer, in float32 and in mixed_bfloat16.

Each layer of the network is timed alone: forward + gradients with respect to its input and its weights, on an
input of the shape it sees inside the network (256 px, batch 1), in a tf.function, median of `--runs`. Layers
that bfloat16 does not speed up (or slows down) are where a bf16 step still loses time.

Run: python benchmarks/layer_times.py [--model resnet9|unet|patchgan] [--size 256] [--runs 5] [--top 20]
"""

import argparse
import statistics
import time

import keras
import tensorflow as tf


def build(name, size):
    from tfstyle.models.patchgan import patchgan_discriminator
    from tfstyle.models.resnet import resnet_generator
    from tfstyle.models.unet import unet_generator

    if name == "resnet9":
        return resnet_generator(9)
    if name == "unet":
        return unet_generator(size)
    return patchgan_discriminator(3, norm="instance")


def layer_inputs(model, size):
    """name -> (layer, concrete input shape) for every single-input layer, from one run of the model."""
    layers = [layer for layer in model.layers[1:] if len(layer._inbound_nodes[0].input_tensors) == 1]
    probe = keras.Model(model.inputs, [layer.input for layer in layers])
    values = probe(tf.zeros([1, size, size, model.inputs[0].shape[-1]]))
    return {layer.name: (layer, list(value.shape)) for layer, value in zip(layers, values)}


def time_layer(layer, shape, dtype, runs):
    x = tf.cast(tf.random.uniform(shape, -1, 1), dtype)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(tf.cast(y, tf.float32))
        return tape.gradient(loss, [x] + layer.trainable_variables)

    step(x)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        [g.numpy() for g in step(x) if g is not None]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="resnet9", choices=("resnet9", "unet", "patchgan"))
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    from _timing import cpu_report
    from tfstyle.training import set_precision

    cpu_report()
    rows = {}
    for policy, dtype in (("float32", tf.float32), ("mixed_bfloat16", tf.bfloat16)):
        set_precision(policy)
        keras.utils.set_random_seed(0)
        model = build(args.model, args.size)
        for name, (layer, shape) in layer_inputs(model, args.size).items():
            # under mixed_bfloat16 every layer but the first receives bf16 activations
            input_dtype = tf.float32 if policy == "float32" or layer is model.layers[1] else dtype
            rows.setdefault(name, {})[policy] = time_layer(layer, shape, input_dtype, args.runs)
        set_precision("float32")
    total = {p: sum(r[p] for r in rows.values()) for p in ("float32", "mixed_bfloat16")}
    print(f"{args.model} at {args.size} px, batch 1: sum of layers fwd+bwd float32 {total['float32'] * 1e3:.0f} ms, "
          f"bf16 {total['mixed_bfloat16'] * 1e3:.0f} ms")  # fmt: skip
    print("| layer | float32 (ms) | bf16 (ms) | bf16 / float32 | share of bf16 time |\n|---|---|---|---|---|")
    ranked = sorted(rows.items(), key=lambda item: -item[1]["mixed_bfloat16"])[: args.top]
    for name, r in ranked:
        print(f"| {name} | {r['float32'] * 1e3:.1f} | {r['mixed_bfloat16'] * 1e3:.1f} | "
              f"{r['mixed_bfloat16'] / r['float32']:.2f} | {r['mixed_bfloat16'] / total['mixed_bfloat16']:.0%} |")


if __name__ == "__main__":
    main()
