"""Every use of a private or unstable API of TensorFlow, Keras or LiteRT, in one place.

Each function says what it relies on and what happens when that moves; `tests/test_compat.py` exercises each one
against the installed versions (the tested ranges are in `pyproject.toml`). Nothing here imports TensorFlow at
module import time, so `tfstyle --help` stays fast.
"""

import contextlib
import json
import os
import sys
import tempfile

from tfstyle.errors import TfstyleError

SUPPORTED_BACKEND = "tensorflow"
# Start-up notices TensorFlow's C++ runtime prints before its logging is configured (TF_CPP_MIN_LOG_LEVEL cannot
# silence them): dropped by `quiet_tensorflow_import`, anything else it prints is passed through.
_STARTUP_NOISE = ("All log messages before absl::InitializeLog", "cudart_stub.cc", "cpu_feature_guard.cc",
                  "oneDNN custom operations are on", "Unable to register cu", "computation placer already registered",
                  "This TensorFlow binary is optimized", "To enable the following instructions",
                  "rebuild TensorFlow with the appropriate compiler flags", "failed call to cuInit")  # fmt: skip


def keras_backend():
    """The Keras backend this process will use, read without importing Keras: $KERAS_BACKEND, else keras.json."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json")) as handle:
            return json.load(handle).get("backend", SUPPORTED_BACKEND)
    except (OSError, ValueError):
        return SUPPORTED_BACKEND


def check_backend():
    """Raises TfstyleError unless Keras runs on TensorFlow (tfstyle uses tf.data, tf.distribute and TFLite)."""
    backend = keras_backend()
    if backend != SUPPORTED_BACKEND:
        raise TfstyleError(
            f'tfstyle needs the TensorFlow backend of Keras. Received: KERAS_BACKEND="{backend}". '
            'Set KERAS_BACKEND=tensorflow (or "backend": "tensorflow" in ~/.keras/keras.json) before importing tfstyle.'
        )


def quiet_tensorflow_import():
    """Imports TensorFlow and lists its devices with the C++ start-up notices dropped (the CLI calls this first).

    Relies on: the notices being written to file descriptor 2 during `import tensorflow` and the first device
    listing (where a machine without a GPU logs a failed cuInit). Other lines are kept.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow

            tensorflow.config.list_physical_devices()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().decode(errors="replace").splitlines()
                    if line.strip() and not any(noise in line for noise in _STARTUP_NOISE)]  # fmt: skip
    if kept:
        print("\n".join(kept), file=sys.stderr)
    return tensorflow


def onednn_enabled():
    """Whether TensorFlow runs its oneDNN kernels in this process (fixed when TensorFlow starts).

    Relies on: `tensorflow.python.util._pywrap_util_port.IsMklEnabled`. If it moves, returns True, which keeps
    TensorFlow's own convolution gradients (correct everywhere, only slower on CPUs without oneDNN).
    """
    try:
        from tensorflow.python.util import _pywrap_util_port

        return bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        return True


def set_initial_epoch(model, epoch):
    """Makes a `fit` that has already started begin at `epoch` (None clears it).

    Relies on: `keras.Model._initial_epoch`, read by Keras's fit right after `on_train_begin`; it is the hook
    `keras.callbacks.BackupAndRestore` uses. Only needed when users call `fit` themselves with the run callbacks.
    """
    if not hasattr(model, "_initial_epoch"):
        raise TfstyleError("This Keras version has no fit resume hook (Model._initial_epoch); use tfstyle.train.")
    model._initial_epoch = epoch


@contextlib.contextmanager
def fit_in_strategy_scope(model):
    """Runs the block (a `fit`) inside the scope of the strategy `model` was built under, without Keras's
    pre-fit "symbolic build".

    Relies on: `keras.Model._distribute_strategy` (Keras 3's TensorFlow trainer). When it is set, `fit` first draws
    a batch to build the model and reduces it across replicas, which fails under MultiWorkerMirroredStrategy
    (keras-team/keras#20585) and advances the data pipeline's shuffle by one iteration under any strategy. tfstyle's
    models are built before `fit`, so the step is not needed: with the attribute cleared, Keras takes the strategy
    from the surrounding scope (its `distribute_strategy` property) and distributes data and steps as usual.
    """
    strategy = model.distribute_strategy
    saved = getattr(model, "_distribute_strategy", None)
    model._distribute_strategy = None
    try:
        with strategy.scope():
            yield
    finally:
        model._distribute_strategy = saved


def step_logs(trackers):
    """What a `train_step`/`test_step` returns: the trackers' current results, by name.

    Relies on: Keras 3's TensorFlow trainer reducing step outputs under MultiWorkerMirroredStrategy with
    `strategy.reduce("MEAN", value, axis=0)`, which fails on scalars; there each result is returned with shape (1,),
    which that reduction averages over the workers into a scalar. Elsewhere results stay scalars.
    """
    import tensorflow as tf

    multi_worker = isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy)
    return {name: tf.reshape(t.result(), [1]) if multi_worker else t.result() for name, t in trackers.items()}


def interpreter_ops(interpreter):
    """The op names of a LiteRT interpreter's graph, as its builtin resolver sees them.

    Relies on: `Interpreter._get_ops_details()` (LiteRT has no public op listing).
    """
    return sorted({op["op_name"] for op in interpreter._get_ops_details()})


def tflite_schema():
    """The TFLite flatbuffer schema's generated Python module (object API).

    Relies on: `tensorflow.lite.python.schema_py_generated`, shipped with TensorFlow.
    """
    from tensorflow.lite.python import schema_py_generated

    return schema_py_generated


def read_tflite_model(tflite_bytes):
    """The `ModelT` object of a `.tflite` file's bytes.

    Relies on: `tensorflow.lite.tools.flatbuffer_utils.read_model_from_bytearray`.
    """
    from tensorflow.lite.tools import flatbuffer_utils

    return flatbuffer_utils.read_model_from_bytearray(bytearray(tflite_bytes))
