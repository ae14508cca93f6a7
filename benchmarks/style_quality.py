"""Style quality: how far Gatys presets and a fast-style model move photos towards paintings, and at what cost.

For each (photo, painting) pair: the style distance of the result to the painting, its content distance to the
photo (`tfstyle.style.distances`, VGG-16 features), and the wall time; the photo's own style distance and the
painting's content distance to the photo are the baselines. Photos: held-out shared photos (benchmarks/_photos.py),
paintings: ../shared/data/styles. VGG-16 weights: the offline HED backbone (benchmarks/hed_vgg16.py), used both to
stylise (backbone vgg16) and to measure; the painting is taken at the working size (its longer side = the photo's), as `stylize` uses it. A grid
of the pictures is written next to the table.

    python benchmarks/style_quality.py --size 256 --photos 2 [--faststyle RUN] [--presets gatys2016,quality]
        [--paintings starry_night]

A preset may name its optimiser after a colon, e.g. `--presets gatys2016:lbfgs-b,gatys2016` compares SciPy's
L-BFGS-B with tfstyle's float32 L-BFGS; the table then also gives each run's final loss (the optimised objective).
"""

import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _photos import STYLES, photo_split  # noqa: E402
from hed_vgg16 import convert  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--photos", type=int, default=2, help="held-out photos per painting")
    parser.add_argument("--presets", default="gatys2016,quality", help="preset[:optimizer],...")
    parser.add_argument("--faststyle", help="a fast-style run folder (or shipped name) to compare, for its painting")
    parser.add_argument("--paintings", help="comma-separated painting names to use (default: every shared painting)")
    parser.add_argument("--out", default="benchmarks/style_quality.png")
    args = parser.parse_args()

    import tensorflow as tf

    from tfstyle.data import read_image, write_image
    from tfstyle.style import stylize
    from tfstyle.style.distances import StyleJudge
    from tfstyle.training.callbacks import image_grid

    weights = convert()
    judge = StyleJudge(weights)
    held_out = sorted((photo_split() / "test").iterdir())
    paintings = sorted(STYLES.iterdir())
    if args.paintings:
        paintings = [p for p in paintings if p.stem in args.paintings.split(",")]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; size {args.size} px")

    def square(image):
        side = min(image.shape[:2])
        top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
        crop = image[top : top + side, left : left + side]
        return tf.cast(tf.round(tf.image.resize(crop, [args.size, args.size], antialias=True)), tf.uint8).numpy()

    rows, table = [], {}
    def longer_side(image):  # the painting at the working size, as stylize uses it (style_scale 1)
        scale = args.size / max(image.shape[:2])
        size = [round(image.shape[0] * scale), round(image.shape[1] * scale)]
        return tf.cast(tf.round(tf.image.resize(image, size, antialias=True)), tf.uint8).numpy()

    for p_index, painting_path in enumerate(paintings):
        painting = longer_side(read_image(painting_path))
        for photo_path in held_out[p_index * args.photos : (p_index + 1) * args.photos]:
            photo = square(read_image(photo_path))
            row = [photo, square(painting)]
            base = judge.distances(photo, photo, painting)
            painting_content = judge.content_distance(square(painting), photo)
            key = painting_path.stem
            record(table, (key, "photo (no stylisation)"), base, 0.0, painting_content)
            for spec in args.presets.split(","):
                preset, _, optimizer = spec.partition(":")
                final = {}
                start = time.perf_counter()
                out = stylize(photo, painting, preset=preset, weights=weights, backbone="vgg16", max_size=args.size,
                              progress=False, optimizer=optimizer or None,
                              callback=lambda step, image, losses: final.update(losses))  # fmt: skip
                elapsed = time.perf_counter() - start
                record(table, (key, spec), judge.distances(out, photo, painting), elapsed, painting_content,
                       base["style"], final.get("total"))  # fmt: skip
                row.append(out)
            if args.faststyle:
                row.append(fast_style(args.faststyle, photo, painting_path, judge, table, painting_content, base, key))
            rows.append(row)
    print("| painting | method | style distance | cut | content distance | painting's content distance | time | "
          "final loss |")
    print("|---|---|---|---|---|---|---|---|")
    for (painting, name), values in table.items():
        cut = f"{np.mean(values['cut']):.1f}x" if values["cut"] else "-"
        loss = f"{np.mean(values['loss']):.4g}" if values["loss"] else "-"
        print(f"| {painting} | {name} | {np.mean(values['style']):.3f} | {cut} | {np.mean(values['content']):.3f} | "
              f"{np.mean(values['painting_content']):.3f} | {np.mean(values['time']):.3g} s | {loss} |")  # fmt: skip
    write_image(args.out, image_grid([np.stack([r[i] for r in rows]) for i in range(len(rows[0]))]))
    print(f"grid: {args.out} (columns: photo, painting, {args.presets}{', faststyle' if args.faststyle else ''})")


def record(table, name, distances, seconds, painting_content, photo_style=None, loss=None):
    entry = table.setdefault(name, {"style": [], "content": [], "time": [], "cut": [], "painting_content": [],
                                    "loss": []})  # fmt: skip
    if loss is not None:
        entry["loss"].append(loss)
    entry["style"].append(distances["style"])
    entry["content"].append(distances["content"])
    entry["time"].append(seconds)
    entry["painting_content"].append(painting_content)
    if photo_style is not None:
        entry["cut"].append(photo_style / distances["style"])


def fast_style(model, photo, painting_path, judge, table, painting_content, base, key):
    from tfstyle import pretrained
    from tfstyle.runs import Run

    run = Run(pretrained.resolve(model))
    if os.path.basename(run.config["style"]) != os.path.basename(painting_path):
        return np.zeros_like(photo)  # trained on another painting
    run.translate(photo)  # warm-up (graph tracing)
    start = time.perf_counter()
    out = run.translate(photo)
    elapsed = time.perf_counter() - start
    from tfstyle.data import read_image

    scale = photo.shape[0] / max(read_image(painting_path).shape[:2])
    painting = read_image(painting_path)
    size = [round(painting.shape[0] * scale), round(painting.shape[1] * scale)]
    import tensorflow as tf

    painting = tf.cast(tf.round(tf.image.resize(painting, size, antialias=True)), tf.uint8).numpy()
    record(table, (key, f"faststyle ({model})"), judge.distances(out, photo, painting), elapsed,
           painting_content, base["style"])  # fmt: skip
    return out


if __name__ == "__main__":
    main()
