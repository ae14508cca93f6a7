"""Learning parity for fast style transfer: tfstyle's FastStyle and a PyTorch reference (benchmarks/_torch_faststyle.py)
with the same settings, data, loss network and number of steps, over several seeds; scored on held-out photos.

Data: the shared photos as benchmarks/_photos.py splits them (1,100 train, 100 held out: every 12th in name
order). Painting: The Starry Night at its own size (576×448). Settings (the reference's, at 128 px): resize +
centre crop to 128 (bilinear, antialiased), batch 4, content weight 1e5 at relu2_2, style weight 1e10 at relu1_2,
relu2_2, relu3_3, relu4_3, Adam(1e-3), constant learning rate, no augmentation, the offline HED VGG-16 as the loss
network (benchmarks/hed_vgg16.py) on both sides. Each epoch visits every training photo once in a new random
order on both sides: the reference's loader reads COCO in file order, which has nothing to do with content, while
these files are sorted by animal (600 horses, then 600 zebras), so its equivalent here is a shuffle.

Scores, on all 100 held-out photos, with one float32 tfstyle `FastStyle` as the judge of both sides' outputs:
the objective (the training loss) and its content and style terms, lower is better; and the scale-free style
distance to the painting and content distance to the photo of `tfstyle.style.distances` (VGG-16, HED weights).
Writes the training-loss curves of every run on one plot and a grid of held-out outputs side by side.

    python benchmarks/learning_parity_faststyle.py --seeds 0,1,2 --steps 550 [--out /tmp/parity_fs]
    python benchmarks/learning_parity_faststyle.py --one-step    # one update each from identical weights and batch
"""

import argparse
import os
import pathlib
import platform
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _photos import STYLES, photo_split  # noqa: E402
from _timing import usable_cores  # noqa: E402
from hed_vgg16 import convert  # noqa: E402
from learning_parity import _plot, _unroll  # noqa: E402

SIZE = 128
BATCH = 4
PAINTING = STYLES / "starry_night.jpg"
METRICS = (("loss", ".1f"), ("content", ".1f"), ("style", ".1f"), ("style_distance", ".3f"),
           ("content_distance", ".3f"))  # fmt: skip


def train_tfstyle(root, steps, seed, out):
    import keras

    import tfstyle

    losses = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            losses.append(float(logs["loss"]))
            if self.model.iterations_done() >= steps:
                self.model.stop_training = True

    steps_per_epoch = 1100 // BATCH
    start = time.perf_counter()
    model = tfstyle.train("faststyle", out / f"tfstyle_seed{seed}", verbose=0, callbacks=[Record()], dataset=str(root),
                          style=str(PAINTING), vgg_weights=convert(), image_size=SIZE, batch_size=BATCH,
                          epochs=-(-steps // steps_per_epoch), seed=seed, precision="float32")  # fmt: skip
    seconds = time.perf_counter() - start
    return {"stylize": lambda x: np.asarray(model.stylizer(x, training=False)), "seconds": seconds,
            "losses": _unroll(losses, steps_per_epoch), "steps": model.iterations_done()}  # fmt: skip


def training_pixels(root):
    """The training photos as the reference's transform gives them: resize the shorter side to SIZE (PIL bilinear,
    antialiased), centre crop, pixels 0-255 as float32 (N, SIZE, SIZE, 3)."""
    from PIL import Image

    def load(path):
        image = Image.open(path).convert("RGB")
        scale = SIZE / min(image.size)
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.BILINEAR)
        left, top = (image.width - SIZE) // 2, (image.height - SIZE) // 2
        return np.asarray(image.crop((left, top, left + SIZE, top + SIZE)), np.float32)

    return np.stack([load(p) for p in sorted((root / "train").iterdir())])


def reference(seed):
    import torch

    import _torch_faststyle as ref
    from tfstyle.style.faststyle import style_image

    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(usable_cores())
    return ref.FastStyle(style_image(str(PAINTING)).astype(np.float32), ref.VGG16Features(convert()))


def train_torch(root, steps, seed):
    import _torch_faststyle as ref

    photos = training_pixels(root)
    model, losses, start = reference(seed), [], time.perf_counter()
    while len(losses) < steps:  # an epoch: every photo once, in a new random order, whole batches only
        order = np.random.permutation(len(photos))
        for first in range(0, len(order) - BATCH + 1, BATCH):
            losses.append(model.step(ref.to_torch(photos[order[first : first + BATCH]]))["loss"])
            if len(losses) == steps:
                break
    seconds = time.perf_counter() - start
    return {"stylize": model.stylize, "seconds": seconds, "losses": losses, "steps": len(losses)}


class Judge:
    """One float32 FastStyle (objective) and one StyleJudge (distances), the same for every network scored."""

    def __init__(self):
        import tfstyle
        from tfstyle.style.distances import StyleJudge
        from tfstyle.style.faststyle import style_image

        self.painting = style_image(str(PAINTING))
        self.objective = tfstyle.FastStyle(vgg_weights=convert())
        self.objective.compile(style_image=self.painting)
        self.distances = StyleJudge(convert())

    def __call__(self, stylize, photos):
        """Mean scores of `stylize`'s outputs on [-1, 1] photos, and the outputs."""
        outputs = np.concatenate([stylize(photos[i : i + BATCH]) for i in range(0, len(photos), BATCH)])
        terms = [self.objective.objective(photos[i : i + BATCH], outputs[i : i + BATCH])
                 for i in range(0, len(photos), BATCH)]  # fmt: skip
        scores = {name: float(np.mean([t[name] for t in terms])) for name in ("loss", "content", "style")}
        pixels = lambda x: np.clip(np.round((x + 1) * 127.5), 0, 255).astype(np.uint8)  # noqa: E731
        scores["style_distance"] = float(np.mean([self.distances.style_distance(pixels(o), self.painting)
                                                  for o in outputs]))  # fmt: skip
        scores["content_distance"] = float(np.mean([self.distances.content_distance(pixels(o), pixels(p))
                                                    for o, p in zip(outputs, photos)]))  # fmt: skip
        return scores, outputs


def one_step(root):
    """tfstyle and the reference from identical weights on the same batch: losses before, weights after one update."""
    import keras
    import torch

    import _torch_faststyle as ref
    import tfstyle
    from tfstyle.style.faststyle import style_image

    keras.utils.set_random_seed(0)
    model = tfstyle.FastStyle(vgg_weights=convert())
    model.compile(style_image=style_image(str(PAINTING)))
    torch_model = reference(0)
    parameters = sum(p.numel() for p in torch_model.net.parameters())
    print(f"parameters: tfstyle {model.stylizer.count_params():,}, reference {parameters:,}")
    ref.load_keras_weights(torch_model.net, model.stylizer)
    pixels = training_pixels(root)[:BATCH]
    x = pixels / 127.5 - 1.0
    out_tf = np.asarray(model.stylizer(x, training=True))
    with torch.no_grad():
        out_torch = torch_model.net(ref.to_torch(pixels)).numpy().transpose(0, 2, 3, 1) / 127.5 - 1.0
    print(f"network outputs before the step: max |difference| {np.abs(out_tf - out_torch).max():.2e} "
          f"(outputs span {out_tf.min():.2f}..{out_tf.max():.2f})")  # fmt: skip
    convs = [l for l in model.stylizer.layers if type(l).__name__ == "Conv2D"]
    start = {l.name: l.get_weights()[0] for l in convs}
    import tensorflow as tf

    history = model.fit(tf.data.Dataset.from_tensors(x.astype(np.float32)), epochs=1, verbose=0, shuffle=False)
    logs = {name: values[0] for name, values in history.history.items()}
    torch_logs = torch_model.step(ref.to_torch(pixels))
    for name in ("loss", "content", "style"):
        print(f"{name}: tfstyle {logs[name]:.6g}, reference {torch_logs[name]:.6g}, "
              f"relative difference {abs(logs[name] / torch_logs[name] - 1):.1e}")  # fmt: skip
    moved, flipped, total, largest = 0.0, 0, 0, 0.0
    for layer, module in zip(convs, torch_model.net.convs()):
        after_tf = layer.get_weights()[0]
        after_torch = module.weight.detach().numpy().transpose(2, 3, 1, 0)
        step_tf, step_torch = after_tf - start[layer.name], after_torch - start[layer.name]
        largest = max(largest, float(np.abs(step_tf - step_torch).max()))
        flipped += int(np.sum(np.sign(step_tf) != np.sign(step_torch)))
        total += step_tf.size
        moved = max(moved, float(np.abs(step_torch).max()))
    print(f"after one step: largest kernel difference {largest:.2e} (largest move {moved:.2e}, lr 1e-3); "
          f"{flipped} of {total:,} kernel elements ({100 * flipped / total:.2f} %) moved the other way")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps", type=int, default=550)
    parser.add_argument("--out", default="/tmp/parity_fs")
    parser.add_argument("--one-step", action="store_true", help="compare one update from identical weights, then stop")
    args = parser.parse_args()

    import keras

    from _timing import cpu_report
    from tfstyle.data import write_image
    from tfstyle.data.images import load_images
    from tfstyle.training.callbacks import image_grid

    cpu_report()
    root = photo_split()
    if args.one_step:
        one_step(pathlib.Path(root))
        return
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    photos = np.concatenate([x.numpy() for x in load_images(str(root), "test", SIZE, BATCH, shuffle=False)])
    judge = Judge()
    untouched, _ = judge(lambda x: x, photos)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; {SIZE} px, {args.steps} "
          f"steps of {BATCH}; {len(photos)} held-out photos; the photos themselves: "
          + ", ".join(f"{k} {untouched[k]:{f}}" for k, f in METRICS))  # fmt: skip
    print("| seed | implementation | " + " | ".join(k for k, _ in METRICS) + " | steps | ms/step |")
    print("|---|---|" + "---|" * (len(METRICS) + 2))
    rows, curves, columns = [], {}, [(photos[:6] + 1) * 127.5]
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="parity-fs-"))
    seeds = [int(s) for s in args.seeds.split(",")]
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        for name, train in (("tfstyle", lambda: train_tfstyle(root, args.steps, seed, scratch)),
                            ("PyTorch reference", lambda: train_torch(pathlib.Path(root), args.steps, seed))):  # fmt: skip
            result = train()
            scores, outputs = judge(result["stylize"], photos)
            rows.append((name, scores))
            curves[(name, seed)] = result["losses"]
            if seed == seeds[0]:
                columns.append((outputs[:6] + 1) * 127.5)
            print(f"| {seed} | {name} | " + " | ".join(f"{scores[k]:{f}}" for k, f in METRICS) +
                  f" | {result['steps']} | {1000 * result['seconds'] / result['steps']:.0f} |", flush=True)  # fmt: skip
    for name in ("tfstyle", "PyTorch reference"):
        mine = [s for n, s in rows if n == name]
        cells = [f"{np.mean([s[k] for s in mine]):{f}} ({min(s[k] for s in mine):{f}}–{max(s[k] for s in mine):{f}})"
                 for k, f in METRICS]  # fmt: skip
        print(f"| mean | {name} | " + " | ".join(cells) + " | | |")
    _plot(curves, out / "losses.png", ylabel="training loss", title="Fast style: tfstyle vs PyTorch")
    write_image(out / "outputs.png", image_grid([np.clip(c, 0, 255).astype(np.uint8) for c in columns]))
    print(f"written: {out}/losses.png, {out}/outputs.png (columns: photo, tfstyle, PyTorch reference; seed {seeds[0]})")


if __name__ == "__main__":
    main()
