"""`tfstyle demo`: every part of tfstyle once, offline, in minutes, with pictures, plots and tables to look at.

1. a photo stylised by the shipped fast-style model (one pass) and by Gatys et al. (a short multi-scale run);
2. a small Pix2Pix trained on `synthetic/labels`, a small CycleGAN on `synthetic/stripes` (or on your folders);
3. one generator exported to int8 TFLite and verified with LiteRT;
4. everything scored with weight-free metrics; written to `OUT/index.html` (opens from disk) and `OUT/README.md`.
"""

import dataclasses
import os
import time

import numpy as np

from tfstyle import pretrained
from tfstyle.data import read_image, synthetic, write_image
from tfstyle.demo_report import write_report
from tfstyle.errors import WeightsError


@dataclasses.dataclass
class Budget:
    """How big and long each part runs: `quick` (≤ 1 minute on 2 cores, for tests) or the default (≤ 5 minutes)."""

    image_size: int
    ngf: int
    epochs: int
    count: int
    gatys_size: int
    gatys_steps: int


BUDGETS = {"quick": Budget(32, 8, 2, 16, 96, 12), "default": Budget(64, 16, 6, 64, 192, 80)}


def run_demo(out="demo_out", quick=False, data=None, photo=None, style=None, weights="imagenet", progress=True):
    """Runs the demo into `out`; returns the report dict (sections of pictures, plots, tables and commands).

    Args:
        out: output folder. Defaults to "demo_out".
        quick: the ≤ 1-minute budget (tiny images, few steps). Defaults to False.
        data: a folder with `trainA/ trainB/` (unpaired, for CycleGAN) and/or `train/` (paired, for Pix2Pix) to
            train on instead of the synthetic tasks. Defaults to None.
        photo: a photo to stylise. Defaults to a generated facade picture.
        style: a painting for the Gatys run. Defaults to a generated pattern.
        weights: VGG-19 weights for Gatys: "imagenet" (falls back to random weights, and says so, when they
            cannot be downloaded), a local `*_notop.h5` file, or "none". Defaults to "imagenet".
        progress: progress bars. Defaults to True.
    """
    budget = BUDGETS["quick" if quick else "default"]
    os.makedirs(out, exist_ok=True)
    steps = [_fast_style, _gatys, _pix2pix, _cyclegan, _export]
    report = {"title": "tfstyle demo", "budget": dataclasses.asdict(budget), "sections": [], "notes": []}
    photo_image = read_image(photo) if photo else synthetic.labels_pair("test", 3, 256)[1]
    style_image = read_image(style) if style else generated_painting(256)
    context = {"out": out, "budget": budget, "data": data, "photo": photo_image, "style": style_image,
               "weights": weights, "progress": progress, "report": report}  # fmt: skip
    for index, step in enumerate(steps, 1):
        start = time.perf_counter()
        print(f"[{index}/{len(steps)}] {step.__doc__.splitlines()[0]}", flush=True)
        section = step(context)
        section["seconds"] = round(time.perf_counter() - start, 1)
        report["sections"].append(section)
        print(f"      done in {section['seconds']} s", flush=True)
    write_report(out, report)
    return report


def _fast_style(ctx):
    """Fast style transfer with the shipped model (one forward pass)."""
    from tfstyle.runs import Run

    names = pretrained.names()
    if not names:
        return {"title": "Fast style transfer", "text": "No shipped model in this installation.", "images": []}
    run = Run(pretrained.path(names[0]))
    start = time.perf_counter()
    result = run.translate(ctx["photo"])
    seconds = time.perf_counter() - start
    path = write_image(os.path.join(ctx["out"], "fast_style.png"), np.concatenate([ctx["photo"], result], axis=1))
    text = (f"The shipped `{names[0]}` model ({run.config.get('alpha', 1.0)}× width) painted the photo in "
            f"{seconds:.2f} s on this CPU. Left: the photo; right: the model's output.")  # fmt: skip
    return {"title": f"Fast style transfer: {names[0]}", "text": text, "images": [path],
            "command": f"tfstyle stylize --model {names[0]} photo.jpg -o out.png"}


def _gatys(ctx):
    """Gatys et al. style transfer (a short multi-scale optimisation)."""
    from tfstyle.style import stylize

    b, weights = ctx["budget"], ctx["weights"]
    try:
        result = stylize(ctx["photo"], ctx["style"], preset="quality", weights=weights, max_size=b.gatys_size,
                         steps=b.gatys_steps, min_scale=b.gatys_size // 2, progress=ctx["progress"])  # fmt: skip
        note = None
    except WeightsError as err:
        note = (f"ImageNet VGG-19 weights were not available ({str(err).split(' (')[0]}), so Gatys ran on random "
                "weights: the picture shows the mechanics, not the quality. Get the weights once (any machine with "
                "internet: `python -c \"import keras; keras.applications.VGG19(include_top=False)\"`, or pass "
                "`--weights /path/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`).")  # fmt: skip
        ctx["report"]["notes"].append(note)
        print(f"      note: {note}", flush=True)
        result = stylize(ctx["photo"], ctx["style"], preset="quality", weights=None, max_size=b.gatys_size,
                         steps=b.gatys_steps, min_scale=b.gatys_size // 2, progress=ctx["progress"])  # fmt: skip
    small = [_fit(image, result.shape[0]) for image in (ctx["photo"], ctx["style"])]
    path = write_image(os.path.join(ctx["out"], "gatys.png"), np.concatenate([*small, result], axis=1))
    text = (f"The `quality` preset at {b.gatys_size} px, {b.gatys_steps} Adam steps from the photo, coarse to fine. "
            "Photo, painting, result." + (" Random VGG weights (see the note at the top)." if note else ""))  # fmt: skip
    return {"title": "Gatys et al. style transfer", "text": text, "images": [path],
            "command": "tfstyle stylize photo.jpg painting.jpg -o out.png"}


def _pix2pix(ctx):
    """Pix2Pix: a small run on synthetic label maps → renderings."""
    paired = ctx["data"] and os.path.isdir(os.path.join(ctx["data"], "train"))
    return _translation(ctx, "pix2pix", ctx["data"] if paired else "synthetic/labels", {},
                        "tfstyle train pix2pix --dataset pix2pix/facades --direction BtoA --out runs/facades")


def _cyclegan(ctx):
    """CycleGAN: a small run on synthetic plain → striped blobs."""
    unpaired = ctx["data"] and os.path.isdir(os.path.join(ctx["data"], "trainA"))
    return _translation(ctx, "cyclegan", ctx["data"] if unpaired else "synthetic/stripes", {"n_blocks": 2, "pool_size": 8},
                        "tfstyle train cyclegan --dataset cycle_gan/horse2zebra --out runs/horse2zebra")


def _translation(ctx, kind, dataset, extra, real_command):
    import tfstyle
    from tfstyle.demo_report import loss_plot

    b, folder = ctx["budget"], os.path.join(ctx["out"], "runs", kind)
    settings = dict(dataset=dataset, image_size=b.image_size, ngf=b.ngf, ndf=b.ngf, batch_size=4, epochs=b.epochs,
                    epochs_decay=b.epochs // 2, lr=2e-3, **extra)  # fmt: skip
    if dataset.startswith("synthetic/"):
        settings["count"] = b.count
    tfstyle.train(kind, folder, verbose=1 if ctx["progress"] else 0, **settings)
    run = tfstyle.Run(folder)
    scores = run.evaluate(split="test" if kind == "cyclegan" else "val", grid=True)
    grid = os.path.join(folder, f"evaluate_{'test' if kind == 'cyclegan' else 'val'}.png")
    plot = loss_plot(run.history(), os.path.join(ctx["out"], f"{kind}_losses.png"), kind)
    columns = "input | output | target" if kind == "pix2pix" else "A | G(A) | F(G(A))"
    text = (f"{run.history()[-1]['epoch'] + 1:.0f} epochs at {b.image_size} px on `{dataset}`, the paper's losses and "
            f"schedule (learning rate raised to 2e-3 for the short run). Held-out examples ({columns}) and the losses.")
    return {"title": f"{'Pix2Pix' if kind == 'pix2pix' else 'CycleGAN'} on {dataset}", "text": text,
            "images": [grid, plot], "table": {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()},
            "command": f"tfstyle train {kind} --dataset {dataset} --out runs/{kind}  # this demo's data\n{real_command}"}


def _export(ctx):
    """Export: the CycleGAN generator to int8 TFLite, verified with LiteRT."""
    import tfstyle

    run = tfstyle.Run(os.path.join(ctx["out"], "runs", "cyclegan"))
    folder = os.path.join(ctx["out"], "export")
    report = run.export(folder, size=ctx["budget"].image_size, quantize=("fp32", "int8"), io="uint8",
                        calibration_steps=16, heldout=4, runs=3)  # fmt: skip
    rows = {a["file"]: f"{a['bytes'] / 1e3:.0f} kB, {a['fidelity']['psnr_db']} dB"
            + (f", {a['latency']['1']['median_ms']} ms" if "latency" in a else "") for a in report["artifacts"]}
    text = ("Every artifact ran in LiteRT and matched the Keras generator on held-out images (PSNR), with its "
            f"size and latency: see `{os.path.join('export', 'report.md')}`. The int8 file takes and returns uint8 pixels.")
    note = slow_int8_note(report, ctx["budget"].image_size)
    if note:
        print(f"      note: {note}", flush=True)
        text += " " + note
    return {"title": "Export to TFLite, verified", "text": text, "images": [], "table": rows,
            "command": "tfstyle export --model runs/horse2zebra --out saved_models/h2z --quantize fp32,fp16,int8 --io uint8"}


def slow_int8_note(report, size):
    """Context for the exporter's "int8 is SLOWER than fp32" warning, which the demo's tiny network can trigger
    (a reader should not take it for a broken export); None when the export gave no such warning."""
    if not any("SLOWER" in warning for warning in report["warnings"]):
        return None
    return (f"int8 ran slower than fp32 here, on the demo's tiny generator at {size} px; the speed-up depends on "
            "the network's size and the CPU. The full-size ResNet-9 generator at 256 px ran 1.3x faster in int8 than "
            "in fp32 on an AVX2 CPU and 2.9x faster on an AVX-512 VNNI CPU (benchmarks/RESULTS.md, export sizes and "
            "speed).")  # fmt: skip


def _fit(image, height):
    import tensorflow as tf

    width = max(1, round(image.shape[1] * height / image.shape[0]))
    return tf.cast(tf.round(tf.image.resize(image, [height, width], antialias=True)), tf.uint8).numpy()


def generated_painting(size):
    """A generated 'painting': swirling bands of saturated colour."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    angle = np.arctan2(y - 0.5, x - 0.5)
    radius = np.hypot(y - 0.5, x - 0.5)
    bands = np.sin(18 * radius + 3 * angle)
    image = np.stack([0.5 + 0.5 * bands, 0.35 + 0.3 * np.sin(9 * x + 2), 0.7 - 0.3 * bands], -1)
    return np.clip(image * 255, 0, 255).astype(np.uint8)
