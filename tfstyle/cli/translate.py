"""`tfstyle translate`: run a trained generator on image files."""

import os


def add_parser(sub, help_line):
    parser = sub.add_parser("translate", help=help_line, description=help_line)
    parser.add_argument("images", nargs="+", help="image files or folders")
    parser.add_argument("--model", required=True, help="runs/NAME or a generator .keras file")
    parser.add_argument("--direction", choices=["AtoB", "BtoA"], help="CycleGAN direction (default AtoB)")
    parser.add_argument("-o", "--out", required=True, help="output folder")
    parser.add_argument("--test-time-dropout", action="store_true", help="the pix2pix paper's test-time mode")
    parser.set_defaults(run=run)


def run(args):
    from tfstyle.runs import Run, expand_images

    options = {"test_time_dropout": True} if args.test_time_dropout else {}
    if os.path.isdir(args.model):
        paths = Run(args.model).translate_files(args.images, args.out, args.direction, **options)
    else:  # a bare generator file
        from tfstyle.data import read_image, write_image
        from tfstyle.models.inference import translate_images
        from tfstyle.training.run import load_generator

        generator = load_generator(args.model)
        paths = []
        for path in expand_images(args.images):
            stem = os.path.splitext(os.path.basename(path))[0]
            paths.append(write_image(os.path.join(args.out, f"{stem}.png"),
                                     translate_images(generator, read_image(path), **options)))  # fmt: skip
    for path in paths:
        print(path)
    return 0
