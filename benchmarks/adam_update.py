"""One Adam update of a generator's weights: TensorFlow's fused ResourceApplyAdam kernel (what
`tfstyle.training.Adam` runs) against the same Algorithm-1 update written as element-wise ops (what it ran before,
and what it still runs for sparse gradients), and against `torch.optim.Adam` on the same number of weights.

Run: python benchmarks/adam_update.py [--model unet|resnet9] [--runs 10]   (PyTorch optional)
"""

import argparse

import numpy as np
import tensorflow as tf

from tfstyle.training.optimizers import Adam


class ElementwiseAdam(Adam):
    """tfstyle's Adam forced onto its element-wise path (the update before the fused kernel)."""

    def update_step(self, gradient, variable, learning_rate):
        return self._update_step_ops(gradient, variable, learning_rate)


def tf_update(optimizer, variables, grads):
    optimizer.build(variables)
    step = tf.function(lambda: optimizer.apply_gradients(zip(grads, variables)))
    step()
    return step


def torch_update(shapes):
    import torch

    from _timing import usable_cores

    torch.set_num_threads(usable_cores())
    params = [torch.nn.Parameter(torch.zeros(s)) for s in shapes]
    for p in params:
        p.grad = torch.randn(p.shape) * 1e-3
    optimizer = torch.optim.Adam(params, 2e-4, betas=(0.5, 0.999))
    optimizer.step()
    return optimizer.step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="unet", choices=("unet", "resnet9"))
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    from _timing import cpu_report, time_steps
    from tfstyle.models.resnet import resnet_generator
    from tfstyle.models.unet import unet_generator

    cpu_report()
    model = unet_generator(256) if args.model == "unet" else resnet_generator(9)
    variables = model.trainable_variables
    grads = [tf.random.normal(v.shape) * 1e-3 for v in variables]
    print(f"{args.model}: {sum(int(np.prod(v.shape)) for v in variables):,} weights in {len(variables)} variables")
    runners = {
        "tfstyle Adam (fused kernel)": tf_update(Adam(2e-4, beta_1=0.5), variables, grads),
        "tfstyle Adam (element-wise ops)": tf_update(ElementwiseAdam(2e-4, beta_1=0.5), variables, grads),
    }
    try:
        runners["torch.optim.Adam"] = torch_update([tuple(v.shape) for v in variables])
    except ImportError:
        print("(PyTorch not installed: its row is left out)")
    times = {name: [] for name in runners}
    for _ in range(2):  # alternate: the machine is noisy
        for name, run in runners.items():
            times[name].append(time_steps(run, args.runs))
    print("| update | ms (median per round) | best ms |\n|---|---|---|")
    for name, t in times.items():
        print(f"| {name} | {', '.join(f'{x * 1e3:.1f}' for x in t)} | {min(t) * 1e3:.1f} |")


if __name__ == "__main__":
    main()
