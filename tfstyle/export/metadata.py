"""The model card inside each `.tflite` file: a named metadata entry of the TFLite flatbuffer.

TFLite models carry `(name, buffer)` metadata entries (the converter itself stores "min_runtime_version" and
"CONVERSION_METADATA" this way); interpreters ignore names they do not know. tfstyle adds
`tfstyle_model_card`, a UTF-8 JSON buffer with the input/output contract, so a `.tflite` file copied on its own
still says what it expects. Read it with `read_card(path)`, or in an app by walking the flatbuffer's `metadata`
list (the FlatBuffers schema is tensorflow/lite/schema/schema.fbs).
"""

import json

import numpy as np

from tfstyle.export import flatbuffer

NAME = "tfstyle_model_card"


def embed_card(tflite_bytes, card):
    """Returns `tflite_bytes` with `card` (a JSON-serialisable dict) stored as the `tfstyle_model_card` entry.

    The file is re-written by `flatbuffer.pack`, which also stores identical quantisation vectors once.
    """
    schema = flatbuffer.schema()
    model = flatbuffer.unpack(tflite_bytes)
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(json.dumps(card, sort_keys=True, default=str).encode("utf-8"), np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name, entry.buffer = NAME, len(model.buffers) - 1
    model.metadata = [m for m in (model.metadata or []) if m.name not in (NAME, NAME.encode())] + [entry]
    return flatbuffer.pack(model)


def read_card(path):
    """The model card stored in a `.tflite` file, or None when it has none."""
    schema = flatbuffer.schema()
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    model = schema.Model.GetRootAsModel(data, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name().decode() == NAME:
            return json.loads(model.Buffers(entry.Buffer()).DataAsNumpy().tobytes().decode("utf-8"))
    return None
