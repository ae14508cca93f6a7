"""Runs as a public API: the kind registry, settings dataclasses, tfstyle.train / tfstyle.Run / run_callbacks, and
exact resume after a SIGKILL that follows a mid-epoch checkpoint."""

import csv
import dataclasses
import inspect
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstyle
from tfstyle.data import load_paired, read_image
from tfstyle.errors import TfstyleError
from tfstyle.kinds import KINDS, get_kind
from tfstyle.models.inference import translate_images
from tfstyle.training import LinearDecay, run_callbacks
from tfstyle.training.settings import architecture_fields
from tfstyle.translate import CycleGAN, Pix2Pix

from conftest import random_image

TINY_PIX2PIX = dict(dataset="synthetic/labels", image_size=32, ngf=4, ndf=4, batch_size=2, count=4, epochs=1,
                    epochs_decay=1)  # fmt: skip


def _history_epochs(run):
    with open(run / "history.csv") as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


# ---------- the registry and the settings ----------

def test_registry_maps_names_to_kinds_and_lists_them_on_error():
    assert KINDS["pix2pix"] is Pix2Pix and KINDS["cyclegan"] is CycleGAN
    with pytest.raises(TfstyleError) as info:
        get_kind("stargan")
    assert str(info.value) == f'Unknown model kind. Received: "stargan"; expected one of {", ".join(KINDS)}.'


def test_each_kind_declares_its_settings_once():
    for kind in KINDS.values():
        fields = dataclasses.fields(kind.Settings)
        assert all(f.metadata["help"] for f in fields), kind
        assert {"dataset", "image_size"} <= set(architecture_fields(kind.Settings))
        # the model's own constructor and compile defaults agree with the settings dataclass (one source of truth)
        defaults = {**{k: p.default for k, p in inspect.signature(kind.__init__).parameters.items()},
                    **{k: p.default for k, p in inspect.signature(kind.compile).parameters.items()}}  # fmt: skip
        shared = [f for f in fields if defaults.get(f.name) is not None]  # None: a model object or "unseeded"
        assert len(shared) >= 4
        for f in shared:
            assert defaults[f.name] == f.default, (kind.kind_name, f.name)
    assert tfstyle.KINDS["cyclegan"].Settings().pool_size == 50
    assert {"ngf", "norm", "direction"} <= set(architecture_fields(KINDS["pix2pix"].Settings))


def test_unknown_and_invalid_settings_are_refused_with_the_valid_names(tmp_path):
    with pytest.raises(TfstyleError, match=r"Unknown Pix2PixSettings fields: lambda_l2\. Valid: .*lambda_l1"):
        tfstyle.train("pix2pix", tmp_path / "run", lambda_l2=1.0)
    with pytest.raises(TfstyleError, match='Received: norm="batchy"; expected one of batch, instance, none.'):
        tfstyle.train("pix2pix", tmp_path / "run", norm="batchy")
    assert not (tmp_path / "run").exists()


def test_cli_train_flags_are_generated_from_the_settings():
    from tfstyle.cli import build_parser

    parser = build_parser("train")
    for name, kind in KINDS.items():
        args = parser.parse_args(["train", name, "--out", "x"])
        assert args.settings_class is kind.Settings
        for f in dataclasses.fields(kind.Settings):
            assert hasattr(args, f.name) and getattr(args, f.name) is None  # unset flags keep saved values
    args = parser.parse_args(["train", "cyclegan", "--out", "x", "--pool-size", "7", "--jit-compile"])
    assert args.pool_size == 7 and args.jit_compile is True
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "cyclegan", "--out", "x", "--norm", "batchy"])


# ---------- tfstyle.train and tfstyle.Run ----------

def test_train_resume_translate_evaluate_export_through_the_python_api(tmp_path):
    run = tmp_path / "labels"
    model = tfstyle.train("pix2pix", run, verbose=0, **TINY_PIX2PIX)
    assert isinstance(model, Pix2Pix) and model.iterations_done() == 4  # 2 epochs of 4 pairs / 2
    config = json.loads((run / "config.json").read_text())
    settings = dataclasses.asdict(KINDS["pix2pix"].Settings(**TINY_PIX2PIX))
    assert config["kind"] == "pix2pix" and {k: config[k] for k in settings} == settings
    assert config["precision_policy"] in ("float32", "mixed_bfloat16") and config["precision_reason"]
    assert (run / "generator.keras").exists() and list((run / "samples").glob("*.png"))
    assert list((run / "logs").rglob("events.out.tfevents*")) and _history_epochs(run) == [0, 1]

    # resume with only what changes: the saved settings are reused, the schedule continues
    model = tfstyle.train("pix2pix", run, verbose=0, epochs=2)
    assert model.iterations_done() == 6 and _history_epochs(run) == [0, 1, 2]
    assert float(model.g_optimizer.learning_rate) == pytest.approx(float(LinearDecay(2e-4, 2, 2, 1)(6)))
    with pytest.raises(TfstyleError, match="holds a pix2pix run, not cyclegan"):
        tfstyle.train("cyclegan", run)

    saved = tfstyle.Run(run)
    assert saved.settings.epochs == 2 and saved.settings.ngf == 4
    image = random_image(37, seed=3, width=45)
    np.testing.assert_array_equal(saved.translate(image), translate_images(saved.generator(), image))
    with pytest.raises(TfstyleError, match='Received: direction="BtoA"; expected one of AtoB'):
        saved.translate(image, direction="BtoA")
    scores = saved.evaluate(split="val", batch_size=4)
    assert set(scores) == {"l1", "psnr", "ssim"} and (run / "evaluate_val.png").exists()
    report = saved.export(tmp_path / "export", size=32, calibration_steps=4, heldout=2, runs=1)
    assert {a["mode"] for a in report["artifacts"]} == {"savedmodel", "fp32"}
    card = json.loads((tmp_path / "export" / "model_card.json").read_text())
    assert card["kind"] == "pix2pix" and card["training_settings"]["ngf"] == 4 and card["metrics"]["epoch"] == 2
    written = saved.translate_files([tmp_path / "export" / ".." / "labels" / "samples"], tmp_path / "out")
    assert len(written) == len(list((run / "samples").glob("*.png")))
    assert read_image(written[0]).shape == read_image(sorted((run / "samples").glob("*.png"))[0]).shape


def test_run_callbacks_make_a_users_own_fit_resumable(tmp_path):
    out = tmp_path / "mine"
    train = load_paired("synthetic/labels", image_size=32, batch_size=2, count=4)
    assert len(train) == 2

    def fit(epochs):
        keras.utils.set_random_seed(0)
        model = Pix2Pix(image_size=32, ngf=4, ndf=4)
        model.compile(learning_rate=LinearDecay(2e-4, len(train), 1, 1))  # the paper's schedule, one line
        model.fit(train, epochs=epochs, callbacks=run_callbacks(out, samples=train), verbose=0)
        return model

    fit(1)
    assert {"checkpoints", "samples", "logs", "history.csv", "generator.keras"} <= set(os.listdir(out))
    model = fit(2)  # the same code again, one epoch more: continues at epoch 2
    assert model.iterations_done() == 4 and _history_epochs(out) == [0, 1]
    assert float(model.g_optimizer.learning_rate) == pytest.approx(float(LinearDecay(2e-4, 2, 1, 1)(4)))


def test_only_the_chief_writes_the_run_folder(tmp_path, monkeypatch):
    from tfstyle.training import run as run_module

    monkeypatch.setattr(run_module, "worker_role", lambda strategy=None: ("worker", 1, False))
    callbacks = run_callbacks(tmp_path / "run", samples=None)
    assert [type(c).__name__ for c in callbacks] == ["ResumableCheckpoint"]
    model = Pix2Pix(image_size=32, ngf=4, ndf=4)
    model.compile()
    callbacks[0].set_model(model)
    callbacks[0].save()  # a non-chief takes part in the save, into a scratch folder it deletes
    assert not (tmp_path / "run").exists()


# ---------- exact resume after SIGKILL following a mid-epoch checkpoint ----------

SLOW_TRAINING = textwrap.dedent("""
    import sys, time, keras, tfstyle
    class Slow(keras.callbacks.Callback):  # after the checkpoint callback: time to kill after a save
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(0.5)
    tfstyle.train("pix2pix", sys.argv[1], verbose=0, callbacks=[Slow()], dataset="synthetic/labels", image_size=32,
                  ngf=4, ndf=4, batch_size=1, count=8, epochs=2, epochs_decay=1, checkpoint_every=3, keep=10)
""")


@pytest.mark.slow
def test_sigkill_after_a_mid_epoch_checkpoint_resumes_at_the_next_batch(tmp_path):
    run = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-c", SLOW_TRAINING, str(run)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None:
        latest = tf.train.latest_checkpoint(str(run / "checkpoints"))
        if latest and latest.endswith("ckpt-3"):
            break
        time.sleep(0.05)
    assert process.poll() is None, process.stderr.read().decode()[-2000:]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (run / "history.csv").exists() or _history_epochs(run) == []  # killed inside the first epoch

    # the same run resumed from the command line, settings taken from config.json
    result = subprocess.run([sys.executable, "-m", "tfstyle", "train", "pix2pix", "--out", str(run), "--quiet"],
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    lr = f"{float(LinearDecay(2e-4, 8, 2, 1)(3)):.6g}"
    assert f"at epoch 1, batch 4 (step 3, learning_rate {lr})" in result.stderr
    # 5 more batches finish epoch 1, then 2 full epochs: 24 steps in all, not 27 (a replayed epoch)
    assert "trained pix2pix for 24 steps" in result.stdout
    checkpoints = {int(p.split("-")[-1]) for p in tf.train.get_checkpoint_state(str(run / "checkpoints")).all_model_checkpoint_paths}
    assert {8, 16, 24} <= checkpoints  # the epoch ends fall on multiples of 8 steps
    assert _history_epochs(run) == [0, 1, 2]
    model = Pix2Pix(image_size=32, ngf=4, ndf=4)
    model.compile(learning_rate=LinearDecay(2e-4, 8, 2, 1))
    from tfstyle.training import ResumableCheckpoint

    checkpoint = ResumableCheckpoint(run / "checkpoints")
    checkpoint.set_model(model)
    assert checkpoint.restore() == 3 and checkpoint.resumed_batches == 0
    assert model.iterations_done() == 24
