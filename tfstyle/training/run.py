"""A training run on disk: `fit` with checkpoint/resume, samples, TensorBoard, CSV history, saved generators.

Run folder layout (`runs/NAME/`):
    config.json        what was trained, how, on what data (read by translate/evaluate/export)
    checkpoints/       full training state, last K kept (automatic resume)
    samples/           PNG sample grids;  logs/  TensorBoard scalars and images;  history.csv  per-epoch metrics
    <generator>.keras  the trained generator(s), loadable with safe_mode=True
"""

import json
import os

import keras

from tfstyle.data.io import atomic_path
from tfstyle.errors import TfstyleError
from tfstyle.training.callbacks import SampleGrid
from tfstyle.training.checkpoint import ResumableCheckpoint

CONFIG_FILE = "config.json"


def fit_run(system, train_data, out_dir, epochs, validation_data=None, sample_batch=None, sample_every=None,
            checkpoint_every=None, keep=3, verbose=1, extra_callbacks=()):  # fmt: skip
    """Trains `system` with `fit`, resuming from `out_dir/checkpoints` when present.

    Args:
        system: a compiled `Pix2Pix` or `CycleGAN`.
        train_data: training `tf.data.Dataset`.
        out_dir: run folder.
        epochs: total epochs (a resumed run continues up to this number).
        validation_data: dataset for `test_step` at each epoch end. Defaults to None.
        sample_batch: batch rendered into sample grids. Defaults to the first training batch.
        sample_every: also render every N steps. Defaults to None (epoch ends).
        checkpoint_every: also checkpoint every N steps. Defaults to None (epoch ends).
        keep: checkpoints kept. Defaults to 3.
        verbose: Keras progress-bar verbosity. Defaults to 1.

    Returns:
        The Keras `History` of this invocation.
    """
    os.makedirs(out_dir, exist_ok=True)
    logs = os.path.join(out_dir, "logs")
    checkpoint = ResumableCheckpoint(os.path.join(out_dir, "checkpoints"), checkpoint_every, keep)
    callbacks = [
        checkpoint,
        SampleGrid(sample_batch if sample_batch is not None else next(iter(train_data)), out_dir, sample_every, logs),
        keras.callbacks.TensorBoard(logs, update_freq=sample_every or "epoch", write_graph=False),
        keras.callbacks.CSVLogger(os.path.join(out_dir, "history.csv"), append=True),
        SaveGenerators(out_dir),
        *extra_callbacks,
    ]
    return system.fit(train_data, epochs=epochs, validation_data=validation_data, callbacks=callbacks, verbose=verbose)


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
            generator.save(tmp)
        paths[name] = path
    return paths


def write_config(out_dir, config):
    os.makedirs(out_dir, exist_ok=True)
    with atomic_path(os.path.join(out_dir, CONFIG_FILE)) as tmp, open(tmp, "w") as handle:
        json.dump(config, handle, indent=2)


def read_config(out_dir):
    path = os.path.join(out_dir, CONFIG_FILE)
    if not os.path.exists(path):
        raise TfstyleError(f"{out_dir}: not a tfstyle run folder (no {CONFIG_FILE}). Pass runs/NAME or a .keras file.")
    with open(path) as handle:
        return json.load(handle)


def load_generator(model_path, name=None):
    """Loads a generator from a run folder (by `name`, e.g. "generator_AtoB") or a `.keras` file (safe mode)."""
    path = model_path
    if os.path.isdir(model_path):
        names = [f[: -len(".keras")] for f in sorted(os.listdir(model_path)) if f.endswith(".keras")]
        if not names:
            raise TfstyleError(f"{model_path}: no trained generator (*.keras) yet; train for at least one epoch.")
        chosen = name if name in names else (names[0] if name is None and len(names) == 1 else None)
        if chosen is None:
            raise TfstyleError(f"{model_path}: choose one of {', '.join(names)}. Received: {name!r}")
        path = os.path.join(model_path, f"{chosen}.keras")
    if not os.path.exists(path):
        raise TfstyleError(f"{path}: model not found. Pass a run folder (runs/NAME) or a generator .keras file.")
    import tfstyle.models  # noqa: F401  (registers the custom layers)

    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as err:
        raise TfstyleError(f"{path}: cannot load the model ({type(err).__name__}: {str(err)[:200]}).") from None
