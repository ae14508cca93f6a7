"""Runs as a public API: `tfstyle.train(KIND, out=..., **settings)` trains or resumes a run folder, and
`tfstyle.Run(folder)` translates, evaluates and exports what it trained. The CLI is a thin shell over these."""

import csv
import logging
import os

import keras
import numpy as np

from tfstyle import __version__
from tfstyle.data import read_image, write_image
from tfstyle.data.io import IMAGE_EXTENSIONS
from tfstyle.errors import DatasetError, TfstyleError
from tfstyle.kinds import get_kind
from tfstyle.training import get_strategy, set_precision
from tfstyle.training.distribute import resolve_precision
from tfstyle.training.run import CONFIG_FILE, fit_run, load_generator, read_config, write_config
from tfstyle.training.settings import resolve, to_dict
from tfstyle.training.callbacks import image_grid

log = logging.getLogger("tfstyle")


def train(kind, out, verbose=1, callbacks=(), **settings):
    """Trains a model kind into the run folder `out`, or resumes the run already there; returns the trained model.

    The settings are the fields of the kind's settings dataclass (e.g. `tfstyle.translate.pix2pix.Pix2PixSettings`,
    listed by `tfstyle train KIND --help`), defaulting to the paper's values. A resumed run takes its saved settings
    and accepts changes only to fields that do not define the networks or the data (e.g. more `epochs`). Training
    uses the paper's learning-rate schedule and writes checkpoints (resume is exact, mid-epoch checkpoints
    included), sample grids, TensorBoard logs, `history.csv` and the generators as `.keras` files.

    Args:
        kind: "pix2pix", "cyclegan", ... (`tfstyle.kinds.KINDS`).
        out: run folder, e.g. "runs/facades".
        verbose: Keras progress-bar verbosity. Defaults to 1.
        callbacks: extra Keras callbacks. Defaults to none.
        **settings: settings fields, e.g. `dataset="pix2pix/facades", direction="BtoA", epochs=100`.

    Returns:
        The trained `keras.Model` of the kind (e.g. a `tfstyle.Pix2Pix`).

    Example:
    ```python
    model = tfstyle.train("pix2pix", out="runs/facades", dataset="pix2pix/facades", direction="BtoA")
    ```
    """
    cls = get_kind(kind)
    out = os.fspath(out)
    previous = None
    if os.path.exists(os.path.join(out, CONFIG_FILE)):
        previous = read_config(out)
        if previous.get("kind") != cls.kind_name:
            raise TfstyleError(f"{out}: holds a {previous.get('kind')} run, not {cls.kind_name}. Use a new --out.")
    s = resolve(cls.Settings, settings, previous, where=out)
    strategy = get_strategy(s.strategy)
    policy, reason = resolve_precision(s.precision, strategy)
    _check_precision_change(out, previous, policy)
    log.info("precision: %s (%s); %d replica(s)", policy, reason, strategy.num_replicas_in_sync)
    previous_policy = set_precision(policy)
    try:
        keras.utils.set_random_seed(s.seed)
        train_data = cls.training_data(s, "train", s.batch_size * strategy.num_replicas_in_sync)
        steps = int(train_data.cardinality())
        if steps <= 0:
            raise DatasetError(f"{s.dataset}: too few training examples for one batch of "
                               f"{s.batch_size * strategy.num_replicas_in_sync}; lower batch_size.")  # fmt: skip
        validation = _validation_data(cls, s)
        with strategy.scope():
            model = cls.from_settings(s, steps)
        write_config(out, {"kind": cls.kind_name, **to_dict(s), "precision_policy": policy, "precision_reason": reason,
                           "tfstyle_version": __version__})  # fmt: skip
        fit_run(model, train_data, out, s.epochs + s.epochs_decay, validation, cls.sample_batch(s), s.sample_every,
                s.checkpoint_every, s.keep, verbose, callbacks)  # fmt: skip
    finally:
        set_precision(previous_policy)
    return model


def _validation_data(cls, s):
    if cls.validation_split is None:
        return None
    try:
        return cls.training_data(s, cls.validation_split, s.batch_size)
    except DatasetError as err:
        log.info("no validation data: %s", str(err).split(". ")[0])
        return None


def _check_precision_change(out, previous, policy):
    """Weights and optimiser state are float32 under float32 and mixed_bfloat16, so a run continues across those
    two (only the compute dtype changes); mixed_float16 adds a loss scale to the state, so a change into or out of
    it is refused."""
    before = (previous or {}).get("precision_policy")
    if before and before != policy:
        if "mixed_float16" in (before, policy):
            raise TfstyleError(f"{out}: trained with precision {before}; resuming under {policy} is not possible "
                               f"(mixed_float16 keeps a loss scale in the state). Pass precision='{before}'.")  # fmt: skip
        log.warning("%s: trained with %s, continuing with %s (float32 weights and optimiser state in both)", out,
                    before, policy)  # fmt: skip


class Run:
    """A trained (or training) run folder: its settings, generators, translation, evaluation and export.

    Args:
        folder: the run folder `tfstyle.train` wrote, e.g. "runs/facades".

    Example:
    ```python
    run = tfstyle.Run("runs/facades")
    photo = run.translate(read_image("labels.png"))        # any size
    scores = run.evaluate(split="test")                     # {"l1": ..., "psnr": ..., "ssim": ...}
    report = run.export("saved_models/facades", quantize=("fp32", "int8"))
    ```
    """

    def __init__(self, folder):
        self.folder = os.fspath(folder)
        if not os.path.isdir(self.folder):
            raise TfstyleError(f"{self.folder}: run folder not found. Pass runs/NAME (train one with tfstyle train).")
        self.config = read_config(self.folder)
        self.kind = get_kind(self.config.get("kind"))
        self._loaded = {}

    @property
    def settings(self):
        """The run's settings dataclass."""
        return resolve(self.kind.Settings, {}, self.config)

    def generator(self, direction=None):
        """The trained generator for `direction` (None: the kind's default), as a Keras model."""
        name = self.kind.generator_name(self.config, direction)
        if name not in self._loaded:
            path = os.path.join(self.folder, f"{name}.keras")
            if not os.path.exists(path):
                raise TfstyleError(f"{self.folder}: no trained {name} yet (no {name}.keras); train at least one epoch.")
            self._loaded[name] = load_generator(path)
        return self._loaded[name]

    def translate(self, images, direction=None, **options):
        """Runs the generator on uint8 RGB images of any size (one (H, W, 3) array or a batch); returns uint8."""
        return self.kind.translate_with(self.generator(direction), images, **options)

    def translate_files(self, paths, out_dir, direction=None, **options):
        """Translates image files and folders of images; writes `<stem>.png` files into `out_dir`; returns them."""
        written = []
        for path in expand_images(paths):
            result = self.translate(read_image(path), direction, **options)
            stem = os.path.splitext(os.path.basename(path))[0]
            written.append(write_image(os.path.join(out_dir, f"{stem}.png"), result))
        return written

    def evaluate(self, dataset=None, split="test", batch_size=8, max_images=None, inception=None, grid=True):
        """Scores the run on a dataset split (default: its training source) with the kind's metrics.

        Args:
            dataset: source name or folder. Defaults to the run's `dataset`.
            split: split to score. Defaults to "test".
            batch_size: images per batch. Defaults to 8.
            max_images: score at most this many (per domain). Defaults to all.
            inception: a `tfstyle.metrics.InceptionDistance` to add FID and KID. Defaults to None.
            grid: also write `evaluate_<split>.png` into the run folder. Defaults to True.

        Returns:
            Metric name -> value.
        """
        generators = {}
        for direction, name in self.kind.directions(self.config).items():
            generators.setdefault(name, self.generator(direction))
        results, columns = self.kind.score(generators, self.config, os.fspath(dataset or self.config["dataset"]),
                                              split, batch_size, max_images, inception)  # fmt: skip
        if grid and columns:  # up to 8 examples, one row each
            stacked = [np.concatenate([np.asarray(c[i]) for c in columns])[:8] for i in range(len(columns[0]))]
            write_image(os.path.join(self.folder, f"evaluate_{split}.png"), image_grid(stacked))
        return results

    def export(self, out, direction=None, size=256, calibration=None, calibration_steps=100, heldout=8, **kwargs):
        """Exports the run's network for `direction` (an AdaIN run: its three networks) to SavedModel/TFLite and
        verifies every artifact (`tfstyle.export.export_model`; kwargs: formats, quantize, io, threads, runs,
        min_psnr, qat_steps).

        Calibration images default to the run's training source: the first `calibration_steps` examples
        calibrate int8, the next `heldout` check the artifacts' fidelity. Returns the export report.
        """
        from tfstyle.export import export_networks

        source, networks, plan = calibration or self.config["dataset"], {}, self.kind.export_plan(self.config, direction)
        for stem, way, modes in plan:
            examples = self.kind.export_examples(self.config, source, size, calibration_steps + heldout, way,
                                                 self.generator)  # fmt: skip
            count = min(len(v) for v in examples.values()) if isinstance(examples, dict) else len(examples)
            if count <= heldout:
                raise DatasetError(f"{source}: only {count} images; need more than {heldout} (calibration + held-out).")
            calib, held = _split_examples(examples, count - heldout, count)
            networks[stem] = (self.generator(way), calib, held, *([modes] if modes else []))
        history = self.history()
        card = {"source_model": self.folder, "kind": self.kind.kind_name, "direction": ", ".join(p[1] for p in plan),
                "architecture": ", ".join(n[0].name for n in networks.values()), "training_data": self.config["dataset"],
                "training_settings": self.config, "metrics": history[-1] if history else {},
                "calibration_data": os.fspath(source)}  # fmt: skip
        return export_networks(networks, out, size, card=card, **kwargs)

    def history(self):
        """The per-epoch metrics of `history.csv`, one dict per epoch (numbers as floats)."""
        path = os.path.join(self.folder, "history.csv")
        if not os.path.exists(path):
            return []
        with open(path) as handle:
            return [{k: float(v) for k, v in row.items() if v not in ("", None, "NA")} for row in csv.DictReader(handle)]


def _split_examples(examples, first, count):
    """(examples[:first], examples[first:count]) of an array or of each array of a dict."""
    if isinstance(examples, dict):
        return ({k: v[:first] for k, v in examples.items()}, {k: v[first:count] for k, v in examples.items()})
    return examples[:first], examples[first:count]


def expand_images(paths):
    """Image files, with folders expanded to the image files directly inside them (sorted)."""
    files = []
    for item in map(os.fspath, paths):
        if os.path.isdir(item):
            files += [os.path.join(item, f) for f in sorted(os.listdir(item)) if f.lower().endswith(IMAGE_EXTENSIONS)]
        else:
            files.append(item)
    if not files:
        raise TfstyleError("No input images given.")
    return files
