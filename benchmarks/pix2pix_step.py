"""Pix2Pix training-step time at 256 px, batch 1: tfstyle (tf.function, XLA) vs the same maths in PyTorch.

Both sides (PyTorch: benchmarks/_torch_pix2pix.py): U-Net-256 (batch norm, dropout) + conditional 70×70
PatchGAN, vanilla GAN loss + 100·L1, Adam (2e-4, 0.5), the reference's update order (D step on real + detached
fake, then G step against the updated D). Random weights and inputs (timing only). Rounds alternate the
frameworks (the machine is noisy).

Run: python benchmarks/pix2pix_step.py [--steps 8] [--rounds 2] [--skip-xla] [--bf16] [--keras-batch-norm]
     [--tensorflow-stride2] [--onednn-direct] [--pairs N]
(needs: pip install torch==2.13.0)
"""

import argparse



STRIDE2_TF = "tfstyle, TensorFlow's stride-2 kernels"


def keras_batch_norm(name):
    """Keras's own BatchNormalization (op by op), configured as tfstyle's batch norm."""
    import keras

    from tfstyle.models.layers import _batch_norm

    return keras.layers.BatchNormalization.from_config(_batch_norm(name).get_config())


def tf_runner(jit, update, batch_norm=None, fast_stride2=True, use_winograd=True):
    """A timed tfstyle step; `batch_norm`, a norm-layer factory, replaces tfstyle's fused batch norm;
    `fast_stride2=False` traces the step with TensorFlow's stride-2 convolution kernels, `use_winograd=False` with
    oneDNN's direct convolutions for the layers tfstyle runs as Winograd convolutions."""
    import keras
    import tensorflow as tf

    from tfstyle import Pix2Pix
    from tfstyle.models import NORMS, conv

    fused = NORMS["batch"]
    NORMS["batch"] = batch_norm or fused  # the networks look their norm up in NORMS while they are built
    try:
        model = Pix2Pix(image_size=256)
    finally:
        NORMS["batch"] = fused
    model.compile(jit_compile=jit, update=update)
    x = tf.random.uniform((1, 256, 256, 3), -1, 1)
    y = tf.random.uniform((1, 256, 256, 3), -1, 1)
    step = model.make_train_function() or model.train_function
    ds = tf.data.Dataset.from_tensors((x, y)).repeat()
    iterator = iter(ds)
    conv.FAST_STRIDE2, conv.WINOGRAD = fast_stride2, use_winograd  # read while the step is traced
    try:
        model.train_function(iterator)  # trace / compile
    finally:
        conv.FAST_STRIDE2, conv.WINOGRAD = True, True
    keras.utils.set_random_seed(0)

    def run():
        model.train_function(iterator)["g_loss"].numpy()

    del step
    return run, model


def torch_runner():
    import torch

    import _torch_pix2pix as ref
    from _timing import usable_cores

    torch.set_num_threads(usable_cores())
    model = ref.Pix2Pix(num_downs=8)
    x, y = torch.rand(1, 3, 256, 256) * 2 - 1, torch.rand(1, 3, 256, 256) * 2 - 1

    def run():
        return model.step(x, y)["g_loss"]

    run()
    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--bf16", action="store_true", help="also time mixed_bfloat16 and PyTorch's bf16 autocast")
    parser.add_argument("--skip-xla", action="store_true", help="leave out the XLA row (it is not the default)")
    keras_bn_help = "also time the step with Keras's op-by-op BatchNormalization instead of the fused one"
    parser.add_argument("--keras-batch-norm", action="store_true", help=keras_bn_help)
    pairs_help = "also alternate tfstyle and PyTorch step by step N times and print the median per-step ratio"
    parser.add_argument("--pairs", type=int, default=0, metavar="N", help=pairs_help)
    stride2_help = ("also time the step with TensorFlow's stride-2 kernels instead of tfstyle's faster forms (with "
                    "oneDNN: instead of the small maps' matrix products)")
    parser.add_argument("--tensorflow-stride2", action="store_true", help=stride2_help)
    parser.add_argument("--onednn-direct", action="store_true", help="also time tfstyle without Winograd convolutions")
    args = parser.parse_args()
    from _flops import conv_flops
    from _timing import ONEDNN_DIRECT, TORCH, TORCH_BF16, compare, cpu_report, report_pairs, torch_bf16

    cpu_report()

    runners = {"tfstyle tf.function": tf_runner(False, "sequential")}
    if not args.skip_xla:
        runners["tfstyle XLA"] = tf_runner(True, "sequential")
    if args.keras_batch_norm:
        runners["tfstyle, Keras batch norm"] = tf_runner(False, "sequential", keras_batch_norm)
    if args.tensorflow_stride2:
        runners[STRIDE2_TF] = tf_runner(False, "sequential", fast_stride2=False)
    if args.onednn_direct:
        runners[ONEDNN_DIRECT] = tf_runner(False, "sequential", use_winograd=False)
    runners[TORCH] = (torch_runner(), None)
    if args.bf16:
        from tfstyle.training import set_precision

        previous = set_precision("mixed_bfloat16")
        runners["tfstyle mixed_bfloat16"] = tf_runner(False, "sequential")
        set_precision(previous)
        runners[TORCH_BF16] = (torch_bf16(torch_runner()), None)
    model = runners["tfstyle tf.function"][1]
    g_flops = conv_flops(model.generator, (256, 256, 3))
    d_flops = conv_flops(model.discriminator, (256, 256, 6))
    # fwd+bwd ≈ 3× forward: G once; D twice for its own step (real, fake) and once more for G's step.
    step_flops = 3 * g_flops + 3 * 3 * d_flops
    print(f"forward GFLOP: G {g_flops / 1e9:.1f}, D {d_flops / 1e9:.2f}; training step ≈ {step_flops / 1e9:.0f} GFLOP")
    compare({name: run for name, (run, _) in runners.items()}, args.steps, args.rounds, step_flops)
    report_pairs(runners, args.pairs, args.steps)


if __name__ == "__main__":
    main()
