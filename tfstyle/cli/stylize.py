"""`tfstyle stylize`: style a photo with one or more paintings: by optimisation (Gatys et al.), or in one pass with
a trained feed-forward model (`--model`: a fast-style or AdaIN run, or a shipped model such as starry_night)."""

import os

import numpy as np

from tfstyle import pretrained
from tfstyle.errors import TfstyleError
from tfstyle.style.presets import PRESETS


def add_parser(sub, help_line):
    parser = sub.add_parser("stylize", help=help_line, description=__doc__.split(": ", 1)[1])
    parser.add_argument("content", help="content photo")
    parser.add_argument("styles", nargs="*", metavar="STYLE", help="style image(s) (not needed by a fast-style model)")
    parser.add_argument("-o", "--out", required=True, help="output image (PNG/JPEG)")
    parser.add_argument("--model", help="a fast-style or AdaIN run folder, or a shipped model: "
                        f"{', '.join(pretrained.names()) or 'none yet'} (default: optimise, Gatys et al.)")  # fmt: skip
    parser.add_argument("--alpha", type=float, default=1.0, help="AdaIN: content-style trade-off, 0..1")
    parser.add_argument("--preset", choices=list(PRESETS), default="quality")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--max-size", type=int, help="longest side in pixels")
    parser.add_argument("--content-weight", type=float, help="α")
    parser.add_argument("--style-weight", type=float, help="β")
    parser.add_argument("--tv-weight", type=float)
    parser.add_argument("--optimizer", choices=["lbfgs", "lbfgs-b", "adam", "sgd"],
                        help="lbfgs: float32 L-BFGS within [0, 1]; lbfgs-b: SciPy's float64 L-BFGS-B (slower)")
    parser.add_argument("--learning-rate", type=float, help="Adam/SGD step size in [0, 1] image units")
    parser.add_argument("--init", choices=["content", "noise", "style"])
    parser.add_argument("--backbone", choices=["vgg19", "vgg16"])
    parser.add_argument("--pooling", choices=["max", "avg"])
    parser.add_argument("--style-loss", choices=["gram", "meanstd", "mrf", "gram+mrf"])
    parser.add_argument("--weights", default="imagenet", help="imagenet | PATH to a *_notop.h5 file | none")
    parser.add_argument("--hybrid", choices=["inceptionv3"], help="add style losses in a second feature space")
    parser.add_argument("--hybrid-weight", type=float, help="weight of a hybrid style layer relative to a VGG one (1000)")
    parser.add_argument("--hybrid-weights", default="imagenet", help="imagenet | PATH to inception_v3_..._notop.h5 | none")
    parser.add_argument("--style-weights", type=float, nargs="+", help="blend weights of several styles")
    parser.add_argument("--style-scale", type=float, default=1.0, help="style size relative to the content")
    parser.add_argument("--preserve-color", nargs="?", const="luminance", choices=["luminance", "histogram"])
    parser.add_argument("--multiscale", action="store_true", help="coarse-to-fine optimisation")
    parser.add_argument("--save-every", type=int, help="also write a strip of every K-th intermediate result")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jit", action="store_true", help="compile the loss step with XLA")
    parser.set_defaults(run=run)


def run(args):
    from tfstyle.data import read_image, write_image
    from tfstyle.style import stylize

    if args.model:
        return _feed_forward(args)
    if not args.styles:
        raise TfstyleError("stylize needs at least one STYLE image (or --model with a fast-style model).")
    weights = None if args.weights.lower() == "none" else args.weights
    hybrid_weights = None if args.hybrid_weights.lower() == "none" else args.hybrid_weights
    snapshots = []

    def callback(step, image, losses):
        if args.save_every and step % args.save_every == 0:
            snapshots.append(image)

    settings = dict(steps=args.steps, max_size=args.max_size, content_weight=args.content_weight,
                    style_weight=args.style_weight, tv_weight=args.tv_weight, optimizer=args.optimizer,
                    learning_rate=args.learning_rate, init=args.init, backbone=args.backbone, pooling=args.pooling,
                    style_loss=args.style_loss, hybrid_backbone=args.hybrid, hybrid_weight=args.hybrid_weight)  # fmt: skip
    result = stylize(
        read_image(args.content), [read_image(path) for path in args.styles], style_weights=args.style_weights,
        preset=args.preset, weights=weights, preserve_color=args.preserve_color, multiscale=args.multiscale,
        style_scale=args.style_scale, seed=args.seed, jit_compile=args.jit, callback=callback,
        hybrid_weights=hybrid_weights, **settings,
    )  # fmt: skip
    size = f"{result.shape[1]}x{result.shape[0]}"
    print(f"stylize: preset {args.preset}, {size}, {len(args.styles)} style(s)")
    print(write_image(args.out, result))
    if snapshots:
        height = result.shape[0]
        import tensorflow as tf

        resized = [tf.image.resize(s, [height, int(s.shape[1] * height / s.shape[0])]).numpy() for s in snapshots]
        strip = np.concatenate([np.clip(r, 0, 255).astype(np.uint8) for r in resized + [result]], axis=1)
        stem, _ = os.path.splitext(args.out)
        print(write_image(f"{stem}_progress.png", strip))
    return 0


def _feed_forward(args):
    from tfstyle.data import read_image, write_image
    from tfstyle.runs import Run

    run = Run(pretrained.resolve(args.model))
    photo = read_image(args.content)
    if run.kind.kind_name == "adain":
        if not args.styles:
            raise TfstyleError(f"{args.model} is an AdaIN model: pass one or more STYLE images.")
        result = run.translate(photo, style=[read_image(p) for p in args.styles], alpha=args.alpha,
                               style_weights=args.style_weights, preserve_color=bool(args.preserve_color))  # fmt: skip
    elif run.kind.kind_name == "faststyle":
        result = run.translate(photo)
    else:
        raise TfstyleError(f"{args.model} is a {run.kind.kind_name} run; stylize takes fast-style and AdaIN models.")
    print(f"stylize: {run.kind.kind_name} model {args.model}, {result.shape[1]}x{result.shape[0]}")
    print(write_image(args.out, result))
    return 0
