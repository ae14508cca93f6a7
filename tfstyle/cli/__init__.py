"""The `tfstyle` command line: thin wrappers that parse flags, call the Python API and print results."""

import argparse
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out of the CLI

from tfstyle import __version__  # noqa: E402
from tfstyle.cli import datasets as datasets_cmd  # noqa: E402
from tfstyle.cli import evaluate as evaluate_cmd  # noqa: E402
from tfstyle.cli import export as export_cmd  # noqa: E402
from tfstyle.cli import stylize as stylize_cmd  # noqa: E402
from tfstyle.cli import train as train_cmd  # noqa: E402
from tfstyle.cli import translate as translate_cmd  # noqa: E402
from tfstyle.errors import TfstyleError  # noqa: E402

COMMANDS = [datasets_cmd, stylize_cmd, train_cmd, translate_cmd, evaluate_cmd, export_cmd]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tfstyle",
        description="Neural style transfer and image-to-image translation (Gatys, Pix2Pix, CycleGAN) "
        "with Keras 3, exported to TFLite.",
    )
    parser.add_argument("--version", action="version", version=f"tfstyle {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv=None):
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    logging.getLogger("absl").setLevel(logging.ERROR)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    try:
        return args.run(args) or 0
    except TfstyleError as err:
        print(f"tfstyle {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tfstyle {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
