"""Training settings as dataclasses: each field knows its default, its help text and whether it defines the
architecture (or the data), so a resumed run with a different value is refused.

A model kind subclasses `TrainSettings` with its own fields (and its own defaults for the shared ones); the CLI's
`tfstyle train KIND` flags are generated from the fields, and a run's `config.json` is the dataclass serialised.
"""

import dataclasses

from tfstyle.errors import TfstyleError

PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
STRATEGY_NAMES = ("default", "mirrored", "multiworker", "tpu")


def setting(default, help, architecture=False, choices=None):  # noqa: A002  (argparse's word for it)
    """A settings field: `default`, one line of `help`, whether it defines the `architecture`, valid `choices`."""
    return dataclasses.field(default=default, metadata={"help": help, "architecture": architecture, "choices": choices})


@dataclasses.dataclass
class TrainSettings:
    """The settings every trainable kind shares: data, schedule, distribution, precision, run-folder cadence."""

    dataset: str = setting(None, "dataset source name or folder (`tfstyle datasets` lists them)", architecture=True)
    image_size: int = setting(256, "square training crop in pixels", architecture=True)
    epochs: int = setting(100, "epochs at the initial learning rate")
    epochs_decay: int = setting(100, "further epochs with the learning rate decaying linearly to 0")
    batch_size: int = setting(1, "images per replica per step (global batch = this x replicas)")
    lr: float = setting(2e-4, "initial learning rate of Adam")
    strategy: str = setting("default", "tf.distribute strategy (multiworker reads TF_CONFIG)", choices=STRATEGY_NAMES)
    precision: str = setting("auto", "dtype policy; auto = mixed_bfloat16 where the hardware computes bfloat16 "
                             "natively, else float32", choices=PRECISIONS)  # fmt: skip
    jit_compile: bool = setting(False, "compile the train step with XLA")
    seed: int = setting(0, "seed of weights, data order, augmentation and image pools")
    count: int = setting(None, "examples per split of a synthetic source")
    sample_every: int = setting(None, "also write sample grids every N steps (always at epoch ends)")
    checkpoint_every: int = setting(None, "also checkpoint every N steps (always at epoch ends)")
    keep: int = setting(3, "checkpoints kept")
    data_dir: str = setting(None, "TFDS data folder (default: TFDS's own)")


def field_info(settings_class):
    """The dataclass fields of a settings class, in declaration order."""
    return dataclasses.fields(settings_class)


def architecture_fields(settings_class):
    return tuple(f.name for f in field_info(settings_class) if f.metadata.get("architecture"))


def make_settings(settings_class, values):
    """`settings_class(**values)` with unknown names and invalid choices refused by one clear error."""
    names = {f.name for f in field_info(settings_class)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise TfstyleError(f"Unknown {settings_class.__name__} fields: {', '.join(unknown)}. "
                           f"Valid: {', '.join(sorted(names))}.")  # fmt: skip
    settings = settings_class(**values)
    for f in field_info(settings_class):
        value, choices = getattr(settings, f.name), f.metadata.get("choices")
        if choices and value not in choices:
            raise TfstyleError(f'Unknown {f.name}. Received: {f.name}="{value}"; expected one of {", ".join(choices)}.')
    return settings


def resolve(settings_class, overrides, previous=None, where="this run"):
    """The settings of a run: `previous` (a resumed run's saved values) or the defaults, then `overrides`
    (None values ignored). An override that changes an architecture field of a previous run is refused."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    base = {k: v for k, v in (previous or {}).items() if k in {f.name for f in field_info(settings_class)}}
    if previous is not None:
        changed = [k for k in architecture_fields(settings_class) if k in overrides and k in base
                   and overrides[k] != base[k]]  # fmt: skip
        if changed:
            detail = ", ".join(f"{k}={base[k]!r} (now {overrides[k]!r})" for k in changed)
            raise TfstyleError(f"{where}: already holds a run with different {', '.join(changed)}: {detail}. "
                               "Use the same settings to resume, or a new --out.")  # fmt: skip
    return make_settings(settings_class, {**base, **overrides})


def to_dict(settings):
    return dataclasses.asdict(settings)
