"""A training run on disk: the callbacks that make `fit` resumable and visible, and `fit_run`, which uses them.

Run folder layout (`runs/NAME/`):
    config.json        the kind and its settings (what was trained, how, on what data)
    checkpoints/       full training state, last K kept (automatic resume)
    samples/           PNG sample grids;  logs/  TensorBoard scalars and images;  history.csv  per-epoch metrics
    <generator>.keras  the trained generator(s), loadable with safe_mode=True
"""

import json
import os

import keras

from tfstyle import _compat
from tfstyle.data.io import atomic_path
from tfstyle.errors import TfstyleError
from tfstyle.models.precision import float32_model
from tfstyle.training.callbacks import SampleGrid
from tfstyle.training.checkpoint import ResumableCheckpoint
from tfstyle.training.distribute import worker_role

CONFIG_FILE = "config.json"


def run_callbacks(out, samples=None, sample_every=None, checkpoint_every=None, keep=3):
    """The callbacks that turn a `fit` into a run in the folder `out`: resume, sample grids, TensorBoard, CSV history
    and the trained generators as `.keras` files.

    Pass them to your own `model.fit(...)`; rerunning the same code resumes from `out/checkpoints` (see
    `ResumableCheckpoint` for a checkpoint taken mid-epoch). In a multi-worker cluster only the chief writes `out`.

    Args:
        out: run folder, e.g. "runs/facades".
        samples: a dataset (its first batch is used) or a batch to render into `out/samples/*.png` and TensorBoard.
            Defaults to None (no sample grids).
        sample_every: also render every N training steps. Defaults to None (epoch ends only).
        checkpoint_every: also checkpoint every N training steps. Defaults to None (epoch ends only).
        keep: checkpoints kept. Defaults to 3.

    Returns:
        A list of `keras.callbacks.Callback`, the `ResumableCheckpoint` first.

    Example:
    ```python
    train = load_paired("pix2pix/facades", direction="BtoA")
    model = tfstyle.Pix2Pix()
    model.compile(learning_rate=LinearDecay(2e-4, len(train), 100, 100))
    model.fit(train, epochs=200, callbacks=run_callbacks("runs/facades", samples=train))
    ```
    """
    out = os.fspath(out)
    _, _, chief = worker_role()
    callbacks = [ResumableCheckpoint(os.path.join(out, "checkpoints"), checkpoint_every, keep, chief=chief)]
    if not chief:
        return callbacks
    os.makedirs(out, exist_ok=True)
    logs = os.path.join(out, "logs")
    if samples is not None:
        batch = next(iter(samples)) if hasattr(samples, "element_spec") else samples
        callbacks.append(SampleGrid(batch, out, sample_every, logs))
    callbacks += [
        keras.callbacks.TensorBoard(logs, update_freq=sample_every or "epoch", write_graph=False),
        keras.callbacks.CSVLogger(os.path.join(out, "history.csv"), append=True),
        SaveGenerators(out),
    ]
    return callbacks


def fit_run(model, train_data, out, epochs, validation_data=None, samples=None, sample_every=None, checkpoint_every=None,
            keep=3, verbose=1, extra_callbacks=()):  # fmt: skip
    """Trains `model` for `epochs` in total with `run_callbacks` (`samples`: the batch sample grids show), resuming
    exactly from `out/checkpoints`.

    (`shuffle=False`: the tf.data pipelines shuffle themselves.) A checkpoint taken mid-epoch resumes at the next batch: the rest of that epoch is trained first (on the batches
    after the saved position), then the remaining epochs. Returns the Keras `History` of the last `fit`.
    """
    callbacks = [*run_callbacks(out, samples, sample_every, checkpoint_every, keep), *extra_callbacks]
    checkpoint = callbacks[0]
    checkpoint.set_model(model)
    epoch = checkpoint.restore() or 0
    skip = checkpoint.resumed_batches
    history = None
    with _compat.fit_in_strategy_scope(model):
        if skip:  # finish the interrupted epoch on the batches it had not reached
            checkpoint.batch_offset = skip
            history = model.fit(train_data.skip(skip), epochs=epoch + 1, initial_epoch=epoch, callbacks=callbacks,
                                validation_data=validation_data, verbose=verbose, shuffle=False)  # fmt: skip
            epoch += 1
        if epoch < epochs:
            history = model.fit(train_data, epochs=epochs, initial_epoch=epoch, callbacks=callbacks,
                                validation_data=validation_data, verbose=verbose, shuffle=False)  # fmt: skip
    return history


class SaveGenerators(keras.callbacks.Callback):
    """Writes each generator as `<name>.keras` atomically at every epoch end."""

    def __init__(self, out_dir):
        super().__init__()
        self.out_dir = out_dir

    def on_epoch_end(self, epoch, logs=None):
        save_generators(self.model, self.out_dir)


def save_generators(system, out_dir):
    paths = {}
    for name, generator in system.generators().items():
        path = os.path.join(out_dir, f"{name}.keras")
        with atomic_path(path, suffix=".keras") as tmp:
            float32_model(generator).save(tmp)  # model files compute in float32 whatever the training precision
        paths[name] = path
    return paths


def write_config(out_dir, config):
    if not worker_role()[2]:
        return
    os.makedirs(out_dir, exist_ok=True)
    with atomic_path(os.path.join(out_dir, CONFIG_FILE)) as tmp, open(tmp, "w") as handle:
        json.dump(config, handle, indent=2)


def read_config(out_dir):
    path = os.path.join(out_dir, CONFIG_FILE)
    if not os.path.exists(path):
        raise TfstyleError(f"{out_dir}: not a tfstyle run folder (no {CONFIG_FILE}). Pass runs/NAME or a .keras file.")
    with open(path) as handle:
        return json.load(handle)


def load_generator(path):
    """Loads a generator `.keras` file in safe mode, with one clear error when it is missing or unreadable."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise TfstyleError(f"{path}: model not found. Pass a run folder (runs/NAME) or a generator .keras file.")
    import tfstyle.models  # noqa: F401  (registers the custom layers)

    try:
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as err:
        raise TfstyleError(f"{path}: cannot load the model ({type(err).__name__}: {str(err)[:200]}).") from None
    return float32_model(model)  # files saved from a mixed-precision model by other code
