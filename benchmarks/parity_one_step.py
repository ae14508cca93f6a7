"""One CycleGAN step in tfstyle and in the PyTorch reference from identical weights and inputs: outputs, losses and
updated weights side by side, to find where the two implementations differ.

    python benchmarks/parity_one_step.py [--size 64] [--ngf 32] [--blocks 6] [--steps 3]
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--ngf", type=int, default=32)
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--keras-adam", action="store_true", help="compile tfstyle with keras.optimizers.Adam instead")
    args = parser.parse_args()

    import keras
    import torch

    import _torch_cyclegan as ref
    from tfstyle import CycleGAN

    torch.set_num_threads(2)
    keras.utils.set_random_seed(0)
    ours = CycleGAN(image_size=args.size, n_blocks=args.blocks, ngf=args.ngf, pool_size=50, seed=0)
    if args.keras_adam:
        ours.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    else:
        ours.compile()
    theirs = ref.CycleGAN(n_blocks=args.blocks, ngf=args.ngf, pool_size=50)
    pairs = ((theirs.g_ab, ours.generator_ab), (theirs.g_ba, ours.generator_ba), (theirs.d_a, ours.discriminator_a),
             (theirs.d_b, ours.discriminator_b))  # fmt: skip
    for torch_net, keras_net in pairs:
        ref.load_keras_weights(torch_net, keras_net)
    rng = np.random.default_rng(0)
    for step in range(args.steps):  # the pools are still filling: both return the new fakes, no randomness
        a, b = (rng.uniform(-1, 1, (1, args.size, args.size, 3)).astype(np.float32) for _ in range(2))
        if step == 0:
            out_k = np.asarray(ours.generator_ab(a, training=True))
            with torch.no_grad():
                out_t = theirs.g_ab(ref.to_torch(a)).numpy().transpose(0, 2, 3, 1)
            print(f"G_AB forward, same weights: max |difference| {np.abs(out_k - out_t).max():.2e}")
        ours.reset_metrics()  # the trackers average over an epoch: report this step alone
        logs_k = {k: float(v) for k, v in ours.train_step((a, b)).items()}
        logs_t = theirs.step(ref.to_torch(a), ref.to_torch(b))
        print(f"step {step + 1}: " + ", ".join(f"{k} {logs_k[k]:.5f} / {logs_t[k]:.5f}" for k in logs_t))
        for (torch_net, keras_net), name in zip(pairs, ("G_AB", "G_BA", "D_A", "D_B")):
            worst = max(_differences(torch_net, keras_net), key=lambda item: item[1])
            print(f"  {name} after the step: largest weight difference {worst[1]:.2e} in {worst[0]}")


def _differences(torch_net, keras_net):
    """(Keras weight path, max |difference| to the PyTorch weight it was copied to) for every weight."""
    from torch import nn

    modules = [m for m in torch_net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    weights = keras_net.weights
    for module, kernel, bias in zip(modules, weights[0::2], weights[1::2]):
        ours = np.asarray(kernel).transpose(3, 2, 0, 1)
        yield kernel.path, float(np.abs(ours - module.weight.detach().numpy()).max())
        yield bias.path, float(np.abs(np.asarray(bias) - module.bias.detach().numpy()).max())


if __name__ == "__main__":
    main()
