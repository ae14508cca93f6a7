"""float32 against mixed_bfloat16 at the same budget: the same short real-data runs, held-out metrics over time.

Each run goes through `tfstyle.train` (the library's own training path) with `precision` fixed, and a callback
scores held-out images every `--every` steps, timing training only (evaluation time is left out):
  pix2pix    facades from ../shared/data/facades_sample (every 4th pair held out: 24 train, 8 held-out), label map
             -> photo, 128 px, the paper's settings; held-out L1 (lower is better) and SSIM.
  faststyle  the shared photos (benchmarks/_photos.py split), Starry Night, the offline HED VGG-16 features
             (benchmarks/hed_vgg16.py), 128 px, batch 4; the training objective and its content and style terms
             (lower is better) on all 100 held-out photos, judged for every run by one float32 loss network on the
             network as a run saves it (float32 compute), so a bf16 run is not scored by a bf16 VGG.
Tolerance: a run's result is its held-out metric averaged over the last quarter of the evaluations (a GAN's
held-out L1 moves by ±5 % from one evaluation to the next). bfloat16 counts as equal quality when its result
averaged over seeds, differs from float32's by no more than two float32 runs of different seeds differ from each
other (the noise every run has anyway), or by at most 5 % of the metric, whichever is larger. The plot shows
every curve against steps and against training seconds.

Run: python benchmarks/bf16_quality.py pix2pix --steps 600   |   python benchmarks/bf16_quality.py faststyle --steps 300
"""

import argparse
import json
import os
import pathlib
import shutil
import tempfile
import time

import keras

from _photos import SHARED, STYLES, link_split, photo_split

HED_WEIGHTS = os.path.expanduser("~/.keras/models/vgg16_hed_notop.weights.h5")
TOLERANCE = 0.05  # relative floor of the tolerance (see the module docstring)
# held-out metrics compared per kind; for fast style the training objective (weighted content + style) comes first:
# early in training the two terms trade off run to run
METRICS = {"pix2pix": ("l1", "ssim"), "faststyle": ("loss", "content", "style")}


class HeldOut(keras.callbacks.Callback):
    """Every `every` steps: `score(model)` on held-out data, with the training seconds spent so far."""

    def __init__(self, score, every):
        super().__init__()
        self.score, self.every, self.rows = score, every, []
        self.steps, self.train_seconds, self.started = 0, 0.0, None

    def on_train_batch_begin(self, batch, logs=None):
        self.started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.train_seconds += time.perf_counter() - self.started
        self.steps += 1
        if self.steps % self.every == 0:
            scores = self.score(self.model)
            self.rows.append({"step": self.steps, "seconds": self.train_seconds, **scores})
            print(f"  step {self.steps}: {self.train_seconds:.0f} s, " +
                  ", ".join(f"{k} {v:.4g}" for k, v in scores.items()), flush=True)  # fmt: skip


def facades_split():
    """train/ and val/ folders of links to the shared facades pairs (every 4th pair held out)."""
    source = SHARED / "facades_sample" / "train"
    pairs = sorted(source.iterdir(), key=lambda p: int(p.stem) if p.stem.isdigit() else p.stem)
    return link_split(pairs, pathlib.Path(tempfile.gettempdir()) / "tfstyle-facades-split", 4, held_out="val")

def run_evaluate(data):
    """Scores with the model's own `evaluate`, in the run's precision (Pix2Pix's L1 and SSIM)."""
    return lambda model: model.evaluate(data, verbose=0, return_dict=True)


class Float32Judge:
    """Scores a fast-style run's network as it ships (`float32_model`: float32 compute, the trained weights) with one
    float32 FastStyle loss network, built once before any run, so every precision is judged on the same scale."""

    def __init__(self, settings, data):
        from tfstyle.style.faststyle import FastStyle, style_image

        self.data = data
        self.judge = FastStyle(vgg_weights=settings["vgg_weights"])
        self.judge.compile(style_image=style_image(settings["style"]))

    def __call__(self, model):
        from tfstyle.models.precision import float32_model

        network = float32_model(model.stylizer)
        terms = [self.judge.objective(x, network(x, training=False)) for x in self.data]
        return {name: float(sum(t[name] for t in terms) / len(terms)) for name in METRICS["faststyle"]}


def experiment(kind, steps):
    """(settings for tfstyle.train, held-out scorer) of one kind; the scorer is built in float32."""
    from tfstyle.data import load_paired
    from tfstyle.data.images import load_images

    if kind == "pix2pix":
        root = facades_split()
        settings = {"dataset": str(root), "direction": "BtoA", "image_size": 128, "epochs": max(1, steps // 24)}
        held_out = load_paired(str(root), "val", 128, direction="BtoA", batch_size=1)
        return settings, run_evaluate(held_out)
    if not os.path.exists(HED_WEIGHTS):
        raise SystemExit(f"{HED_WEIGHTS} missing: run python benchmarks/hed_vgg16.py first")
    root = photo_split()
    settings = {"dataset": str(root), "style": str(STYLES / "starry_night.jpg"), "vgg_weights": HED_WEIGHTS,
                "image_size": 128, "epochs": max(1, -(-steps // 275))}  # fmt: skip
    held_out = load_images(str(root), "test", 128, batch_size=4, shuffle=False)
    return settings, Float32Judge(settings, held_out)


def train_one(kind, precision, seed, steps, every, out):
    import tfstyle

    settings, score = experiment(kind, steps)
    callback = HeldOut(score, every)
    stop = StopAt(steps)
    shutil.rmtree(out, ignore_errors=True)
    tfstyle.train(kind, out=out, verbose=0, callbacks=[callback, stop], precision=precision, seed=seed,
                  **settings)  # fmt: skip
    return callback.rows


class StopAt(keras.callbacks.Callback):
    """Stops training after `steps` optimiser steps (epochs are whole passes; the budget is in steps)."""

    def __init__(self, steps):
        super().__init__()
        self.steps, self.done = steps, 0

    def on_train_batch_end(self, batch, logs=None):
        self.done += 1
        if self.done >= self.steps:
            self.model.stop_training = True


def verdict(curves, metrics):
    """Per metric: each run's result, the mean over seeds per precision, their difference, the tolerance, verdict."""
    lines = []
    for metric in metrics:
        result = {name: _tail_mean(rows, metric) for name, rows in curves.items()}
        fp32 = [v for name, v in result.items() if name.startswith("float32")]
        bf16 = [v for name, v in result.items() if name.startswith("mixed_bfloat16")]
        fp32_mean, bf16_mean = sum(fp32) / len(fp32), sum(bf16) / len(bf16)
        tolerance = max(max(fp32) - min(fp32), TOLERANCE * abs(fp32_mean))
        difference = bf16_mean - fp32_mean
        lines.append(f"| {metric} | {', '.join(f'{v:.4g}' for v in fp32)} | {', '.join(f'{v:.4g}' for v in bf16)} | "
                     f"{difference:+.3g} ({difference / fp32_mean:+.1%}) | {tolerance:.3g} | "
                     f"{'yes' if abs(difference) <= tolerance else 'no'} |")  # fmt: skip
    return ("| held-out metric | float32 runs | bfloat16 runs | bf16 − float32, means | tolerance | equal |\n"
            "|---|---|---|---|---|---|\n" + "\n".join(lines))  # fmt: skip


def _tail_mean(rows, metric):
    """Mean of `metric` over the last quarter of the evaluations (at least one)."""
    tail = rows[-max(1, len(rows) // 4):]
    return sum(row[metric] for row in tail) / len(tail)


def plot(curves, metrics, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(metrics), 2, figsize=(10, 3.2 * len(metrics)), squeeze=False)
    for row, metric in enumerate(metrics):
        for col, x in enumerate(("step", "seconds")):
            ax = axes[row][col]
            for name, rows in curves.items():
                style = "-" if name.startswith("float32") else "--"
                ax.plot([r[x] for r in rows], [r[metric] for r in rows], style, marker=".", label=name)
            ax.set_xlabel("training step" if x == "step" else "training seconds")
            ax.set_ylabel(f"held-out {metric}")
            ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=("pix2pix", "faststyle"))
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "tfstyle-bf16"))
    parser.add_argument("--from-json", action="store_true", help="re-plot and re-judge the curves saved in --out")
    args = parser.parse_args()
    from _timing import cpu_report

    cpu_report()
    curves, saved = {}, os.path.join(args.out, f"{args.kind}_curves.json")
    if args.from_json:
        with open(saved) as f:
            curves = json.load(f)
    for seed in [int(s) for s in args.seeds.split(",")]:
        for precision in ("float32", "mixed_bfloat16"):
            name = f"{precision} seed {seed}"
            if name in curves:
                continue
            print(name, flush=True)
            curves[name] = train_one(args.kind, precision, seed, args.steps, args.every,
                                     os.path.join(args.out, args.kind, name.replace(" ", "_")))  # fmt: skip
            with open(saved, "w") as f:  # after every run, so an interrupted comparison keeps what it measured
                json.dump(curves, f, indent=1)
    metrics = METRICS[args.kind]
    here = pathlib.Path(__file__).resolve().parent
    plot(curves, metrics, here / f"bf16_quality_{args.kind}.png", f"{args.kind}: float32 vs mixed_bfloat16, "
         f"{args.steps} steps, held-out metrics")  # fmt: skip
    for name, rows in curves.items():
        print(f"{name}: {rows[-1]['seconds']:.0f} s of training for {rows[-1]['step']} steps")
    print(verdict(curves, metrics))


if __name__ == "__main__":
    main()
