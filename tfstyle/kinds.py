"""The model kinds `tfstyle train KIND` and `tfstyle.train(KIND, ...)` know: name -> `ModelKind` class.

Each kind declares itself in its own file (settings, build, data, generators, evaluation; see
`tfstyle.training.kind`). Adding one is a new file and one line here.
"""

from tfstyle.errors import TfstyleError
from tfstyle.style.adain import AdaIN
from tfstyle.style.faststyle import FastStyle
from tfstyle.translate.cyclegan import CycleGAN
from tfstyle.translate.pix2pix import Pix2Pix

KINDS = {kind.kind_name: kind for kind in (Pix2Pix, CycleGAN, FastStyle, AdaIN)}


def get_kind(name):
    """The kind class registered as `name`; the error lists the valid names."""
    if name not in KINDS:
        raise TfstyleError(f'Unknown model kind. Received: "{name}"; expected one of {", ".join(KINDS)}.')
    return KINDS[name]
