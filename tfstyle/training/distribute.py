"""Choosing a tf.distribute strategy and a mixed-precision policy by name."""

import keras
import tensorflow as tf

from tfstyle.errors import TfstyleError


def _mirrored():
    return tf.distribute.MirroredStrategy()


def _multiworker():
    return tf.distribute.MultiWorkerMirroredStrategy()  # reads TF_CONFIG


def _tpu():
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.NotFoundError) as err:
        raise TfstyleError(f"No TPU found ({err}). Use --strategy default or mirrored on this machine.") from None
    return tf.distribute.TPUStrategy(resolver)


STRATEGIES = {"default": tf.distribute.get_strategy, "mirrored": _mirrored, "multiworker": _multiworker, "tpu": _tpu}
POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


def get_strategy(name="default"):
    """The tf.distribute strategy for "default", "mirrored", "multiworker" or "tpu"."""
    if name not in STRATEGIES:
        raise TfstyleError(f'Unknown strategy. Received: strategy="{name}"; expected one of {", ".join(STRATEGIES)}.')
    return STRATEGIES[name]()


def set_precision(policy="float32"):
    """Sets Keras's global dtype policy (before building models); returns the previous policy name."""
    if policy not in POLICIES:
        raise TfstyleError(f'Unknown precision. Received: "{policy}"; expected one of {", ".join(POLICIES)}.')
    previous = keras.config.dtype_policy().name
    keras.config.set_dtype_policy(policy)
    return previous
