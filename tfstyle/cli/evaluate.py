"""`tfstyle evaluate`: score a trained run on a dataset split and write a PNG grid."""

import os

from tfstyle.translate import recipes


def add_parser(sub):
    parser = sub.add_parser("evaluate", help="score a trained run (L1/PSNR/SSIM or cycle/identity L1)")
    parser.add_argument("--model", required=True, help="runs/NAME")
    parser.add_argument("--dataset", help="source (default: the run's training source)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--max-images", type=int, help="score at most N images")
    parser.set_defaults(run=run)


def run(args):
    grid = os.path.join(args.model, f"evaluate_{args.split}.png")
    results = recipes.evaluate_run(args.model, args.dataset, args.split, max_images=args.max_images, grid_path=grid)
    print(f"{'metric':<16} value")
    for name, value in results.items():
        print(f"{name:<16} {value:.4f}")
    print("FID/KID: not computed (needs InceptionV3 ImageNet weights; not implemented yet)")
    print(f"grid: {grid}")
    return 0
