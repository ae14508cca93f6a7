"""Learning parity: CycleGAN in tfstyle and in a PyTorch reference (benchmarks/_torch_cyclegan.py) with the same
settings, data and number of steps, over several seeds; scored on held-out images.

Data: the shared photos (../shared/data/photos): horses are domain A, zebras domain B; every 5th file of each
animal in name order (120 + 120) is held out, the other 480 + 480 train. Settings (the reference's, small): 64 px
crops from images resized to 72 (bicubic), flips, ngf 32, 6 residual blocks, batch 1, LSGAN, λ 10, identity 0.5,
pools of 50, Adam(2e-4, β1 0.5), N(0, 0.02) init, constant learning rate. Scores: KID (×1000; unbiased, cubic
kernel, 50 subsets of 100) between translated held-out horses and held-out zebras on globally average-pooled
block4_conv3 features of VGG-16 (the offline HED weights, benchmarks/hed_vgg16.py); cycle L1 and identity L1 on
the held-out images. Writes a loss plot and a grid of outputs next to the table.

    python benchmarks/learning_parity.py --seeds 0,1,2 --epochs 2 [--size 64] [--out benchmarks/parity]
"""

import argparse
import os
import pathlib
import platform
import random
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _photos import PHOTOS, link_split  # noqa: E402
from _timing import usable_cores  # noqa: E402
from hed_vgg16 import convert  # noqa: E402

HELD_OUT_EVERY = 5


def split_domains(root):
    """trainA/ trainB/ testA/ testB/ folders of links: horses (A) and zebras (B), every 5th held out."""
    for animal, domain in (("horse", "A"), ("zebra", "B")):
        photos = sorted(PHOTOS.glob(f"{animal}_*.jpg"), key=lambda p: p.name)
        link_split(photos, root, HELD_OUT_EVERY, held_out=f"test{domain}", train=f"train{domain}")
    return pathlib.Path(root)

def held_out(root, domain, size):
    from tfstyle.data import folder_images

    return folder_images(root / f"test{domain}", size)


def train_tfstyle(root, args, seed, out):
    import keras

    import tfstyle

    losses = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            losses.append(float(logs["g_loss"]))

    start = time.perf_counter()
    model = tfstyle.train("cyclegan", out / f"tfstyle_seed{seed}", verbose=0, callbacks=[Record()],
                          dataset=str(root), image_size=args.size, ngf=32, n_blocks=6, batch_size=1,
                          epochs=args.epochs, epochs_decay=0, seed=seed, precision="float32")  # fmt: skip
    seconds = time.perf_counter() - start
    run = lambda net: lambda x: np.asarray(net(x, training=False))  # noqa: E731
    steps_per_epoch = model.iterations_done() // args.epochs
    return {"g_ab": run(model.generator_ab), "g_ba": run(model.generator_ba),
            "losses": _unroll(losses, steps_per_epoch), "seconds": seconds, "steps": model.iterations_done()}  # fmt: skip


def _unroll(running_means, steps_per_epoch):
    """Per-step values from Keras's running means, which restart every epoch: x_n = n·mean_n − (n − 1)·mean_(n−1)."""
    values = []
    for index, mean in enumerate(running_means):
        n = index % steps_per_epoch + 1
        values.append(n * mean - (n - 1) * running_means[index - 1] if n > 1 else mean)
    return values


def train_torch(root, args, seed):
    import torch
    from PIL import Image

    import _torch_cyclegan as ref

    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(usable_cores())
    load = round(args.size * 286 / 256 / 2) * 2

    def images(domain):
        return [np.asarray(Image.open(p).convert("RGB").resize((load, load), Image.BICUBIC), np.float32) / 127.5 - 1
                for p in sorted((root / f"train{domain}").iterdir())]  # fmt: skip

    domain_a, domain_b = images("A"), images("B")

    def augment(image):  # the reference's RandomCrop + RandomHorizontalFlip
        top, left = random.randint(0, load - args.size), random.randint(0, load - args.size)
        crop = image[top : top + args.size, left : left + args.size]
        return crop[:, ::-1] if random.random() < 0.5 else crop

    model = ref.CycleGAN(n_blocks=6, ngf=32)
    losses, start = [], time.perf_counter()
    for _ in range(args.epochs):  # an epoch: every A once (shuffled), each with a random B (the reference's loader)
        for index in np.random.permutation(len(domain_a)):
            a = augment(domain_a[index])[None]
            b = augment(domain_b[random.randint(0, len(domain_b) - 1)])[None]
            losses.append(model.step(ref.to_torch(a), ref.to_torch(b))["g_loss"])
    seconds = time.perf_counter() - start

    def run(net):
        def apply(x):
            with torch.no_grad():
                return net(ref.to_torch(x)).numpy().transpose(0, 2, 3, 1)

        return apply

    return {"g_ab": run(model.g_ab), "g_ba": run(model.g_ba), "losses": losses, "seconds": seconds,
            "steps": len(losses)}


def score(result, horses, zebras, features):
    from tfstyle.metrics import kernel_inception_distance

    fake_b = np.concatenate([result["g_ab"](horses[i : i + 8]) for i in range(0, len(horses), 8)])
    rec_a = np.concatenate([result["g_ba"](fake_b[i : i + 8]) for i in range(0, len(fake_b), 8)])
    same_b = np.concatenate([result["g_ab"](zebras[i : i + 8]) for i in range(0, len(zebras), 8)])
    kid, kid_std = kernel_inception_distance(features(zebras), features(fake_b), subsets=50, subset_size=100)
    return {"kid": 1000 * kid, "kid_std": 1000 * kid_std, "cycle_l1": float(np.abs(rec_a - horses).mean() / 2),
            "identity_l1": float(np.abs(same_b - zebras).mean() / 2), "fake_b": fake_b}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--out", default="benchmarks/parity")
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    from tfstyle.data import write_image
    from tfstyle.style.features import FeatureExtractor
    from tfstyle.training.callbacks import image_grid

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    root = split_domains(pathlib.Path(tempfile.gettempdir()) / "tfstyle-h2z-split")
    horses, zebras = held_out(root, "A", args.size), held_out(root, "B", args.size)
    vgg = FeatureExtractor(["block4_conv3"], "vgg16", convert(), "max")

    def features(images):  # [-1, 1] -> VGG-16 block4_conv3, averaged over positions
        return np.concatenate([tf.reduce_mean(vgg((images[i : i + 16] + 1) / 2)["block4_conv3"], axis=[1, 2]).numpy()
                               for i in range(0, len(images), 16)])  # fmt: skip

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; {args.size} px, "
          f"{args.epochs} epochs of 480 steps; untranslated horses: KID {1000 * _kid(features(zebras), features(horses)):.0f}")
    rows, curves, grids = [], {}, {}
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="parity-"))
    for seed in (int(s) for s in args.seeds.split(",")):
        keras.utils.set_random_seed(seed)
        for name, result in (("tfstyle", train_tfstyle(root, args, seed, scratch)), ("PyTorch reference", train_torch(root, args, seed))):
            scores = score(result, horses, zebras, features)
            rows.append((seed, name, scores, result))
            curves[(name, seed)] = result["losses"]
            grids.setdefault(seed, [(horses[:6] + 1) * 127.5]).append((scores.pop("fake_b")[:6] + 1) * 127.5)
            print(f"| {seed} | {name} | {scores['kid']:.0f} ± {scores['kid_std']:.0f} | {scores['cycle_l1']:.4f} | "
                  f"{scores['identity_l1']:.4f} | {result['steps']} | {1000 * result['seconds'] / result['steps']:.0f} |",
                  flush=True)  # fmt: skip
    for name in ("tfstyle", "PyTorch reference"):
        kids = [r[2]["kid"] for r in rows if r[1] == name]
        print(f"| mean | {name} | {np.mean(kids):.0f} (seeds {min(kids):.0f}–{max(kids):.0f}) | "
              f"{np.mean([r[2]['cycle_l1'] for r in rows if r[1] == name]):.4f} | "
              f"{np.mean([r[2]['identity_l1'] for r in rows if r[1] == name]):.4f} | | |")  # fmt: skip
    _plot(curves, out / "losses.png")
    for seed, columns in grids.items():
        write_image(out / f"outputs_seed{seed}.png", image_grid([np.clip(c, 0, 255).astype(np.uint8) for c in columns]))
    print(f"written: {out}/losses.png, {out}/outputs_seed*.png (columns: horse, tfstyle, PyTorch reference)")


def _kid(real, fake):
    from tfstyle.metrics import kernel_inception_distance

    return kernel_inception_distance(real, fake, subsets=50, subset_size=100)[0]


def _plot(curves, path, ylabel="generator loss", title="CycleGAN: tfstyle vs PyTorch"):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axis = pyplot.subplots(figsize=(7, 4), dpi=100)
    window = min(50, min(len(values) for values in curves.values()))
    for (name, seed), values in curves.items():
        smooth = np.convolve(values, np.ones(window) / window, mode="valid")
        axis.plot(np.arange(window, len(values) + 1), smooth, label=f"{name}, seed {seed}",
                  linestyle="-" if name == "tfstyle" else "--")  # fmt: skip
    axis.set(xlabel="step", ylabel=f"{ylabel} ({window}-step mean)", title=title)
    axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path)


if __name__ == "__main__":
    main()
