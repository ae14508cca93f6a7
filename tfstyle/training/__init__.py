"""Training machinery shared by the GANs: schedules, checkpoint/resume, sample grids, distribution."""

from tfstyle.training.callbacks import SampleGrid
from tfstyle.training.checkpoint import ResumableCheckpoint
from tfstyle.training.distribute import get_strategy, set_precision
from tfstyle.training.schedules import LinearDecay

__all__ = ["LinearDecay", "ResumableCheckpoint", "SampleGrid", "get_strategy", "set_precision"]
