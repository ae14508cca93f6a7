"""Command-line flags generated from a settings dataclass: one `--flag-name` per field, with its type, choices,
help text and default, so the CLI cannot drift from the Python API."""

import argparse
import dataclasses


def add_settings_flags(parser, settings_class):
    """Adds `--field-name` for every field; unset flags parse to None, so a resumed run keeps its saved values."""
    for field in dataclasses.fields(settings_class):
        flag = "--" + field.name.replace("_", "-")
        meta = field.metadata
        help_text = f"{meta.get('help', '')} (default: {field.default})"
        if meta.get("architecture"):
            help_text += "; fixed once a run exists"
        if field.type is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            parser.add_argument(flag, type=field.type, choices=meta.get("choices"), default=None, help=help_text,
                                metavar=None if meta.get("choices") else field.name.upper())  # fmt: skip


def settings_from_args(args, settings_class):
    """The settings fields the user set on the command line (name -> value)."""
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(settings_class)
            if getattr(args, f.name, None) is not None}  # fmt: skip
