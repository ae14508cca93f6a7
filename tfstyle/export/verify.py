"""Proving a TFLite artifact works: LiteRT latency, fidelity against Keras, op support, I/O contract."""

import gzip
import os
import statistics
import time

import numpy as np

from tfstyle import _compat

BUILTIN_FLAG = "builtin"


def interpreter(path, threads=1, delegates=True):
    """A LiteRT interpreter (`ai_edge_litert`, the `mobile` extra). delegates=False: plain builtin kernels."""
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError as err:  # pragma: no cover - depends on the optional extra
        from tfstyle.errors import ExportError

        raise ExportError(f"Verifying TFLite files needs LiteRT: pip install 'tfstyle[mobile]' ({err}).") from None
    kwargs = {} if delegates else {"experimental_op_resolver_type": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES}
    model = Interpreter(model_path=os.fspath(path), num_threads=threads, **kwargs)
    model.allocate_tensors()
    return model


def run(model, inputs):
    """Runs one example through the interpreter's signature, quantising I/O as its contract says.

    Args:
        model: a LiteRT interpreter (`interpreter(path)`).
        inputs: a float32 [-1, 1] image (H, W, 3) for a one-input model, or input name -> one example (an image
            (H, W, 3) or a vector (D,)).

    Returns:
        uint8 pixels (H, W, 3) for an image output, float32 values for a vector output.
    """
    in_details, out_detail, invoke = _signature(model)
    if not isinstance(inputs, dict) or len(in_details) == 1:  # one input: whatever its name
        inputs = {next(iter(in_details)): next(iter(inputs.values())) if isinstance(inputs, dict) else inputs}
    feed = {name: _quantize(np.asarray(value, np.float32)[None], in_details[name]) for name, value in inputs.items()}
    y = invoke(feed)[0]
    if out_detail["dtype"] in (np.uint8, np.int8):
        scale, zero = out_detail["quantization"]
        y = (y.astype(np.float32) - zero) * scale
    return to_uint8(y) if y.ndim == 3 else y.astype(np.float32)


def _signature(model):
    """(input name -> details, output details, invoke(feed) -> output) through the file's first signature, or through
    its raw tensors when it has none (files converted from a tf_keras model)."""
    signatures = model.get_signature_list()
    if signatures:
        runner = model.get_signature_runner(next(iter(signatures)))
        out_name, out_detail = next(iter(runner.get_output_details().items()))
        return runner.get_input_details(), out_detail, lambda feed: runner(**feed)[out_name]
    inputs, output = model.get_input_details(), model.get_output_details()[0]

    def invoke(feed):
        for detail in inputs:
            model.set_tensor(detail["index"], feed[detail["name"]])
        model.invoke()
        return model.get_tensor(output["index"])

    return {d["name"]: d for d in inputs}, output, invoke


def _quantize(x, detail):
    if detail["dtype"] not in (np.uint8, np.int8):
        return x
    scale, zero = detail["quantization"]
    info = np.iinfo(detail["dtype"])
    return np.clip(np.round(x / scale + zero), info.min, info.max).astype(detail["dtype"])


def to_uint8(image_float):
    return np.clip(np.round((np.asarray(image_float, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def psnr(reference, test, peak=255.0):
    mse = np.mean((reference.astype(np.float64) - test.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(peak**2 / mse))


def fidelity(path, examples, keras_outputs):
    """PSNR (dB) and max abs error of the artifact's outputs against the Keras model's, on held-out examples.

    Image outputs are compared as uint8 pixels (peak 255); vector outputs (a style network's) as float values,
    with the largest |value| of the Keras outputs as the peak.
    """
    model = interpreter(path)
    outputs = np.stack([run(model, example) for example in examples])
    vector = outputs.ndim == 2
    reference = np.asarray(keras_outputs, np.float32) if vector else np.stack([to_uint8(o) for o in keras_outputs])
    peak = float(np.abs(reference).max()) if vector else 255.0
    error = np.abs(reference.astype(np.float64) - outputs.astype(np.float64)).max()
    return {"psnr_db": round(psnr(reference, outputs, peak), 2), "max_abs_error": float(error) if vector else int(error),
            "images": len(examples), **({"peak": round(peak, 4)} if vector else {})}  # fmt: skip


def latency(path, example, threads=(1,), runs=10, warmup=2):
    """Median (and min) milliseconds per inference of one example at each thread count, after warm-up."""
    results = {}
    for count in threads:
        model = interpreter(path, threads=count)
        for _ in range(warmup):
            run(model, example)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            run(model, example)
            times.append((time.perf_counter() - start) * 1000)
        results[str(count)] = {"median_ms": round(statistics.median(times), 2), "min_ms": round(min(times), 2)}
    return results


def ops(path):
    """The op list of the model as the builtin resolver sees it; non-builtin (custom / Flex) ops flagged."""
    names = _compat.interpreter_ops(interpreter(path, delegates=False))
    unsupported = [name for name in names if name.startswith("Flex") or not name.isupper()]
    return {"ops": names, "unsupported": unsupported}


def io_contract(path):
    """The inputs and outputs of the file's signature: name, shape, dtype and quantisation."""
    in_details, out_detail, _ = _signature(interpreter(path))

    def describe(name, d):
        return {"name": name, "shape": d["shape"].tolist(), "dtype": np.dtype(d["dtype"]).name,
                "quantization": {"scale": float(d["quantization"][0]), "zero_point": int(d["quantization"][1])}}

    return {"inputs": [describe(name, d) for name, d in in_details.items()],
            "outputs": [describe(out_detail.get("name", "output"), out_detail)]}  # fmt: skip


def sizes(path):
    with open(path, "rb") as handle:
        content = handle.read()
    return {"bytes": len(content), "gzip_bytes": len(gzip.compress(content, 6))}
