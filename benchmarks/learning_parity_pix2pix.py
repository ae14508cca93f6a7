"""Learning parity for Pix2Pix: tfstyle and a PyTorch reference (benchmarks/_torch_pix2pix.py) with the same
settings, data and number of steps, over several seeds; scored on held-out facades.

Data: the shared facades pairs (../shared/data/facades_sample/train, side by side photo | labels), labels → photo
(BtoA); every 4th pair in number order is held out (8), the other 24 train. Settings (the paper's, at 128 px):
U-Net-128 (7 downsamplings) + 70×70 PatchGAN with batch norm, vanilla GAN loss + 100·L1, batch 1, Adam(2e-4,
β1 0.5), N(0, 0.02) init, constant learning rate, jitter = resize to 144 (bicubic) + random 128 crop + flip, the
same for both halves. Scores on the 8 held-out pairs, generators in inference mode (batch norm's running
statistics, no dropout) on both sides: L1 and SSIM against the real photos, and KID (×1000; one set of all 8
outputs against the 8 photos, on globally average-pooled block4_conv3 features of the offline HED VGG-16).

    python benchmarks/learning_parity_pix2pix.py --seeds 0,1,2 --steps 480 [--out /tmp/parity_p2p]
"""

import argparse
import os
import pathlib
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bf16_quality import facades_split  # noqa: E402
from _timing import usable_cores  # noqa: E402
from hed_vgg16 import convert  # noqa: E402

SIZE = 128


def train_tfstyle(root, steps, seed, out):
    import keras

    import tfstyle

    class StopAt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.model.iterations_done() >= steps:
                self.model.stop_training = True

    start = time.perf_counter()
    model = tfstyle.train("pix2pix", out / f"tfstyle_seed{seed}", verbose=0, callbacks=[StopAt()], dataset=str(root),
                          direction="BtoA", image_size=SIZE, epochs=-(-steps // 24), epochs_decay=0, seed=seed,
                          precision="float32")  # fmt: skip
    seconds = time.perf_counter() - start
    return {"generate": lambda x: np.asarray(model.generator(x, training=False)), "seconds": seconds,
            "steps": model.iterations_done()}  # fmt: skip


def train_torch(root, steps, seed):
    import torch
    from PIL import Image

    import _torch_pix2pix as ref
    from _torch_cyclegan import to_torch
    from tfstyle.data.pipeline import default_load_size

    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(usable_cores())
    load = default_load_size(SIZE)

    def pair(path):  # (labels, photo): the right half is the input in BtoA
        image = Image.open(path).convert("RGB")
        w, h = image.size
        halves = [image.crop((w // 2, 0, w, h)), image.crop((0, 0, w // 2, h))]
        return np.concatenate([np.asarray(x.resize((load, load), Image.BICUBIC), np.float32) / 127.5 - 1
                               for x in halves], -1)  # fmt: skip

    pairs = [pair(p) for p in sorted((root / "train").iterdir())]
    model = ref.Pix2Pix(num_downs=7)
    done, start = 0, time.perf_counter()
    while done < steps:  # epochs: every pair once, shuffled, with its own crop and flip (both halves alike)
        for index in np.random.permutation(len(pairs)):
            top, left = random.randint(0, load - SIZE), random.randint(0, load - SIZE)
            both = pairs[index][top : top + SIZE, left : left + SIZE]
            both = both[:, ::-1] if random.random() < 0.5 else both
            model.step(to_torch(both[None, ..., :3]), to_torch(both[None, ..., 3:]))
            done += 1
            if done == steps:
                break
    seconds = time.perf_counter() - start
    model.generator.eval()

    def generate(x):
        with torch.no_grad():
            return model.generator(to_torch(x)).numpy().transpose(0, 2, 3, 1)

    return {"generate": generate, "seconds": seconds, "steps": done}


def score(result, inputs, photos, features):
    import tensorflow as tf

    from tfstyle.metrics import kernel_inception_distance

    fakes = result["generate"](inputs)
    unit = lambda x: (x + 1) / 2  # noqa: E731
    kid, _ = kernel_inception_distance(features(photos), features(fakes), subsets=1, subset_size=len(photos))
    return {"l1": float(np.abs(unit(fakes) - unit(photos)).mean()),
            "ssim": float(tf.reduce_mean(tf.image.ssim(unit(photos), unit(fakes), max_val=1.0))),
            "kid": 1000 * kid, "fakes": fakes}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps", type=int, default=480)
    parser.add_argument("--out", default="/tmp/parity_p2p")
    args = parser.parse_args()

    import platform
    import tempfile

    import keras
    import tensorflow as tf

    from tfstyle.data import load_paired, write_image
    from tfstyle.style.features import FeatureExtractor
    from tfstyle.training.callbacks import image_grid

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    root = facades_split()
    held_out = [(x.numpy(), y.numpy()) for x, y in load_paired(str(root), "val", SIZE, direction="BtoA", batch_size=1)]
    inputs, photos = np.concatenate([x for x, _ in held_out]), np.concatenate([y for _, y in held_out])
    vgg = FeatureExtractor(["block4_conv3"], "vgg16", convert(), "max")

    def features(images):
        return tf.reduce_mean(vgg((images + 1) / 2)["block4_conv3"], axis=[1, 2]).numpy()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; {SIZE} px, {args.steps} "
          f"steps; {len(inputs)} held-out pairs")  # fmt: skip
    print("| seed | implementation | L1 | SSIM | KID ×1000 | steps | ms/step |")
    print("|---|---|---|---|---|---|---|")
    rows, columns = [], [(inputs[:4] + 1) * 127.5, (photos[:4] + 1) * 127.5]
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="parity-p2p-"))
    seeds = [int(s) for s in args.seeds.split(",")]
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        for name, result in (("tfstyle", train_tfstyle(root, args.steps, seed, scratch)),
                             ("PyTorch reference", train_torch(root, args.steps, seed))):  # fmt: skip
            scores = score(result, inputs, photos, features)
            if seed == seeds[0]:
                columns.append((scores["fakes"][:4] + 1) * 127.5)
            rows.append((name, scores))
            print(f"| {seed} | {name} | {scores['l1']:.4f} | {scores['ssim']:.4f} | {scores['kid']:.0f} | "
                  f"{result['steps']} | {1000 * result['seconds'] / result['steps']:.0f} |", flush=True)  # fmt: skip
    for name in ("tfstyle", "PyTorch reference"):
        mine = [s for n, s in rows if n == name]
        cells = [f"{np.mean(v):{f}} ({min(v):{f}}–{max(v):{f}})"
                 for v, f in (([s[k] for s in mine], f) for k, f in (("l1", ".4f"), ("ssim", ".4f"), ("kid", ".0f")))]
        print(f"| mean | {name} | " + " | ".join(cells) + " | | |")
    grid = image_grid([np.clip(c, 0, 255).astype(np.uint8) for c in columns])
    write_image(out / "outputs.png", grid)
    print(f"written: {out}/outputs.png (columns: labels, photo, tfstyle, PyTorch reference; first seed)")


if __name__ == "__main__":
    main()
