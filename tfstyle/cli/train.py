"""`tfstyle train pix2pix|cyclegan`: train a translation model; rerunning the same command resumes."""

from tfstyle.translate import recipes


def add_parser(sub):
    parser = sub.add_parser("train", help="train Pix2Pix or CycleGAN (resumes automatically from --out)")
    models = parser.add_subparsers(dest="model", metavar="MODEL", required=True)
    p2p = models.add_parser("pix2pix", help="paired translation (Isola et al. 2017)")
    _common(p2p, recipes.PIX2PIX_DEFAULTS)
    p2p.add_argument("--direction", choices=["AtoB", "BtoA"], help="which half is the input (facades: BtoA = label→photo)")
    p2p.add_argument("--norm", choices=["batch", "instance", "none"])
    p2p.add_argument("--generator", choices=["unet", "resnet"])
    p2p.add_argument("--gan-loss", choices=["vanilla", "lsgan", "hinge"])
    p2p.add_argument("--lambda-l1", type=float)
    p2p.add_argument("--update", choices=["sequential", "simultaneous"], help="D-then-G (reference) or one pass")
    p2p.set_defaults(run=lambda args: _run(args, recipes.train_pix2pix))
    cyc = models.add_parser("cyclegan", help="unpaired translation (Zhu et al. 2017)")
    _common(cyc, recipes.CYCLEGAN_DEFAULTS)
    cyc.add_argument("--n-blocks", type=int, help="ResNet blocks (9 for 256 px, 6 for 128 px)")
    cyc.add_argument("--norm", choices=["instance", "batch", "none"])
    cyc.add_argument("--generator", choices=["resnet", "unet"])
    cyc.add_argument("--gan-loss", choices=["lsgan", "vanilla", "hinge"])
    cyc.add_argument("--pool-size", type=int)
    cyc.add_argument("--lambda-cycle", type=float)
    cyc.add_argument("--lambda-identity", type=float, help="relative to λ_cycle; 0 disables")
    cyc.set_defaults(run=lambda args: _run(args, recipes.train_cyclegan))


def _common(parser, defaults):
    parser.add_argument("--dataset", help=f"source name or folder (default {defaults['dataset']})")
    parser.add_argument("--out", required=True, help="run folder, e.g. runs/NAME (resumes if it has a checkpoint)")
    parser.add_argument("--image-size", type=int, help=f"crop size (default {defaults['image_size']})")
    parser.add_argument("--epochs", type=int, help=f"epochs at constant LR (default {defaults['epochs']})")
    parser.add_argument("--epochs-decay", type=int, help=f"epochs of linear LR decay (default {defaults['epochs_decay']})")
    parser.add_argument("--batch-size", type=int, help="per-replica batch size (default 1)")
    parser.add_argument("--ngf", type=int, help="generator width (default 64)")
    parser.add_argument("--ndf", type=int, help="discriminator width (default 64)")
    parser.add_argument("--lr", type=float, help="initial learning rate (default 2e-4)")
    parser.add_argument("--strategy", choices=["default", "mirrored", "multiworker", "tpu"])
    parser.add_argument("--mixed-precision", nargs="?", const="mixed_float16", dest="precision",
                        choices=["mixed_float16", "mixed_bfloat16"], help="mixed precision policy (default float16)")  # fmt: skip
    parser.add_argument("--jit", action="store_true", dest="jit_compile", default=None, help="compile steps with XLA")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--count", type=int, help="examples per split of a synthetic source")
    parser.add_argument("--sample-every", type=int, help="also save sample grids every N steps")
    parser.add_argument("--checkpoint-every", type=int, help="also checkpoint every N steps")
    parser.add_argument("--keep", type=int, help="checkpoints kept (default 3)")
    parser.add_argument("--data-dir", help="TFDS data folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _run(args, recipe):
    settings = {k: v for k, v in vars(args).items() if k not in ("command", "model", "run", "out", "quiet")}
    model = recipe(args.out, verbose=0 if args.quiet else 1, **settings)
    print(f"trained {args.model} for {model.iterations_done()} steps; run folder: {args.out}")
    return 0
