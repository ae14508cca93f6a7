"""`tfstyle demo`: style transfer, Pix2Pix, CycleGAN and a verified TFLite export, offline, with a page to open."""


def add_parser(sub, help_line):
    parser = sub.add_parser("demo", help=help_line, description=__doc__.split(": ", 1)[1])
    parser.add_argument("--out", default="demo_out", help="output folder (default: demo_out)")
    parser.add_argument("--quick", action="store_true", help="the one-minute version (tiny images, few steps)")
    parser.add_argument("--data", help="train on your folders instead: trainA/ trainB/ (CycleGAN), train/ (Pix2Pix)")
    parser.add_argument("--photo", help="photo to stylise (default: a generated picture)")
    parser.add_argument("--style", help="painting for the Gatys run (default: a generated pattern)")
    parser.add_argument("--weights", default="imagenet", help="VGG-19 weights for Gatys: imagenet | PATH | none")
    parser.set_defaults(run=run)


def run(args):
    from tfstyle.demo import run_demo

    run_demo(args.out, args.quick, args.data, args.photo, args.style, args.weights)
    print(f"open {args.out}/index.html (or read {args.out}/README.md)")
    return 0
