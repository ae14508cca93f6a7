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


def run(model, image_float):
    """Runs one float [-1, 1] image (H, W, 3) through the interpreter, quantising I/O as its contract says;
    returns uint8 output pixels."""
    inp, out = model.get_input_details()[0], model.get_output_details()[0]
    x = image_float[None].astype(np.float32)
    if inp["dtype"] in (np.uint8, np.int8):
        scale, zero = inp["quantization"]
        info = np.iinfo(inp["dtype"])
        x = np.clip(np.round(x / scale + zero), info.min, info.max).astype(inp["dtype"])
    model.set_tensor(inp["index"], x)
    model.invoke()
    y = model.get_tensor(out["index"])[0]
    if out["dtype"] in (np.uint8, np.int8):
        scale, zero = out["quantization"]
        y = (y.astype(np.float32) - zero) * scale
    return to_uint8(y)


def to_uint8(image_float):
    return np.clip(np.round((np.asarray(image_float, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def psnr(reference, test):
    mse = np.mean((reference.astype(np.float64) - test.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def fidelity(path, images, keras_outputs):
    """PSNR (dB) and max abs error of the artifact's uint8 outputs against the Keras model's, on held-out images."""
    model = interpreter(path)
    outputs = np.stack([run(model, image) for image in images])
    reference = np.stack([to_uint8(o) for o in keras_outputs])
    return {"psnr_db": round(psnr(reference, outputs), 2),
            "max_abs_error": int(np.abs(reference.astype(int) - outputs.astype(int)).max()),
            "images": len(images)}  # fmt: skip


def latency(path, image, threads=(1,), runs=10, warmup=2):
    """Median (and min) milliseconds per inference at each thread count, after warm-up."""
    results = {}
    for count in threads:
        model = interpreter(path, threads=count)
        for _ in range(warmup):
            run(model, image)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            run(model, image)
            times.append((time.perf_counter() - start) * 1000)
        results[str(count)] = {"median_ms": round(statistics.median(times), 2), "min_ms": round(min(times), 2)}
    return results


def ops(path):
    """The op list of the model as the builtin resolver sees it; non-builtin (custom / Flex) ops flagged."""
    names = _compat.interpreter_ops(interpreter(path, delegates=False))
    unsupported = [name for name in names if name.startswith("Flex") or not name.isupper()]
    return {"ops": names, "unsupported": unsupported}


def io_contract(path):
    model = interpreter(path)

    def describe(details):
        return [{"name": d["name"], "shape": d["shape"].tolist(), "dtype": np.dtype(d["dtype"]).name,
                 "quantization": {"scale": float(d["quantization"][0]), "zero_point": int(d["quantization"][1])}}
                for d in details]  # fmt: skip

    return {"inputs": describe(model.get_input_details()), "outputs": describe(model.get_output_details())}


def sizes(path):
    with open(path, "rb") as handle:
        content = handle.read()
    return {"bytes": len(content), "gzip_bytes": len(gzip.compress(content, 6))}
