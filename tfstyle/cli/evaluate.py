"""`tfstyle evaluate`: score a trained run on a dataset split and write a PNG grid."""

import os

from tfstyle.errors import WeightsError


def add_parser(sub, help_line):
    parser = sub.add_parser("evaluate", help=help_line, description=help_line)
    parser.add_argument("--model", required=True, help="runs/NAME")
    parser.add_argument("--dataset", help="source (default: the run's training source)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--max-images", type=int, help="score at most N images")
    parser.add_argument("--inception-weights", default="imagenet",
                        help="InceptionV3 weights for FID/KID: imagenet (Keras cache or download), a local "
                             "inception_v3_..._notop.h5, or none to skip")  # fmt: skip
    parser.set_defaults(run=run)


def run(args):
    from tfstyle.metrics import InceptionDistance
    from tfstyle.runs import Run

    grid = os.path.join(args.model, f"evaluate_{args.split}.png")
    inception, skipped = None, None
    if args.inception_weights.lower() != "none":
        try:
            inception = InceptionDistance(args.inception_weights)
        except WeightsError as err:
            skipped = f"FID/KID: skipped. {err}"
    results = Run(args.model).evaluate(args.dataset, args.split, max_images=args.max_images, inception=inception)
    print(f"{'metric':<16} value")
    for name, value in results.items():
        print(f"{name:<16} {value:.4f}" if isinstance(value, float) else f"{name:<16} {value}")
    if skipped:
        print(skipped)
    print(f"grid: {grid}")
    return 0
