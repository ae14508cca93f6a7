"""Choosing a tf.distribute strategy and a dtype policy by name, and which worker writes the run folder."""

import json
import os

import keras
import tensorflow as tf

from tfstyle.errors import TfstyleError
from tfstyle.training.settings import PRECISIONS


def _mirrored():
    return tf.distribute.MirroredStrategy()


def _multiworker():
    if "TF_CONFIG" not in os.environ:
        raise TfstyleError("strategy multiworker reads the cluster from TF_CONFIG, which is not set. Set it on every "
                           "host (README: Training on several machines), or use --strategy default or mirrored.")  # fmt: skip
    return tf.distribute.MultiWorkerMirroredStrategy()


def _tpu():
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.NotFoundError) as err:
        raise TfstyleError(f"No TPU found ({err}). Use --strategy default or mirrored on this machine.") from None
    return tf.distribute.TPUStrategy(resolver)


STRATEGIES = {"default": tf.distribute.get_strategy, "mirrored": _mirrored, "multiworker": _multiworker, "tpu": _tpu}
# CPU features with native bfloat16 arithmetic (AVX-512 BF16 dot products, AMX tiles): there mixed_bfloat16 runs
# faster at the same quality; elsewhere TensorFlow emulates bf16 and float32 is faster.
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def get_strategy(name="default"):
    """The tf.distribute strategy for "default", "mirrored", "multiworker" or "tpu"."""
    if name not in STRATEGIES:
        raise TfstyleError(f'Unknown strategy. Received: strategy="{name}"; expected one of {", ".join(STRATEGIES)}.')
    return STRATEGIES[name]()


def cpu_flags():
    """The CPU feature flags the kernel reports (Linux /proc/cpuinfo), or an empty set elsewhere."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def resolve_precision(precision="auto", strategy=None, flags=None, gpu_capabilities=None):
    """The dtype policy for `precision` and why: "auto" is mixed_bfloat16 where bfloat16 is native (a TPU, GPUs of
    compute capability ≥ 8.0, CPUs with avx512_bf16 or amx_bf16), else float32. Other names are returned as they are.

    Args:
        precision: "auto", "float32", "mixed_float16" or "mixed_bfloat16".
        strategy: the tf.distribute strategy in use (a TPUStrategy means TPUs). Defaults to None.
        flags: CPU flags (for tests). Defaults to this machine's.
        gpu_capabilities: (major, minor) per visible GPU (for tests). Defaults to this machine's.

    Returns:
        (policy name, reason).
    """
    if precision not in PRECISIONS:
        raise TfstyleError(f'Unknown precision. Received: "{precision}"; expected one of {", ".join(PRECISIONS)}.')
    if precision != "auto":
        return precision, "chosen"
    if isinstance(strategy, tf.distribute.TPUStrategy):
        return "mixed_bfloat16", "auto: TPUs compute bfloat16 natively"
    if gpu_capabilities is None:
        details = [tf.config.experimental.get_device_details(g) for g in tf.config.list_physical_devices("GPU")]
        gpu_capabilities = [d.get("compute_capability", (0, 0)) for d in details]
    if gpu_capabilities:
        if all(tuple(c) >= (8, 0) for c in gpu_capabilities):
            return "mixed_bfloat16", f"auto: GPUs of compute capability {min(gpu_capabilities)} ≥ 8.0 compute bfloat16"
        return "float32", f"auto: GPUs of compute capability {min(gpu_capabilities)} < 8.0 have no native bfloat16"
    native = sorted(set(BF16_CPU_FLAGS) & (cpu_flags() if flags is None else set(flags)))
    if native:
        return "mixed_bfloat16", f"auto: this CPU computes bfloat16 natively ({', '.join(native)})"
    return "float32", f"auto: this CPU has no native bfloat16 ({' or '.join(BF16_CPU_FLAGS)} missing)"


def set_precision(policy="float32"):
    """Sets Keras's global dtype policy (before building models); returns the previous policy name."""
    if policy not in PRECISIONS[1:]:
        raise TfstyleError(f'Unknown precision. Received: "{policy}"; expected one of {", ".join(PRECISIONS[1:])}.')
    previous = keras.config.dtype_policy().name
    keras.config.set_dtype_policy(policy)
    return previous


def worker_role(strategy=None):
    """(task type, task id, is chief) of this process in a multi-worker cluster; ("", 0, True) on one machine.

    Read from the strategy's cluster resolver, else from TF_CONFIG (which MultiWorkerMirroredStrategy reads too),
    so callbacks made outside the strategy's scope know their role. The chief is the "chief" task, or worker 0
    when the cluster has none (TensorFlow's convention). Only the chief writes the run folder; every worker takes
    part in saving checkpoints (to a scratch folder when not chief).
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    if resolver is not None and resolver.task_type:
        task_type, task_id = resolver.task_type, int(resolver.task_id or 0)
    elif config.get("task", {}).get("type"):
        task_type, task_id = config["task"]["type"], int(config["task"].get("index", 0))
    else:
        return "", 0, True
    chief = task_type == "chief" or (task_type == "worker" and task_id == 0 and "chief" not in config.get("cluster", {}))
    return task_type, task_id, chief
