"""`ModelKind`: the base of every trainable system (Pix2Pix, CycleGAN, FastStyle, AdaIN).

A kind is one `keras.Model` subclass that declares, in its own file, everything a run needs:

    kind_name, description   the registry name (`tfstyle train NAME`) and one line of help
    Settings                 a `TrainSettings` dataclass: defaults, help, architecture fields
    from_settings(s, steps)  build and compile the model (called under the strategy's scope)
    training_data(s, split, batch_size)   its tf.data pipeline; `validation_split` names the split fit scores
    generators()             name -> the networks a run saves and exports (`generator_name` picks one)
    score(...)               its evaluation metrics on a dataset split
    calibration_images(...)  inputs for int8 calibration and export verification

and, for `fit`: `train_step`/`test_step`, `optimizer_variables()` and `checkpoint_items()` (the full training
state), `sample_rows(batch)` (what a sample grid shows). `tfstyle.train` and `tfstyle.Run` only talk to this
interface, so adding a kind touches its own file and one line of `tfstyle/kinds.py`.
"""

import os

import keras
import tensorflow as tf

from tfstyle.data import folder_images
from tfstyle.errors import TfstyleError
from tfstyle.models.inference import translate_images
from tfstyle.training.optimizers import Adam
from tfstyle.training.settings import TrainSettings


class ModelKind(keras.Model):
    """Base class of the trainable systems: the run-level interface plus the shared optimiser plumbing."""

    kind_name = None
    description = None
    Settings = TrainSettings
    validation_split = None  # split scored by `fit` at each epoch end (None: no validation)

    # ---- declared by each kind ----
    @classmethod
    def from_settings(cls, settings, steps_per_epoch):
        """The model built from `settings` and compiled with the paper's optimisers and LR schedule."""
        raise NotImplementedError

    @classmethod
    def training_data(cls, settings, split, batch_size, **options):
        """The kind's tf.data pipeline for `split` (training augmentation on "train"); `options` go to the loader
        (jitter, flip, shuffle, cache)."""
        raise NotImplementedError

    @classmethod
    def sample_batch(cls, settings, count=4):
        """The fixed batch sample grids show: the first `count` training examples, unaugmented. A pipeline of its
        own, so the training pipeline's first iteration (and its shuffle order) stays the training's."""
        options = dict(jitter=False, flip=False, shuffle=False, cache=False)
        examples = cls.training_data(settings, "train", 1, **options).unbatch().take(count)
        return next(iter(examples.batch(count)))  # up to `count`: a tiny dataset gives what it has

    @classmethod
    def score(cls, generators, config, dataset, split, batch_size, max_images, inception):
        """Scores saved generators on a split; returns (metric -> value, grid columns of uint8 images)."""
        raise NotImplementedError

    @classmethod
    def directions(cls, config):
        """Direction name -> saved generator name; the first entry is the default."""
        return {"AtoB": "generator"}

    def generators(self):
        """Name -> network saved into the run folder (and exportable)."""
        raise NotImplementedError

    def optimizer_variables(self):
        """(optimizer, variables) pairs, the first being the one whose iterations count training steps."""
        raise NotImplementedError

    def networks(self):
        """Name -> every network whose weights are training state."""
        return self.generators()

    def sample_rows(self, batch):
        """A uint8 grid (H, W, 3) showing what the model does to a batch."""
        raise NotImplementedError

    # ---- shared ----
    @classmethod
    def generator_name(cls, config, direction=None):
        """The saved generator serving `direction` (None: the kind's default)."""
        directions = cls.directions(config)
        if direction is None:
            return next(iter(directions.values()))
        if direction not in directions:
            raise TfstyleError(f'Unknown direction for {cls.kind_name}. Received: direction="{direction}"; '
                               f'expected one of {", ".join(directions)}.')  # fmt: skip
        return directions[direction]

    @classmethod
    def translate_with(cls, generator, images, **options):
        """Runs a saved generator on uint8 images of any size (padded to a valid size, cropped back)."""
        return translate_images(generator, images, **options)

    @classmethod
    def calibration_images(cls, config, source, size, count, direction=None):
        """Up to `count` float32 [-1, 1] model inputs of `size`², from an image folder or the kind's data."""
        source = os.fspath(source)
        if os.path.isdir(source) and not has_split_layout(source):
            return folder_images(source, size, count)
        return cls.dataset_inputs(config, source, size, count, direction)

    @classmethod
    def dataset_inputs(cls, config, source, size, count, direction):
        raise TfstyleError(f"{source}: pass a folder of images for calibration.")

    @classmethod
    def export_plan(cls, config, direction=None):
        """[(file stem, direction, TFLite modes or None for any)] of the networks `Run.export` writes: by default
        the one for `direction`."""
        return [("model", direction or next(iter(cls.directions(config))), None)]

    @classmethod
    def export_examples(cls, config, source, size, count, direction, generator):
        """Up to `count` input examples of the network for `direction` (an array of images, or input name ->
        array); `generator(direction)` gives the run's networks, for inputs computed by another one."""
        return cls.calibration_images(config, source, size, count, direction)

    def build_optimizers(self):
        """Creates optimiser slots up front (under the caller's strategy scope; needed before a restore)."""
        for optimizer, variables in self.optimizer_variables():
            if not optimizer.built:
                optimizer.build(variables)

    def apply_loss(self, tape, loss, optimizer, variables):
        """Gradient step of `loss` on `variables`: averaged over tf.distribute replicas, loss-scaled under
        mixed_float16 (the scaling must be recorded on the tape too, or the gradients would be None)."""
        with tape:
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            scaled = optimizer.scale_loss(loss / replicas if replicas > 1 else loss)
        grads = tape.gradient(scaled, variables)
        optimizer.apply_gradients(zip(grads, variables))

    def iterations_done(self):
        """Training steps taken so far."""
        return int(self.optimizer_variables()[0][0].iterations.numpy())

    def training_state(self):
        """A short summary of the resumable state (shown when a run resumes)."""
        optimizer = self.optimizer_variables()[0][0]
        return {"step": self.iterations_done(), "learning_rate": f"{float(optimizer.learning_rate):.6g}"}

    def checkpoint_items(self):
        """Everything a resumed run needs, as trackables for `tf.train.Checkpoint`."""
        items = {f"net_{name}": net for name, net in self.networks().items()}
        for i, (optimizer, _) in enumerate(self.optimizer_variables()):
            items[f"optimizer_{i}"] = optimizer
        return items


def paper_adam(learning_rate, beta_1=0.5):
    """The papers' Adam (Kingma & Ba's update, ε 1e-8, as the reference code; see `tfstyle.training.optimizers`)
    with their β1 (0.5 for the GANs), wrapped for loss scaling under the mixed_float16 policy."""
    optimizer = Adam(learning_rate, beta_1=beta_1)
    if keras.config.dtype_policy().name == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def has_split_layout(folder):
    """Whether a folder is a dataset (train/, trainA/ or A/ inside) rather than a plain folder of images."""
    return any(os.path.isdir(os.path.join(folder, d)) for d in ("train", "trainA", "A"))
