"""Every private or unstable API tfstyle relies on (tfstyle/_compat.py), against the installed versions; and the
first minute: a clear error on the wrong Keras backend, a quiet and fast command line."""

import os
import subprocess
import sys
import time

import keras
import pytest
import tensorflow as tf

from tfstyle import _compat
from tfstyle.cli import COMMANDS
from tfstyle.errors import TfstyleError


def _python(code, env=None):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})  # fmt: skip


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_importing_with_another_keras_backend_gives_one_clear_error(backend):
    result = _python("import tfstyle", env={"KERAS_BACKEND": backend})
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == (f'tfstyle.errors.TfstyleError: tfstyle needs the TensorFlow backend of Keras. Received: '
                    f'KERAS_BACKEND="{backend}". Set KERAS_BACKEND=tensorflow (or "backend": "tensorflow" in '
                    '~/.keras/keras.json) before importing tfstyle.')  # fmt: skip


def test_backend_is_read_from_keras_json(tmp_path, monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert _compat.keras_backend() == "tensorflow"  # no file: Keras's default
    (tmp_path / "keras.json").write_text('{"backend": "jax"}')
    assert _compat.keras_backend() == "jax"
    with pytest.raises(TfstyleError, match='Received: KERAS_BACKEND="jax"'):
        _compat.check_backend()


def test_help_is_fast_and_does_not_start_tensorflow():
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "tfstyle", "--help"], capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - start
    assert result.returncode == 0 and "train" in result.stdout and result.stderr == ""
    assert elapsed < 1.0, elapsed
    assert _python("import sys, tfstyle.cli; tfstyle.cli.build_parser(); print('tensorflow' in sys.modules)").stdout.strip() == "False"


@pytest.mark.parametrize("command", [name for name in COMMANDS if name != "train"])
def test_command_help_does_not_start_tensorflow(command):
    """Every command's flags are built without TensorFlow (5-7 s to start); only `train` needs the kinds' modules."""
    code = (f"import sys\nfrom tfstyle.cli import main\ntry:\n    main([{command!r}, '--help'])\n"
            "except SystemExit as end:\n    assert end.code == 0\nprint('tensorflow' in sys.modules)")  # fmt: skip
    result = _python(code)
    assert result.stdout.splitlines()[-1] == "False", result.stderr[-2000:]
    assert f"usage: tfstyle {command}" in result.stdout


def test_train_kind_help_lists_the_settings_without_start_up_lines():
    result = subprocess.run([sys.executable, "-m", "tfstyle", "train", "pix2pix", "--help"], capture_output=True,
                            text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0 and "--lambda-l1" in result.stdout
    assert result.stderr == "", result.stderr


def test_datasets_prints_no_tensorflow_start_up_lines():
    result = subprocess.run([sys.executable, "-m", "tfstyle", "datasets"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "synthetic/stripes" in result.stdout
    assert result.stderr == "", result.stderr  # no cuda / oneDNN / cpu_feature_guard / absl notices


def test_quiet_import_keeps_other_messages():
    code = ("import os; os.write(2, b'a real warning\\n'); "
            "import tfstyle._compat as c; c.quiet_tensorflow_import(); print('ok')")  # fmt: skip
    result = _python(code)
    assert result.stdout.strip() == "ok" and "a real warning" in result.stderr


def test_onednn_flag_comes_from_tensorflow():
    from tensorflow.python.util import _pywrap_util_port  # the private module it reads

    assert _compat.onednn_enabled() is bool(_pywrap_util_port.IsMklEnabled())


def test_initial_epoch_hook_exists_on_keras_models():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    _compat.set_initial_epoch(model, 3)
    assert model._initial_epoch == 3
    _compat.set_initial_epoch(model, None)
    with pytest.raises(TfstyleError, match="no fit resume hook"):
        _compat.set_initial_epoch(object(), 1)


def test_fit_in_strategy_scope_restores_the_model_strategy():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    assert model._distribute_strategy is strategy
    with _compat.fit_in_strategy_scope(model):
        assert model._distribute_strategy is None and tf.distribute.get_strategy() is strategy
    assert model._distribute_strategy is strategy


def test_step_logs_are_scalars_on_one_machine():
    tracker = keras.metrics.Mean()
    tracker.update_state(2.0)
    assert _compat.step_logs({"loss": tracker})["loss"].shape == ()


def test_tflite_schema_reader_and_op_listing(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="relu")])
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    content = converter.convert()
    parsed = _compat.read_tflite_model(content)
    assert isinstance(parsed, _compat.tflite_schema().ModelT) and len(parsed.subgraphs) == 1
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=content)
    interpreter.allocate_tensors()
    assert "FULLY_CONNECTED" in _compat.interpreter_ops(interpreter)
