"""tf.distribute: MirroredStrategy and MultiWorkerMirroredStrategy give the training of one replica with the same
global batch; the dtype policy `auto` picks bfloat16 only where the hardware computes it natively."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import tensorflow as tf

from tfstyle.training.distribute import resolve_precision

# Networks whose maths does not depend on how a batch is split: instance norm (per image), no dropout (a U-Net
# at 32 px has none), no image pool (one per replica); global batch 4.
# float32 on every machine: these tests compare strategies, and their tolerances are float32 round-off (on a CPU
# with native bf16, precision "auto" would train in bf16, whose rounding is 2^16 times coarser)
SETTINGS = {
    "pix2pix": dict(dataset="synthetic/labels", image_size=32, ngf=4, ndf=4, norm="instance", count=8, epochs=1,
                    epochs_decay=0, precision="float32"),
    "cyclegan": dict(dataset="synthetic/stripes", image_size=32, ngf=4, ndf=4, n_blocks=1, pool_size=0, count=8,
                     epochs=1, epochs_decay=0, precision="float32"),
}  # fmt: skip
# Replicas sum their gradients in another order, so the runs differ by float32 round-off, which Adam can amplify:
# it moves each weight by about lr·sign(g), and where a gradient is at round-off level its sign (and that step) can
# flip. So the criteria are averages. Measured after the 2 steps (lr = 2e-4): Pix2Pix agrees to 1e-7 everywhere;
# CycleGAN under two workers has loss differences of 1.5e-5 (relative), a mean kernel difference of 2.1e-5 (a few
# entries flipped one step, 4e-4) and a mean output difference of 1.3e-3 (mirrored: 1.6e-7 and 1.4e-5). Training on
# the wrong half of a batch, or without averaging gradients, moves whole layers by whole steps.
LOSS_RTOL, KERNEL_MEAN_ATOL, OUTPUT_MEAN_ATOL = 1e-4, 1e-4, 4e-3  # lr/2; half a uint8 level

JOB = textwrap.dedent("""
    import json, logging, os, sys
    import tensorflow as tf
    logging.basicConfig(level=logging.INFO)
    replicas = int(os.environ.get("TEST_LOGICAL_CPUS", "1"))
    if replicas > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)
    import tfstyle
    kind, out, strategy, batch_size, settings = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5])
    model = tfstyle.train(kind, out, verbose=0, strategy=strategy, batch_size=batch_size, **settings)
    history = tfstyle.Run(out).history() if os.path.exists(os.path.join(out, "history.csv")) else []
    kernels = {f"{name}/{w.path}": w.numpy().tolist() for name, net in model.generators().items()
               for w in net.trainable_weights if len(w.shape) > 1}
    probe = tf.random.stateless_uniform((2, 32, 32, 3), seed=[1, 2], minval=-1, maxval=1)
    outputs = {name: net(probe, training=False).numpy().tolist() for name, net in model.generators().items()}
    print("RESULT" + json.dumps({"steps": model.iterations_done(), "history": history, "kernels": kernels,
                                 "outputs": outputs}))
""")


def _run_job(kind, out, strategy, batch_size, settings, env=None, timeout=600):
    command = [sys.executable, "-c", JOB, kind, str(out), strategy, str(batch_size), json.dumps(settings)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, **(env or {})})  # fmt: skip


def _result(process, timeout=600):
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr[-4000:]
    return json.loads(stdout.split("RESULT")[-1])


def _assert_same_training(got, want, history=True):
    assert got["steps"] == want["steps"]
    for row_got, row_want in zip(got["history"], want["history"], strict=True) if history else ():
        for key in ("g_loss", "d_loss"):
            assert row_got[key] == pytest.approx(row_want[key], rel=LOSS_RTOL), key
    assert got["kernels"].keys() == want["kernels"].keys()
    for name in want["kernels"]:
        difference = np.abs(np.subtract(got["kernels"][name], want["kernels"][name])).mean()
        assert difference < KERNEL_MEAN_ATOL, (name, difference)
    for name in want["outputs"]:
        difference = np.abs(np.subtract(got["outputs"][name], want["outputs"][name])).mean()
        assert difference < OUTPUT_MEAN_ATOL, (name, difference)


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _workers(kind, out, settings):
    """Two MultiWorkerMirroredStrategy workers on 127.0.0.1 (one CPU device each), the same command on both."""
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    envs = [{"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})} for i in range(2)]
    return [_run_job(kind, out, "multiworker", 2, settings, env=env) for env in envs]


@pytest.mark.parametrize("kind", ["pix2pix", "cyclegan"])
def test_mirrored_strategy_matches_one_replica(tmp_path, kind):
    single = _run_job(kind, tmp_path / "single", "default", 4, SETTINGS[kind])
    mirrored = _run_job(kind, tmp_path / "mirrored", "mirrored", 2, SETTINGS[kind], env={"TEST_LOGICAL_CPUS": "2"})
    want, got = _result(single), _result(mirrored)
    assert want["steps"] == 2  # 8 images / global batch 4
    _assert_same_training(got, want)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["pix2pix", "cyclegan"])
def test_multiworker_matches_one_process_and_resumes(tmp_path, kind):
    want = _result(_run_job(kind, tmp_path / "single", "default", 4, SETTINGS[kind]))
    run = tmp_path / "multi"
    chief, other = (_result(p) for p in _workers(kind, run, SETTINGS[kind]))
    _assert_same_training(chief, want)
    _assert_same_training(other, want, history=False)  # every worker holds the same weights (the chief writes history)
    assert len(list((run / "samples").glob("*.png"))) == 1  # one grid per epoch, written once

    # kill both workers after a checkpoint of a longer run, then start the same command again: it resumes
    longer = {**SETTINGS[kind], "epochs": 6}
    processes = _workers(kind, run, longer)
    deadline = time.time() + 300
    while time.time() < deadline and all(p.poll() is None for p in processes):
        latest = tf.train.latest_checkpoint(str(run / "checkpoints"))
        if latest and int(latest.split("-")[-1]) >= 4:
            break
        time.sleep(0.1)
    assert all(p.poll() is None for p in processes), [p.communicate()[1][-2000:] for p in processes]
    for p in processes:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    step = int(tf.train.latest_checkpoint(str(run / "checkpoints")).split("-")[-1])
    resumed = _workers(kind, run, longer)
    logs = [p.communicate(timeout=600) for p in resumed]
    for process, (stdout, stderr) in zip(resumed, logs):
        assert process.returncode == 0, stderr[-3000:]
        assert f"(step {step}," in stderr, stderr[-3000:]  # both workers restored the chief's checkpoint
        assert json.loads(stdout.split("RESULT")[-1])["steps"] == 12  # 6 epochs x 2 steps


# ---------- precision "auto" ----------

@pytest.mark.parametrize("flags,expected", [({"avx2", "fma"}, "float32"), ({"avx512f", "avx512_bf16"}, "mixed_bfloat16"),
                                            ({"amx_bf16", "amx_tile"}, "mixed_bfloat16"), (set(), "float32")])  # fmt: skip
def test_auto_precision_follows_native_bfloat16_on_cpus(flags, expected):
    policy, reason = resolve_precision("auto", flags=flags, gpu_capabilities=[])
    assert policy == expected and reason.startswith("auto: ")


def test_auto_precision_on_gpus_and_explicit_choices():
    assert resolve_precision("auto", flags=set(), gpu_capabilities=[(8, 0), (9, 0)])[0] == "mixed_bfloat16"
    assert resolve_precision("auto", flags={"avx512_bf16"}, gpu_capabilities=[(7, 5)])[0] == "float32"  # T4: no bf16
    assert resolve_precision("mixed_float16", flags={"avx512_bf16"}) == ("mixed_float16", "chosen")


def test_bfloat16_steps_keep_state_and_statistics_in_float32():
    import keras

    from tfstyle.data import load_paired, load_unpaired
    from tfstyle.training import set_precision
    from tfstyle.translate import CycleGAN, Pix2Pix

    previous = set_precision("mixed_bfloat16")
    try:
        pix2pix = Pix2Pix(image_size=32, ngf=4, ndf=4, norm="instance")
        pix2pix.compile()
        cyclegan = CycleGAN(image_size=32, n_blocks=1, ngf=4, ndf=4, pool_size=2)
        cyclegan.compile()
        data = {pix2pix: load_paired("synthetic/labels", image_size=32, batch_size=2, count=2),
                cyclegan: load_unpaired("synthetic/stripes", image_size=32, batch_size=2, count=2)}  # fmt: skip
        for model, ds in data.items():
            logs = model.train_step(next(iter(ds)))
            assert all(v.dtype == tf.float32 and np.isfinite(float(v)) for v in logs.values())  # losses in float32
            assert model.generators()[next(iter(model.generators()))].get_layer(index=2).compute_dtype == "bfloat16"
            variables = [v for _, vs in model.optimizer_variables() for v in vs]
            variables += [v for opt, _ in model.optimizer_variables() for v in opt.variables]
            assert {v.dtype for v in variables} <= {"float32", "int64"}  # weights and Adam's moments
        assert cyclegan.pool_a.images.dtype == "float32"  # the image pool stores float32 images
        # instance-norm statistics: float32 inside, so a bf16 input is normalised as exactly as bf16 can hold it
        from tfstyle.models import InstanceNormalization

        x = tf.cast(tf.random.stateless_normal((1, 16, 16, 4), seed=[1, 2]) * 3 + 5, tf.bfloat16)
        y = InstanceNormalization(dtype="mixed_bfloat16")(x, training=True)
        reference = InstanceNormalization(dtype="float32")(tf.cast(x, tf.float32), training=True)
        assert y.dtype == tf.bfloat16
        np.testing.assert_allclose(tf.cast(y, tf.float32), reference, atol=2e-2)  # bf16 output rounding only
        assert keras.config.dtype_policy().name == "mixed_bfloat16"
    finally:
        set_precision(previous)


def test_resume_across_precisions_is_handled_or_refused(tmp_path):
    import tfstyle
    from tfstyle.errors import TfstyleError

    run = tmp_path / "run"
    settings = dict(dataset="synthetic/labels", image_size=32, ngf=4, ndf=4, batch_size=2, count=2, epochs=1,
                    epochs_decay=0, precision="float32")  # fmt: skip
    tfstyle.train("pix2pix", run, verbose=0, **settings)
    with pytest.raises(TfstyleError, match="resuming under mixed_float16 is not possible"):
        tfstyle.train("pix2pix", run, verbose=0, precision="mixed_float16", epochs=2)
    model = tfstyle.train("pix2pix", run, verbose=0, precision="mixed_bfloat16", epochs=2)  # same float32 state
    assert model.iterations_done() == 2 and model.generator.get_layer("unet_down1").compute_dtype == "bfloat16"


def test_a_bfloat16_run_saves_float32_models_that_export(tmp_path):
    """Model files of a mixed_bfloat16 run compute in float32 (TFLite has no bf16 kernels; other machines would
    emulate bf16), with the trained weights; training itself stayed bf16."""
    import keras

    import tfstyle
    from tfstyle.models.precision import float32_model, is_float32

    run = tmp_path / "run"
    model = tfstyle.train("pix2pix", run, verbose=0, dataset="synthetic/labels", image_size=32, ngf=4, ndf=4,
                          batch_size=2, count=4, epochs=1, epochs_decay=0, precision="mixed_bfloat16")  # fmt: skip
    assert not is_float32(model.generator)
    saved = keras.saving.load_model(run / "generator.keras", compile=False)
    assert is_float32(saved) and all(w.dtype == "float32" for w in saved.weights)
    for trained, written in zip(model.generator.get_weights(), saved.get_weights()):
        np.testing.assert_array_equal(trained, written)
    x = tf.random.stateless_uniform((1, 32, 32, 3), seed=[3, 4], minval=-1, maxval=1)
    bf16_out, fp32_out = model.generator(x, training=False), float32_model(model.generator)(x, training=False)
    assert 0 < float(tf.reduce_max(tf.abs(bf16_out - fp32_out))) < 0.1  # bf16 rounding only
    report = tfstyle.Run(run).export(tmp_path / "export", size=32, quantize=("fp32", "int8"), calibration_steps=4,
                                     heldout=2, runs=1)  # fmt: skip
    assert {a["mode"] for a in report["artifacts"]} == {"savedmodel", "fp32", "int8"}
    assert all(a["fidelity"]["psnr_db"] >= a["min_psnr_db"] for a in report["artifacts"])  # export raises otherwise
