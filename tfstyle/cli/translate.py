"""`tfstyle translate`: run a trained generator on image files."""

from tfstyle.translate import recipes


def add_parser(sub):
    parser = sub.add_parser("translate", help="translate images with a trained run or .keras generator")
    parser.add_argument("images", nargs="+", help="image files or folders")
    parser.add_argument("--model", required=True, help="runs/NAME or a generator .keras file")
    parser.add_argument("--direction", choices=["AtoB", "BtoA"], help="CycleGAN direction (default AtoB)")
    parser.add_argument("-o", "--out", required=True, help="output folder")
    parser.add_argument("--test-time-dropout", action="store_true", help="the pix2pix paper's test-time mode")
    parser.set_defaults(run=run)


def run(args):
    paths = recipes.translate_files(args.model, args.images, args.out, args.direction, args.test_time_dropout)
    for path in paths:
        print(path)
    return 0
