"""Training machinery shared by the model kinds: settings, schedules, checkpoint/resume, sample grids,
distribution, and the callbacks that turn a `fit` into a run folder."""

from tfstyle.training.callbacks import SampleGrid
from tfstyle.training.checkpoint import ResumableCheckpoint
from tfstyle.training.distribute import get_strategy, resolve_precision, set_precision
from tfstyle.training.run import fit_run, run_callbacks
from tfstyle.training.schedules import LinearDecay

__all__ = ["LinearDecay", "ResumableCheckpoint", "SampleGrid", "fit_run", "get_strategy", "resolve_precision",
           "run_callbacks", "set_precision"]  # fmt: skip
