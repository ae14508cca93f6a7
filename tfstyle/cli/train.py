"""`tfstyle train KIND --out runs/NAME ...`: train a model kind; rerunning the same command resumes.

The flags of each kind are generated from its settings dataclass (`tfstyle.kinds.KINDS`)."""

from tfstyle.cli import quiet_tensorflow
from tfstyle.cli.flags import add_settings_flags, settings_from_args


def add_parser(sub, help_line):
    quiet_tensorflow()  # each kind's flags come from its own module, which defines a Keras model
    from tfstyle.kinds import KINDS

    parser = sub.add_parser("train", help=help_line, description=help_line)
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    for name, kind in KINDS.items():
        p = kinds.add_parser(name, help=kind.description, description=f"{kind.description}; {kind.__doc__.splitlines()[0]}")
        p.add_argument("--out", required=True, help="run folder, e.g. runs/NAME (resumes if it holds a run)")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        add_settings_flags(p, kind.Settings)
        p.set_defaults(run=run, settings_class=kind.Settings)


def run(args):
    from tfstyle.runs import train

    model = train(args.kind, args.out, verbose=0 if args.quiet else 1, **settings_from_args(args, args.settings_class))
    print(f"trained {args.kind} for {model.iterations_done()} steps; run folder: {args.out}")
    return 0
