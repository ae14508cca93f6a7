"""End-to-end recipes behind `tfstyle train / translate / evaluate`: data + model + fit with resume.

Each recipe takes plain keyword settings (the CLI flags), writes them to `runs/NAME/config.json`, and
continues an existing run in the same folder.
"""

import logging
import os

import keras
import numpy as np

from tfstyle import metrics
from tfstyle.data import load_paired, load_unpaired, read_image, write_image
from tfstyle.data.io import IMAGE_EXTENSIONS
from tfstyle.errors import DatasetError, TfstyleError
from tfstyle.training import LinearDecay, get_strategy, set_precision
from tfstyle.training.run import fit_run, load_generator, read_config, write_config
from tfstyle.translate.base import image_grid
from tfstyle.translate.cyclegan import CycleGAN
from tfstyle.translate.inference import translate_images
from tfstyle.translate.pix2pix import Pix2Pix

log = logging.getLogger("tfstyle")

PIX2PIX_DEFAULTS = dict(
    dataset="pix2pix/facades", direction="AtoB", image_size=256, epochs=100, epochs_decay=100, batch_size=1,
    ngf=64, ndf=64, norm="batch", generator="unet", gan_loss="vanilla", lambda_l1=100.0, lr=2e-4,
    update="sequential", strategy="default", precision="float32", jit_compile=False, seed=0, count=None,
    sample_every=None, checkpoint_every=None, keep=3, data_dir=None,
)  # fmt: skip
CYCLEGAN_DEFAULTS = dict(
    dataset="cycle_gan/horse2zebra", image_size=256, epochs=100, epochs_decay=100, batch_size=1, ngf=64, ndf=64,
    n_blocks=9, norm="instance", generator="resnet", gan_loss="lsgan", lambda_cycle=10.0, lambda_identity=0.5,
    pool_size=50, lr=2e-4, strategy="default", precision="float32", jit_compile=False, seed=0, count=None,
    sample_every=None, checkpoint_every=None, keep=3, data_dir=None,
)  # fmt: skip
# Settings that must not change when a run is resumed (they define the networks and the data).
_ARCHITECTURE_KEYS = ("model", "image_size", "ngf", "ndf", "norm", "generator", "n_blocks", "direction", "dataset")


def _settings(out, model, defaults, overrides):
    unknown = set(overrides) - set(defaults)
    if unknown:
        raise TfstyleError(f"Unknown {model} settings: {', '.join(sorted(unknown))}.")
    settings = {"model": model, **defaults, **{k: v for k, v in overrides.items() if v is not None}}
    settings["dataset"] = os.fspath(settings["dataset"])
    if os.path.exists(os.path.join(out, "config.json")):
        previous = read_config(out)
        changed = [k for k in _ARCHITECTURE_KEYS if k in previous and previous[k] != settings.get(k)]
        if changed:
            raise TfstyleError(
                f"{out}: already holds a run with different {', '.join(changed)} "
                f"({', '.join(f'{k}={previous[k]!r}' for k in changed)}). Use the same settings to resume, or a new --out."
            )
    return settings


def _train(out, s, load, validation_split, build, verbose):
    """The skeleton both recipes share: precision → strategy → data → model built and compiled under the
    strategy's scope → config.json → `fit` with resume. `load(split, batch_size)` gives a dataset;
    `build(optimizer)` makes and compiles the model, calling `optimizer()` for each fresh Adam."""
    set_precision(s["precision"])
    strategy = get_strategy(s["strategy"])
    train = load("train", s["batch_size"] * strategy.num_replicas_in_sync)
    validation = _optional(lambda: load(validation_split, s["batch_size"]))
    lr = LinearDecay(s["lr"], int(train.cardinality()), s["epochs"], s["epochs_decay"])
    with strategy.scope():
        model = build(lambda: keras.optimizers.Adam(lr, beta_1=0.5))  # the papers' Adam(2e-4, β1 = 0.5)
    write_config(out, s)
    fit_run(model, train, out, s["epochs"] + s["epochs_decay"], validation, sample_every=s["sample_every"],
            checkpoint_every=s["checkpoint_every"], keep=s["keep"], verbose=verbose)  # fmt: skip
    return model


def train_pix2pix(out, verbose=1, **overrides):
    """Trains (or resumes) Pix2Pix into the run folder `out`; returns the trained `Pix2Pix`."""
    s = _settings(out, "pix2pix", PIX2PIX_DEFAULTS, overrides)
    data = dict(image_size=s["image_size"], direction=s["direction"], seed=s["seed"], count=s["count"],
                data_dir=s["data_dir"])  # fmt: skip

    def build(optimizer):
        generator = None
        if s["generator"] == "resnet":
            from tfstyle.models import resnet_generator

            generator = resnet_generator(9 if s["image_size"] >= 256 else 6, ngf=s["ngf"], norm=s["norm"])
        model = Pix2Pix(generator=generator, image_size=s["image_size"], ngf=s["ngf"], ndf=s["ndf"], norm=s["norm"])
        model.compile(g_optimizer=optimizer(), d_optimizer=optimizer(), gan_loss=s["gan_loss"],
                      lambda_l1=s["lambda_l1"], update=s["update"], jit_compile=s["jit_compile"])  # fmt: skip
        return model

    load = lambda split, batch_size: load_paired(s["dataset"], split, batch_size=batch_size, **data)  # noqa: E731
    return _train(out, s, load, "val", build, verbose)


def train_cyclegan(out, verbose=1, **overrides):
    """Trains (or resumes) CycleGAN into the run folder `out`; returns the trained `CycleGAN`."""
    s = _settings(out, "cyclegan", CYCLEGAN_DEFAULTS, overrides)
    data = dict(image_size=s["image_size"], seed=s["seed"], count=s["count"], data_dir=s["data_dir"])

    def build(optimizer):
        model = CycleGAN(image_size=s["image_size"], generator=s["generator"], n_blocks=s["n_blocks"], ngf=s["ngf"],
                         ndf=s["ndf"], norm=s["norm"], pool_size=s["pool_size"], seed=s["seed"])  # fmt: skip
        model.compile(g_optimizer=optimizer(), d_optimizer=optimizer(), gan_loss=s["gan_loss"],
                      lambda_a=s["lambda_cycle"], lambda_b=s["lambda_cycle"], lambda_identity=s["lambda_identity"],
                      jit_compile=s["jit_compile"])  # fmt: skip
        return model

    load = lambda split, batch_size: load_unpaired(s["dataset"], split, batch_size=batch_size, **data)  # noqa: E731
    return _train(out, s, load, "test", build, verbose)


def _optional(make):
    try:
        return make()
    except DatasetError as err:
        log.info("no validation data: %s", str(err).split(". ")[0])
        return None


def generator_name(model_path, direction=None):
    """Which saved generator of a run serves `direction` (pix2pix: the only one; cyclegan: AtoB/BtoA)."""
    if not os.path.isdir(model_path):
        return None
    config = read_config(model_path)
    if config["model"] == "cyclegan":
        return f"generator_{direction or 'AtoB'}"
    return "generator"


def translate_files(model_path, images, out_dir, direction=None, test_time_dropout=False):
    """Translates image files with a run's generator (or a .keras file); writes PNGs; returns their paths."""
    generator = load_generator(model_path, generator_name(model_path, direction))
    paths = []
    for path in _expand(images):
        result = translate_images(generator, read_image(path), test_time_dropout)
        stem = os.path.splitext(os.path.basename(path))[0]
        paths.append(write_image(os.path.join(out_dir, f"{stem}.png"), result))
    return paths


def _expand(images):
    files = []
    for item in images:
        if os.path.isdir(item):
            files += [os.path.join(item, f) for f in sorted(os.listdir(item)) if f.lower().endswith(IMAGE_EXTENSIONS)]
        else:
            files.append(item)
    if not files:
        raise TfstyleError("No input images given.")
    return files


def evaluate_run(model_path, dataset=None, split="test", batch_size=8, max_images=None, grid_path=None,
                 inception=None):  # fmt: skip
    """Scores a run on a dataset split; returns a dict of metric -> value (and writes a PNG grid).

    Pix2Pix: L1, PSNR, SSIM of output vs target. CycleGAN: cycle and identity L1 per direction, and the
    stripe score of A→B translations for `synthetic/stripes`. With `inception` (a `metrics.InceptionDistance`),
    also FID and KID of outputs against real images of the target domain (per direction for CycleGAN).
    """
    config = read_config(model_path)
    dataset = os.fspath(dataset or config["dataset"])
    data = dict(image_size=config["image_size"], batch_size=batch_size, count=config.get("count"),
                data_dir=config.get("data_dir"))  # fmt: skip
    totals, columns = {}, []
    add = lambda name, value: totals.setdefault(name, []).append(float(value))  # noqa: E731
    distances = {}
    if config["model"] == "pix2pix":
        generator = load_generator(model_path, "generator")
        ds = load_paired(dataset, split, direction=config["direction"], **data)
        if inception:
            distances[""] = inception
        for x, y in _limit(ds, max_images, batch_size):
            fake = generator(x, training=False)
            for name, fn in (("l1", metrics.l1), ("psnr", metrics.psnr), ("ssim", metrics.ssim)):
                add(name, fn(y, fake))
            if inception:
                inception.update(real=y, fake=fake)
            columns.append([x, fake, y])
    else:
        g, f = load_generator(model_path, "generator_AtoB"), load_generator(model_path, "generator_BtoA")
        ds = load_unpaired(dataset, split, **data)
        if inception:
            distances = {"_AtoB": inception, "_BtoA": metrics.InceptionDistance(model=inception.model)}
        for a, b in _limit(ds, max_images, batch_size):
            fake_b, fake_a = g(a, training=False), f(b, training=False)
            rec_a = f(fake_b, training=False)
            add("cycle_l1_A", metrics.l1(a, rec_a))
            add("cycle_l1_B", metrics.l1(b, g(fake_a, training=False)))
            add("identity_l1_A", metrics.l1(a, f(a, training=False)))
            add("identity_l1_B", metrics.l1(b, g(b, training=False)))
            if dataset == "synthetic/stripes":
                add("stripe_A", metrics.stripe_score(a))
                add("stripe_AtoB", metrics.stripe_score(fake_b))
            if inception:
                distances["_AtoB"].update(real=b, fake=fake_b)
                distances["_BtoA"].update(real=a, fake=fake_a)
            columns.append([a, fake_b, rec_a])
    results = {name: float(np.mean(values)) for name, values in totals.items()}
    for suffix, distance in distances.items():
        results.update({f"{name}{suffix}": value for name, value in distance.result().items()})
    if grid_path and columns:
        write_image(grid_path, image_grid([np.concatenate([np.asarray(c[i]) for c in columns[:2]]) for i in range(3)]))
    return results


def _limit(ds, max_images, batch_size):
    return ds.take(-(-max_images // batch_size)) if max_images else ds

