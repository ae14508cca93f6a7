"""Gatys style transfer, tfstyle vs a small PyTorch implementation of the same algorithm, side by side.

Same network and weights (Keras VGG-19, random init, copied into PyTorch: timing only, say so), same layers
(the PyTorch tutorial's: content block2_conv2, style block1_conv1…block3_conv1, post-ReLU features), same
losses (content MSE, Gram/(N·M) MSE, weights 1 and 1e6), same image size, L-BFGS on both sides.

Part 1: seconds per L-BFGS function evaluation (one forward + backward) for both, alternating over rounds.
Part 2: wall time to reach the loss PyTorch reaches after `--evals` evaluations (the tutorial's 300); tfstyle
may use its multi-scale mode.

Run: python benchmarks/gatys_vs_torch.py [--size 384] [--evals 300] [--timing-evals 15] [--rounds 3]
          [--plot benchmarks/gatys_vs_torch.png] [--scipy]

`--scipy` adds a single-scale run with SciPy's float64 L-BFGS-B (`optimizer="lbfgs-b"`, tfstyle's optimiser before
session 20) to part 2, next to the float32 L-BFGS that `stylize` uses.
"""

import argparse
import os
import time

import keras
import numpy as np
import tensorflow as tf
import torch

from _timing import usable_cores
from tfstyle.data import read_image
from tfstyle.style import stylize
from tfstyle.style.presets import settings_for

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
MEAN_BGR = torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)


class TorchVGG(torch.nn.Module):
    """VGG-19 up to the last needed layer, with the Keras weights (post-ReLU outputs like keras.applications)."""

    def __init__(self, keras_vgg, layers):
        super().__init__()
        self.layers, self.modules_ = layers, torch.nn.ModuleList()
        self.names = []
        for layer in keras_vgg.layers[1:]:
            if isinstance(layer, keras.layers.Conv2D):
                kernel, bias = layer.get_weights()
                conv = torch.nn.Conv2d(kernel.shape[2], kernel.shape[3], 3, padding=1)
                conv.weight.data = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
                conv.bias.data = torch.from_numpy(bias)
                self.modules_.append(torch.nn.Sequential(conv, torch.nn.ReLU()))
            else:
                self.modules_.append(torch.nn.MaxPool2d(2))
            self.names.append(layer.name)
            if layer.name == layers[-1]:
                break
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, image_unit):
        x = image_unit.flip(1) * 255.0 - MEAN_BGR  # caffe preprocessing: RGB→BGR, mean subtraction
        out = {}
        for name, module in zip(self.names, self.modules_):
            x = module(x)
            if name in self.layers:
                out[name] = x
        return out


def gram(f):
    b, c, h, w = f.shape
    flat = f.view(c, h * w)
    return flat @ flat.t() / (c * h * w)


def torch_run(vgg, content, style, s, evals, size):
    content_t = torch.from_numpy(content.transpose(2, 0, 1)[None].copy())
    style_t = torch.from_numpy(style.transpose(2, 0, 1)[None].copy())
    with torch.no_grad():
        c_targets = {n: vgg(content_t)[n] for n in s.content_layers}
        s_targets = {n: gram(f) for n, f in vgg(style_t).items() if n in s.style_layers}
    image = content_t.clone().requires_grad_(True)
    # The tutorial's LBFGS (lr 1, no line search) but history 20, not its default 100: with these random
    # weights history 100 diverges (measured at 256 px: loss 2.4e7 after 300 evaluations), 20 converges.
    optimizer = torch.optim.LBFGS([image], history_size=20)
    state = {"evals": 0, "loss": None, "times": [], "losses": [], "wall": [], "start": 0.0}

    def closure():
        start = time.perf_counter()
        with torch.no_grad():
            image.clamp_(0, 1)
        optimizer.zero_grad()
        feats = vgg(image)
        content_loss = sum(torch.nn.functional.mse_loss(feats[n], c_targets[n]) for n in s.content_layers)
        style_loss = sum(torch.nn.functional.mse_loss(gram(feats[n]), s_targets[n]) for n in s.style_layers)
        loss = s.content_weight * content_loss + s.style_weight * style_loss
        loss.backward()
        state["evals"] += 1
        state["loss"] = float(loss)
        state["losses"].append(state["loss"])
        state["wall"].append(time.perf_counter() - state["start"])
        state["times"].append(time.perf_counter() - start)
        return loss

    start = state["start"] = time.perf_counter()
    while state["evals"] < evals:
        optimizer.step(closure)
    return time.perf_counter() - start, state


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--evals", type=int, default=300)
    parser.add_argument("--timing-evals", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    default_plot = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gatys_vs_torch.png")
    parser.add_argument("--plot", default=default_plot, help="where the loss-against-time plot goes")
    parser.add_argument("--scipy", action="store_true", help="also time SciPy's L-BFGS-B (single-scale)")
    args = parser.parse_args()
    torch.set_num_threads(usable_cores())
    keras.utils.set_random_seed(0)
    s = settings_for("pytorch-tutorial", max_size=args.size)
    weights_file = "/tmp/vgg19_random_notop.weights.h5"
    keras_vgg = keras.applications.VGG19(include_top=False, weights=None, input_shape=(None, None, 3))
    keras_vgg.save_weights(weights_file)
    vgg = TorchVGG(keras_vgg, list(s.style_layers) + [n for n in s.content_layers if n not in s.style_layers])
    content = read_image(os.path.join(DATA, "horse2zebra_sample", "trainA", "n02381460_1001.jpg"))
    style = read_image(os.path.join(DATA, "styles", "starry_night.jpg"))
    as_unit = lambda im: tf.image.resize(im, [args.size, args.size], antialias=True).numpy().astype(np.float32) / 255.0  # noqa: E731
    content_u, style_u = as_unit(content), as_unit(style)
    common = dict(preset="pytorch-tutorial", weights=weights_file, max_size=args.size, progress=False)
    content_sq, style_sq = (np.round(x * 255).astype(np.uint8) for x in (content_u, style_u))

    # Part 1: seconds per evaluation, alternating over rounds (the machine is noisy)
    rows = {"PyTorch 2.13": [], "tfstyle": []}
    for _ in range(args.rounds):
        _, torch_state = torch_run(vgg, content_u, style_u, s, args.timing_evals, args.size)
        rows["PyTorch 2.13"].append(float(np.median(torch_state["times"][2:])))
        stamps = []  # (time, evaluations so far) after each L-BFGS iteration
        stylize(content_sq, style_sq, steps=args.timing_evals, max_evaluations=args.timing_evals,
                callback=lambda step, image, losses: stamps.append((time.perf_counter(), losses["evaluations"])),
                **common)  # fmt: skip
        times, counts = np.array(stamps).T
        rows["tfstyle"].append(float(np.median(np.diff(times)[1:] / np.diff(counts)[1:])))  # skips the tracing one
    torch_best = min(rows["PyTorch 2.13"])
    print(f"image {args.size}x{args.size}, VGG-19 random weights (identical in both), 2 threads, "
          f"{args.timing_evals} evaluations per round\n")
    print("| implementation | s/evaluation (median per round) | best | vs PyTorch |\n|---|---|---|---|")
    for name, values in rows.items():
        print(f"| {name} | {', '.join(f'{v:.3f}' for v in values)} | {min(values):.3f} | {min(values) / torch_best:.2f}x |")
    if args.evals <= 0:
        return

    # Part 2: time to the loss PyTorch reaches in `evals` evaluations, with each loss curve against wall time
    torch_time, torch_state = torch_run(vgg, content_u, style_u, s, args.evals, args.size)
    target = torch_state["loss"]
    print(f"PyTorch: loss {target:.4g} after {torch_state['evals']} evaluations in {torch_time:.1f} s")
    curves = {"PyTorch 2.13 (L-BFGS)": (torch_state["wall"], torch_state["losses"])}
    runs = [("single-scale", False, "lbfgs"), ("multi-scale", True, "lbfgs")]
    if args.scipy:
        runs.append(("single-scale, SciPy L-BFGS-B", False, "lbfgs-b"))
    for label, multiscale, optimizer in runs:
        reached, points = {}, []
        start = time.perf_counter()

        def stop_at_target(step, image, losses):
            if losses["level"] == 1.0:  # the full-size loss only: coarser levels' losses are not comparable
                points.append((time.perf_counter() - start, losses["total"]))
                if losses["total"] <= target and "t" not in reached:
                    reached["t"], reached["step"] = time.perf_counter() - start, step
                    raise StopIteration

        try:
            stylize(content_sq, style_sq, steps=args.evals * 2, max_evaluations=args.evals * 4,
                    multiscale=multiscale, optimizer=optimizer, callback=stop_at_target, **common)  # fmt: skip
        except StopIteration:
            pass
        curves[f"tfstyle {label}"] = tuple(np.array(points).T) if points else ([], [])
        if "t" in reached:
            print(f"tfstyle {label}: reached {target:.4g} in {reached['t']:.1f} s ({reached['t'] / torch_time:.2f}x PyTorch)")
        else:
            print(f"tfstyle {label}: did not reach {target:.4g} within the budget ({time.perf_counter() - start:.1f} s)")
    plot_curves(curves, target, args.size, args.plot)


def plot_curves(curves, target, size, path):
    """Loss against wall time for each implementation (log scale), with PyTorch's final loss as the target line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, (seconds, losses) in curves.items():
        ax.plot(seconds, losses, label=name)
    ax.axhline(target, color="grey", linestyle=":", label="PyTorch's final loss (the target)")
    ax.set_yscale("log")
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel("total loss at full size")
    ax.set_title(f"Gatys at {size} px: loss against time (multi-scale points start at full size)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


if __name__ == "__main__":
    main()
