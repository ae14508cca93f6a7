"""The `tfstyle` command line: thin wrappers that parse flags, call the Python API and print results.

Each command lives in its own module with `add_parser(sub)` and `run(args)`. Only the chosen command's module is
imported, and TensorFlow (with its start-up notices dropped) only when the command runs, so `tfstyle --help` and
`tfstyle COMMAND --help` answer at once. `train KIND --help` is the exception: its flags come from the kind's own
module, which defines a Keras model.
"""

import argparse
import importlib
import logging
import sys

from tfstyle import __version__, _compat
from tfstyle.errors import TfstyleError

# name -> (module, one line of help)
COMMANDS = {
    "demo": ("tfstyle.cli.demo", "run everything once, offline, in minutes; open demo_out/index.html"),
    "datasets": ("tfstyle.cli.datasets", "list known dataset sources; `datasets info SOURCE` describes one"),
    "stylize": ("tfstyle.cli.stylize", "style a photo: by optimisation (Gatys et al.) or a fast-style / AdaIN model"),
    "train": ("tfstyle.cli.train", "train a model kind into a run folder (resumes automatically)"),
    "translate": ("tfstyle.cli.translate", "translate images with a trained run or .keras generator"),
    "evaluate": ("tfstyle.cli.evaluate", "score a trained run (L1/PSNR/SSIM or cycle/identity L1, FID/KID)"),
    "export": ("tfstyle.cli.export", "export a trained generator to SavedModel/TFLite and verify it"),
    "serve-web": ("tfstyle.cli.serve_web", "serve an exported web page (export --web) on 127.0.0.1"),
}


def build_parser(command=None):
    """The argument parser; only `command`'s own flags are built (the others show their help line)."""
    parser = argparse.ArgumentParser(
        prog="tfstyle",
        description="Neural style transfer (Gatys, fast style, AdaIN) and image-to-image translation (Pix2Pix, "
        "CycleGAN) with Keras 3, exported to verified TFLite files.",
    )
    parser.add_argument("--version", action="version", version=f"tfstyle {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_line) in COMMANDS.items():
        if name == command:
            importlib.import_module(module).add_parser(sub, help_line)
        else:
            sub.add_parser(name, help=help_line)
    return parser


def quiet_tensorflow():
    """Starts TensorFlow with its C++ start-up notices dropped and absl's warnings off (before a command runs)."""
    _compat.quiet_tensorflow_import()
    logging.getLogger("absl").setLevel(logging.ERROR)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    command = next((a for a in argv if not a.startswith("-")), None)
    try:
        parser = build_parser(command if command in COMMANDS else None)
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return 0
        quiet_tensorflow()
        return args.run(args) or 0
    except TfstyleError as err:
        print(f"tfstyle {command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tfstyle {command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
