"""`tfstyle export`: SavedModel + TFLite artifacts with a verification report."""

from tfstyle.export.convert import MODES
from tfstyle.export.from_run import export_run


def add_parser(sub):
    parser = sub.add_parser("export", help="export a trained generator to SavedModel/TFLite and verify it")
    parser.add_argument("--model", required=True, help="runs/NAME or a generator .keras file")
    parser.add_argument("--direction", choices=["AtoB", "BtoA"], help="CycleGAN direction (default AtoB)")
    parser.add_argument("--out", required=True, help="output folder, e.g. saved_models/NAME")
    parser.add_argument("--formats", default="savedmodel,tflite", help="comma list of savedmodel, tflite")
    parser.add_argument("--quantize", default="fp32", help=f"comma list of {', '.join(MODES)}")
    parser.add_argument("--io", choices=["float32", "uint8"], default="float32", help="int8 artifacts' I/O type")
    parser.add_argument("--size", type=int, default=256, help="square input size baked into the artifacts")
    parser.add_argument("--calibration", help="dataset source or image folder (default: the run's training data)")
    parser.add_argument("--calibration-steps", type=int, default=100, help="representative images for int8")
    parser.add_argument("--heldout", type=int, default=8, help="held-out images for the fidelity check")
    parser.add_argument("--min-psnr", type=float, help="fidelity floor in dB for every artifact (default per mode)")
    parser.add_argument("--qat", action="store_true", help="also export a quantisation-aware-trained int8 model")
    parser.add_argument("--qat-steps", type=int, default=100, help="QAT fine-tuning steps (with --qat)")
    parser.add_argument("--threads", default="1", help="comma list of LiteRT thread counts to time, e.g. 1,2,4")
    parser.add_argument("--runs", type=int, default=10, help="timed runs per thread count")
    parser.set_defaults(run=run)


def run(args):
    report = export_run(
        args.model, args.out, direction=args.direction, size=args.size, calibration=args.calibration,
        calibration_steps=args.calibration_steps, heldout=args.heldout, formats=tuple(args.formats.split(",")),
        quantize=tuple(args.quantize.split(",")), io=args.io, threads=tuple(int(t) for t in args.threads.split(",")),
        runs=args.runs, min_psnr=args.min_psnr, qat_steps=args.qat_steps if args.qat else 0,
    )  # fmt: skip
    with open(f"{args.out}/report.md") as handle:
        print(handle.read())
    print(f"{len(report['artifacts'])} artifacts verified in {args.out}")
    return 0
