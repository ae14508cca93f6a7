"""The training engine: resume after SIGKILL at an epoch end, refused setting changes, mixed precision.
(Distribution: tests/test_distribute.py; runs and mid-epoch resume: tests/test_runs.py.)"""

import csv
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfstyle.data import load_paired, load_unpaired
from tfstyle.training import LinearDecay, ResumableCheckpoint, set_precision
from tfstyle.translate import CycleGAN, Pix2Pix

TINY = ["--image-size", "32", "--ngf", "4", "--ndf", "4", "--batch-size", "2", "--count", "4", "--quiet"]


def _train_command(model, dataset, run, extra=()):
    return [sys.executable, "-m", "tfstyle", "train", model, "--dataset", dataset, "--out", str(run),
            "--epochs", "6", "--epochs-decay", "6", *TINY, *extra]  # fmt: skip


def _kill_after_checkpoint(command, run, min_step):
    """Starts training, waits for a checkpoint at >= min_step, then SIGKILLs the process."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline and process.poll() is None:
        latest = tf.train.latest_checkpoint(str(run / "checkpoints"))  # the index file is written last
        if latest and int(latest.split("-")[-1]) >= min_step:
            break
        time.sleep(0.05)
    assert process.poll() is None, "training finished before it could be killed: " + process.stderr.read().decode()[-2000:]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return process


def _restore(model, run):
    callback = ResumableCheckpoint(run / "checkpoints")
    callback.set_model(model)
    return callback.restore()


def _epochs_in_history(run):
    with open(run / "history.csv") as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


def _compiled(model, steps_per_epoch):
    schedule = lambda: keras.optimizers.Adam(LinearDecay(2e-4, steps_per_epoch, 6, 6), beta_1=0.5)  # noqa: E731
    model.compile(g_optimizer=schedule(), d_optimizer=schedule())
    return model


@pytest.mark.slow
def test_pix2pix_resumes_after_sigkill(tmp_path):
    run = tmp_path / "run"
    command = _train_command("pix2pix", "synthetic/labels", run)
    _kill_after_checkpoint(command, run, min_step=4)
    saved = _compiled(Pix2Pix(image_size=32, ngf=4, ndf=4), 2)
    epoch = _restore(saved, run)
    step = int(saved.g_optimizer.iterations.numpy())
    assert epoch >= 2 and step == 2 * epoch  # 2 steps per epoch, checkpointed at epoch ends
    done = _epochs_in_history(run)

    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    lr = f"{float(LinearDecay(2e-4, 2, 6, 6)(step)):.6g}"
    assert f"at epoch {epoch + 1} (step {step}, learning_rate {lr})" in result.stderr
    history = _epochs_in_history(run)
    assert history[len(done):][0] == epoch and history[-1] == 11  # continued, not restarted
    final = _compiled(Pix2Pix(image_size=32, ngf=4, ndf=4), 2)
    assert _restore(final, run) == 12 and int(final.g_optimizer.iterations.numpy()) == 24
    assert float(final.g_optimizer.learning_rate) == pytest.approx(float(LinearDecay(2e-4, 2, 6, 6)(24)))
    assert (run / "generator.keras").exists()


@pytest.mark.slow
def test_cyclegan_resumes_with_pool_contents(tmp_path):
    run = tmp_path / "run"
    command = _train_command("cyclegan", "synthetic/stripes", run, ["--n-blocks", "1", "--pool-size", "3"])
    _kill_after_checkpoint(command, run, min_step=4)
    saved = _compiled(CycleGAN(image_size=32, n_blocks=1, ngf=4, ndf=4, pool_size=3), 2)
    epoch = _restore(saved, run)
    step = int(saved.g_optimizer.iterations.numpy())
    assert int(saved.pool_a.count.numpy()) == 3 and np.abs(saved.pool_b.images.numpy()).sum() > 0

    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"at epoch {epoch + 1} (step {step}," in result.stderr and "pool_A 3, pool_B 3" in result.stderr
    assert {"generator_AtoB.keras", "generator_BtoA.keras"} <= set(os.listdir(run))


def test_changed_settings_refuse_to_resume(tmp_path):
    import tfstyle
    from tfstyle.errors import TfstyleError

    run = tmp_path / "run"
    settings = dict(dataset="synthetic/labels", image_size=32, ngf=4, ndf=4, batch_size=2, count=2, epochs=1,
                    epochs_decay=0)  # fmt: skip
    tfstyle.train("pix2pix", run, verbose=0, **settings)
    with pytest.raises(TfstyleError, match="different ngf"):
        tfstyle.train("pix2pix", run, verbose=0, **{**settings, "ngf": 8})


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_one_step_under_mixed_precision(policy):
    previous = set_precision(policy)
    try:
        p2p = Pix2Pix(image_size=32, ngf=4, ndf=4)
        p2p.compile()
        if policy == "mixed_float16":
            assert isinstance(p2p.g_optimizer, keras.optimizers.LossScaleOptimizer)
        assert p2p.generator.get_layer("unet_down1").compute_dtype == policy.split("_")[1]
        h = p2p.fit(load_paired("synthetic/labels", image_size=32, batch_size=2, count=2), epochs=1, verbose=0)
        assert np.isfinite(h.history["g_loss"][0])
        cyc = CycleGAN(image_size=32, n_blocks=1, ngf=4, ndf=4, pool_size=2)
        cyc.compile()
        h = cyc.fit(load_unpaired("synthetic/stripes", image_size=32, batch_size=1, count=2), epochs=1, verbose=0)
        assert np.isfinite(h.history["g_loss"][0])
        assert cyc.generator_ab(np.zeros((1, 32, 32, 3), np.float32)).dtype == "float32"  # float32 outputs
    finally:
        set_precision(previous)


def test_adam_is_kingma_and_ba_algorithm_1():
    """tfstyle's Adam takes the paper's (and PyTorch's) steps, ε added to √v̂ after bias correction, also for
    parameters whose gradients are tiny; Keras's Adam (ε added before the correction) does not."""
    from tfstyle.training.optimizers import Adam

    rng = np.random.default_rng(0)
    scales = np.array([1.0, 1e-3, 1e-7, 1e-9], np.float32)  # the last two are below ε's reach in Keras's form
    gradients = [(rng.normal(size=4) * scales).astype(np.float32) for _ in range(20)]
    lr, b1, b2, eps = 2e-4, 0.5, 0.999, 1e-8

    def run(optimizer):
        variable = keras.Variable(np.zeros(4, np.float32))  # at 0, float32 resolves the tiny moves
        for g in gradients:
            optimizer.apply_gradients([(tf.constant(g), variable)])
        return np.asarray(variable)

    theta, m, v = np.zeros(4), np.zeros(4), np.zeros(4)
    for t, g in enumerate(gradients, start=1):  # Algorithm 1, in float64
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g.astype(np.float64) ** 2
        theta -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    np.testing.assert_allclose(run(Adam(lr, beta_1=b1)), theta, rtol=1e-4)
    keras_theta = run(keras.optimizers.Adam(lr, beta_1=b1, epsilon=eps))
    assert abs(keras_theta[3] - theta[3]) > 0.5 * abs(theta[3])  # tiny gradients: where the two forms part


def test_adam_fused_kernel_takes_the_element_wise_steps():
    """The fused ResourceApplyAdam update (dense gradients, also bf16 ones onto float32 weights) and the
    element-wise ops (kept for sparse gradients) move the weights and both moments alike, step after step."""
    from tfstyle.training.optimizers import Adam

    class ElementWise(Adam):
        def update_step(self, gradient, variable, learning_rate):
            return self._update_step_ops(gradient, variable, learning_rate)

    rng = np.random.default_rng(1)
    start = rng.normal(size=(3, 5)).astype(np.float32)
    gradients = [(rng.normal(size=(3, 5)) * 10.0 ** rng.integers(-9, 1, size=(3, 5))).astype(np.float32)
                 for _ in range(12)]  # fmt: skip

    def run(optimizer, dtype):
        variable = keras.Variable(start)
        step = tf.function(lambda g: optimizer.apply_gradients([(tf.cast(g, dtype), variable)]))
        for g in gradients:
            step(tf.constant(g))
        m, v = optimizer._momentums[0], optimizer._velocities[0]
        return [np.asarray(variable), np.asarray(m), np.asarray(v)]

    for dtype in (tf.float32, tf.bfloat16):
        fused, element_wise = run(Adam(1e-2, beta_1=0.5), dtype), run(ElementWise(1e-2, beta_1=0.5), dtype)
        for a, b in zip(fused, element_wise):  # float32 round-off, relative to each array's scale
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * np.abs(b).max())
        assert not np.allclose(fused[0], start)  # the weights moved


def test_adam_sparse_gradients_take_the_element_wise_path():
    """An embedding's gradient is tf.IndexedSlices, which the fused kernel does not take: the rows still move."""
    from tfstyle.training.optimizers import Adam

    table = keras.Variable(np.ones((4, 2), np.float32))
    optimizer = Adam(0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.gather(table.value, [1, 3]))
    gradient = tape.gradient(loss, table.value)
    assert isinstance(gradient, tf.IndexedSlices)
    optimizer.apply_gradients([(gradient, table)])
    moved = np.asarray(table)
    np.testing.assert_allclose(moved[[0, 2]], 1.0)
    np.testing.assert_allclose(moved[[1, 3]], 0.9, rtol=1e-4)  # Adam's first step is lr in size
