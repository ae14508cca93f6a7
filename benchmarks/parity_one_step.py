"""CycleGAN steps in tfstyle and in the PyTorch reference from identical weights and inputs: outputs, losses and
updated weights side by side, to find where the two implementations differ.

With `--steps N` (N > 3) it follows the two trajectories over many steps on the real training photos (the
images tfstyle's pipeline makes, fed to both) and prints how far apart the weights have drifted, relative to how
far they moved, beside a chaos floor: a second PyTorch run started from the same weights perturbed by float32
rounding (relative 1e-7). If tfstyle drifts from the reference no faster than the reference drifts from itself,
the two compute the same training up to rounding. Use `--pool-size 0` beyond 50 steps: the pools' random draws
differ between frameworks by construction.

    python benchmarks/parity_one_step.py [--size 64] [--ngf 32] [--blocks 6] [--steps 3]
    python benchmarks/parity_one_step.py --steps 300 --pool-size 0 --data photos
"""

import argparse
import copy
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
    parser.add_argument("--pool-size", type=int, default=50)
    parser.add_argument("--data", choices=("noise", "photos"), default="noise",
                        help="uniform noise, or the shared horse/zebra training photos through tfstyle's pipeline")
    parser.add_argument("--keras-adam", action="store_true", help="compile tfstyle with keras.optimizers.Adam instead")
    args = parser.parse_args()

    import keras
    import torch

    import _torch_cyclegan as ref
    from _timing import usable_cores
    from tfstyle import CycleGAN

    torch.set_num_threads(usable_cores())
    keras.utils.set_random_seed(0)
    ours = CycleGAN(image_size=args.size, n_blocks=args.blocks, ngf=args.ngf, pool_size=args.pool_size, seed=0)
    if args.keras_adam:
        ours.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    else:
        ours.compile()
    theirs = ref.CycleGAN(n_blocks=args.blocks, ngf=args.ngf, pool_size=args.pool_size)
    pairs = ((theirs.g_ab, ours.generator_ab), (theirs.g_ba, ours.generator_ba), (theirs.d_a, ours.discriminator_a),
             (theirs.d_b, ours.discriminator_b))  # fmt: skip
    for torch_net, keras_net in pairs:
        ref.load_keras_weights(torch_net, keras_net)
    if args.steps > 3:
        return follow(args, ours, theirs, ref, torch)
    rng = np.random.default_rng(0)
    for step, (a, b) in enumerate(inputs(args, rng)):  # the pools are still filling: no randomness yet
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
            print(f"  {name} after the step: largest weight difference {worst[1]:.2e} in {worst[0]}; "
                  f"{100 * _flipped(torch_net, keras_net):.2f} % of kernel elements apart by more than lr/2")  # fmt: skip


def inputs(args, rng):
    """`args.steps` (a, b) batches: uniform noise, or the shared training photos as tfstyle's pipeline jitters them."""
    if args.data == "noise":
        for _ in range(args.steps):
            yield tuple(rng.uniform(-1, 1, (1, args.size, args.size, 3)).astype(np.float32) for _ in range(2))
        return
    import pathlib
    import tempfile

    from learning_parity import split_domains
    from tfstyle.data import load_unpaired

    root = split_domains(pathlib.Path(tempfile.gettempdir()) / "tfstyle-h2z-split")
    data = load_unpaired(str(root), "train", image_size=args.size, batch_size=1, seed=0).repeat()
    for a, b in data.take(args.steps):
        yield a.numpy(), b.numpy()


def follow(args, ours, theirs, ref, torch):
    """Trains tfstyle, the reference and a perturbed copy of the reference side by side; prints the drift."""
    twin = copy.deepcopy(theirs)
    with torch.no_grad():  # the chaos floor: the same start, nudged by float32 rounding
        for net in (twin.g_ab, twin.g_ba, twin.d_a, twin.d_b):
            for p in net.parameters():
                p.mul_(1 + 1e-7 * torch.randn_like(p))
    twin.g_opt = torch.optim.Adam([p for n in (twin.g_ab, twin.g_ba) for p in n.parameters()], 2e-4, betas=(0.5, 0.999))
    twin.d_opt = torch.optim.Adam([p for n in (twin.d_a, twin.d_b) for p in n.parameters()], 2e-4, betas=(0.5, 0.999))
    start = _flat_torch(theirs.g_ab)
    report = sorted({1, 3, 10, 30, 100, 300, 1000, args.steps} & set(range(1, args.steps + 1)))
    sums = {"tfstyle": [], "twin": []}
    print("step | g_loss tfstyle / reference / twin | G_AB drift from the reference, relative to its movement: "
          "tfstyle, twin")  # fmt: skip
    for step, (a, b) in enumerate(inputs(args, np.random.default_rng(0)), start=1):
        ours.reset_metrics()
        g_k = float(ours.train_step((a, b))["g_loss"])
        g_t = theirs.step(ref.to_torch(a), ref.to_torch(b))["g_loss"]
        g_w = twin.step(ref.to_torch(a), ref.to_torch(b))["g_loss"]
        sums["tfstyle"].append(g_k - g_t)
        sums["twin"].append(g_w - g_t)
        if step in report:
            moved = np.linalg.norm(_flat_torch(theirs.g_ab) - start)
            drift_k = np.linalg.norm(_flat_keras(ours.generator_ab) - _flat_torch(theirs.g_ab)) / moved
            drift_w = np.linalg.norm(_flat_torch(twin.g_ab) - _flat_torch(theirs.g_ab)) / moved
            print(f"{step} | {g_k:.4f} / {g_t:.4f} / {g_w:.4f} | {drift_k:.3g}, {drift_w:.3g}", flush=True)
    for name, diffs in sums.items():
        print(f"g_loss − reference's over {args.steps} steps, {name}: mean {np.mean(diffs):+.4f}, "
              f"mean |·| {np.mean(np.abs(diffs)):.4f}")  # fmt: skip


def _flipped(torch_net, keras_net):
    """Fraction of kernel elements more than lr/2 apart: after one Adam step (±lr each), those that moved the other
    way than in the reference, i.e. whose gradients differ in sign (rounding noise where the gradient is ~0)."""
    return float(np.mean(np.abs(_flat_keras(keras_net) - _flat_torch(torch_net)) > 1e-4))


def _flat_torch(net):
    from torch import nn

    modules = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    return np.concatenate([m.weight.detach().numpy().ravel() for m in modules])


def _flat_keras(net):
    kernels = net.weights[0::2]  # (kernel, bias) pairs, as load_keras_weights copies them
    return np.concatenate([np.asarray(k).transpose(3, 2, 0, 1).ravel() for k in kernels])


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
