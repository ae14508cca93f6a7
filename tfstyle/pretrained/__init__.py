"""Models shipped with tfstyle, each a run folder (config.json, the trained network, its verified exports).

`tfstyle stylize --model NAME photo.jpg` and `tfstyle.Run(pretrained.path(NAME))` use them. How each one was
trained (data, command, steps, time) is in its `TRAINING.md`.
"""

import os

from tfstyle.errors import TfstyleError

FOLDER = os.path.dirname(os.path.abspath(__file__))


def names():
    """The shipped model names."""
    return sorted(d for d in os.listdir(FOLDER) if os.path.isfile(os.path.join(FOLDER, d, "config.json")))


def path(name):
    """The run folder of a shipped model."""
    if name not in names():
        raise TfstyleError(f'No shipped model "{name}"; shipped: {", ".join(names()) or "none"}. Or pass a run folder.')
    return os.path.join(FOLDER, name)


def resolve(model):
    """A run folder for `model`: an existing folder as it is, else a shipped model's name."""
    return os.fspath(model) if os.path.isdir(os.fspath(model)) else path(os.fspath(model))
