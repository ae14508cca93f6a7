"""CycleGAN training-step time, batch 1: tfstyle (tf.function, XLA) vs the PyTorch reference's step
(benchmarks/_torch_cyclegan.py, the authors' networks with their in-place activations).

Both sides: two ResNet generators (the paper's 9 blocks and 64 filters at 256 px unless --blocks, --ngf and --size
say otherwise; reflection padding, instance norm without affine, transposed convs), two 70×70 PatchGANs with
instance norm, LSGAN, λ = 10 cycle losses, identity loss 0.5·λ, Adam(2e-4, 0.5), image pools of 50; the
reference's order (generators against frozen discriminators, then both discriminators on pooled fakes). Random
weights and inputs (timing only). Rounds alternate the implementations (noisy machine).

With --onednn-direct, a second tfstyle row keeps oneDNN's direct convolutions for the layers that tfstyle runs as
Winograd convolutions (tfstyle.models.winograd), and tfstyle's step is timed against it step by step as well.

Run: python benchmarks/cyclegan_step.py [--steps 3] [--rounds 2] [--size 256] [--ngf 64] [--blocks 9]
     [--bf16] [--onednn-direct] [--pairs N]
(needs: pip install torch==2.13.0)
"""

import argparse


def tf_runner(jit, size, ngf=64, blocks=9, use_winograd=True):
    import tensorflow as tf

    from tfstyle import CycleGAN
    from tfstyle.models import conv

    model = CycleGAN(image_size=size, ngf=ngf, n_blocks=blocks, seed=0)
    model.compile(jit_compile=jit)
    a = tf.random.uniform((1, size, size, 3), -1, 1)
    b = tf.random.uniform((1, size, size, 3), -1, 1)
    iterator = iter(tf.data.Dataset.from_tensors((a, b)).repeat())
    model.make_train_function()
    conv.WINOGRAD = use_winograd  # read while the step is traced
    try:
        model.train_function(iterator)  # trace / compile
    finally:
        conv.WINOGRAD = True

    def run():
        model.train_function(iterator)["g_loss"].numpy()

    return run, model


def torch_runner(size, ngf=64, blocks=9):
    """The PyTorch reference's own step (benchmarks/_torch_cyclegan.py), on fixed random inputs."""
    import torch

    import _torch_cyclegan as ref
    from _timing import usable_cores

    torch.set_num_threads(usable_cores())
    model = ref.CycleGAN(n_blocks=blocks, ngf=ngf)
    real_a, real_b = torch.rand(1, 3, size, size) * 2 - 1, torch.rand(1, 3, size, size) * 2 - 1

    def run():
        return model.step(real_a, real_b)["g_loss"]

    run()
    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--bf16", action="store_true", help="also time mixed_bfloat16 and PyTorch's bf16 autocast")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--ngf", type=int, default=64, help="generator filters (the paper: 64)")
    parser.add_argument("--blocks", type=int, default=9, help="residual blocks (the paper: 9 at 256 px)")
    parser.add_argument("--skip-xla", action="store_true")
    parser.add_argument("--onednn-direct", action="store_true", help="also time tfstyle without Winograd convolutions")
    pairs_help = "also alternate tfstyle and PyTorch step by step N times and print the median per-step ratio"
    parser.add_argument("--pairs", type=int, default=0, metavar="N", help=pairs_help)
    args = parser.parse_args()
    from _flops import conv_flops
    from _timing import ONEDNN_DIRECT, TORCH, TORCH_BF16, compare, cpu_report, report_pairs, torch_bf16

    cpu_report()

    widths = {"ngf": args.ngf, "blocks": args.blocks}  # the same networks on both sides
    runners = {"tfstyle tf.function": tf_runner(False, args.size, **widths)}
    if not args.skip_xla:
        runners["tfstyle XLA"] = tf_runner(True, args.size, **widths)
    if args.onednn_direct:
        runners[ONEDNN_DIRECT] = tf_runner(False, args.size, **widths, use_winograd=False)
    runners[TORCH] = (torch_runner(args.size, **widths), None)
    if args.bf16:
        from tfstyle.training import set_precision

        previous = set_precision("mixed_bfloat16")
        runners["tfstyle mixed_bfloat16"] = tf_runner(False, args.size, **widths)
        set_precision(previous)
        runners[TORCH_BF16] = (torch_bf16(torch_runner(args.size, **widths)), None)
    model = runners["tfstyle tf.function"][1]
    g_flops = conv_flops(model.generator_ab, (args.size, args.size, 3))
    d_flops = conv_flops(model.discriminator_a, (args.size, args.size, 3))
    # Generators: 6 forward passes (2 translations, 2 reconstructions, 2 identity), all back-propagated (×3).
    # Discriminators: 2 passes in the generator loss (forward + input gradient, ×2) and 4 in their own step (×3).
    step_flops = 6 * 3 * g_flops + (2 * 2 + 4 * 3) * d_flops
    print(f"forward GFLOP: G {g_flops / 1e9:.1f}, D {d_flops / 1e9:.2f}; training step ≈ {step_flops / 1e9:.0f} GFLOP")
    compare({name: run for name, (run, _) in runners.items()}, args.steps, args.rounds, step_flops)
    report_pairs(runners, args.pairs, args.steps)


if __name__ == "__main__":
    main()
