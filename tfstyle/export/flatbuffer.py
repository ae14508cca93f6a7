"""Reading and re-writing `.tflite` flatbuffers, with identical vectors stored once.

A per-channel int8 model stores, for every weight and bias tensor, a float32 scale and an int64 zero point per
output channel. The zero points of symmetric weights are all 0, so a full-size ResNet-9 carries ~10,500 zeros
(84 KB) in copies of the same few vectors. FlatBuffers lets tables point at one shared vector, and LiteRT reads
it like any other; the converter just does not share. `pack` writes a model object with every identical
numeric vector stored once (a lossless rewrite: the tensors, their quantisation and the outputs are unchanged).
"""

import flatbuffers
import numpy as np

from tfstyle import _compat

# Vectors above this size (weight buffers) are not hashed: identical large buffers are rare and costly to compare.
_SHARE_UP_TO_BYTES = 1 << 16


def schema():
    """The TFLite schema's generated Python module (object API)."""
    return _compat.tflite_schema()


def unpack(tflite_bytes):
    """The model object (`schema.ModelT`) of a `.tflite` file's bytes."""
    return _compat.read_tflite_model(tflite_bytes)


class _SharingBuilder(flatbuffers.Builder):
    """A flatbuffers Builder whose numeric vectors are written once per distinct content."""

    def __init__(self, size):
        super().__init__(size)
        self._written = {}

    def CreateNumpyVector(self, x):  # noqa: N802 (flatbuffers' name)
        if x.nbytes > _SHARE_UP_TO_BYTES:
            return super().CreateNumpyVector(x)
        key = (x.dtype.str, x.tobytes())
        if key not in self._written:
            self._written[key] = super().CreateNumpyVector(x)
        return self._written[key]


def pack(model):
    """The bytes of `model` (a `schema.ModelT`), identical small vectors shared."""
    builder = _SharingBuilder(1 << 20)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
