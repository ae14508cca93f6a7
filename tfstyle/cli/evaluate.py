"""`tfstyle evaluate`: score a trained run on a dataset split and write a PNG grid."""

import os

from tfstyle.errors import WeightsError
from tfstyle.metrics import InceptionDistance
from tfstyle.translate import recipes


def add_parser(sub):
    parser = sub.add_parser("evaluate", help="score a trained run (L1/PSNR/SSIM or cycle/identity L1, FID/KID)")
    parser.add_argument("--model", required=True, help="runs/NAME")
    parser.add_argument("--dataset", help="source (default: the run's training source)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--max-images", type=int, help="score at most N images")
    parser.add_argument("--inception-weights", default="imagenet",
                        help="InceptionV3 weights for FID/KID: imagenet (Keras cache or download), a local "
                             "inception_v3_..._notop.h5, or none to skip")  # fmt: skip
    parser.set_defaults(run=run)


def run(args):
    grid = os.path.join(args.model, f"evaluate_{args.split}.png")
    inception, skipped = None, None
    if args.inception_weights.lower() != "none":
        try:
            inception = InceptionDistance(args.inception_weights)
        except WeightsError as err:
            skipped = f"FID/KID: skipped. {err}"
    results = recipes.evaluate_run(args.model, args.dataset, args.split, max_images=args.max_images, grid_path=grid,
                                   inception=inception)  # fmt: skip
    print(f"{'metric':<16} value")
    for name, value in results.items():
        print(f"{name:<16} {value:.4f}")
    if skipped:
        print(skipped)
    print(f"grid: {grid}")
    return 0
