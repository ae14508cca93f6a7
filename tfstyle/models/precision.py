"""Trained networks as float32 models, whatever precision they were trained in.

Under `mixed_bfloat16` (what `precision="auto"` picks on CPUs with native bf16) the weights are float32 but each
layer records bfloat16 as its compute dtype, and a saved `.keras` file keeps that. Such a file computes in bf16 on
every machine that loads it (emulated, slower, on most), and TFLite has no bf16 kernels, so export fails. The
generators a run saves and loads are therefore rebuilt with float32 compute: same weights, the precision people
expect of a model file. Training itself (checkpoints, resume) keeps the mixed policy.
"""

import keras

MIXED_POLICIES = ("mixed_bfloat16", "mixed_float16")
HALF_DTYPES = ("bfloat16", "float16")


def is_float32(model):
    """True when every layer of `model` (nested models included) computes in float32."""
    return all(layer.dtype_policy.name == "float32" for layer in _layers(model))


def float32_model(model):
    """`model` rebuilt from its config with float32 compute in every layer, its weights copied; `model` itself
    when it already computes in float32. Works for functional models with tfstyle's and Keras's layers."""
    if is_float32(model):
        return model
    config = _float32_config(keras.saving.serialize_keras_object(model))
    copy = keras.saving.deserialize_keras_object(config)
    copy.set_weights(model.get_weights())
    return copy


def _layers(model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _layers(layer)


def _float32_config(node):
    """The serialized config with every mixed policy and half-precision tensor dtype replaced by float32."""
    if isinstance(node, list):
        return [_float32_config(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("class_name") == "DTypePolicy" and node.get("config", {}).get("name") in MIXED_POLICIES:
        return {**node, "config": {**node["config"], "name": "float32"}}
    result = {key: _float32_config(value) for key, value in node.items()}
    if result.get("dtype") in MIXED_POLICIES + HALF_DTYPES:  # plain-string policies and traced tensors' dtypes
        result["dtype"] = "float32"
    return result
