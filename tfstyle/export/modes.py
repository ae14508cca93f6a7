"""The exporter's TFLite quantisation modes and the fidelity floor each artifact must meet (plain data, no
TensorFlow, so the command line can list them in its help)."""

MODES = ("fp32", "fp16", "dynamic", "int8", "int16x8")

# Documented per-mode fidelity floors (PSNR in dB of uint8 outputs vs the Keras model), used when
# `min_psnr` is not given: fp32/fp16 must be near-exact, weight-only and integer modes may lose a little.
DEFAULT_MIN_PSNR = {"savedmodel": 45.0, "fp32": 40.0, "fp16": 35.0, "dynamic": 30.0, "int8": 22.0, "int16x8": 30.0,
                    "qat_int8": 22.0}
