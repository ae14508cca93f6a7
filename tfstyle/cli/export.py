"""`tfstyle export`: SavedModel + TFLite artifacts with a verification report."""

import os

from tfstyle.errors import TfstyleError
from tfstyle.export.modes import MODES


def add_parser(sub, help_line):
    parser = sub.add_parser("export", help=help_line, description=help_line)
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
    parser.add_argument("--web", action="store_true", help="also write OUT/web/: a page running the model in a browser")
    parser.add_argument("--web-artifact", help="the .tflite the page runs (default: the int8 file, else fp32)")
    parser.add_argument("--litertjs", help="node_modules/@litertjs to copy the LiteRT.js runtime from (default: found)")
    parser.set_defaults(run=run)


def run(args):
    options = dict(
        formats=tuple(args.formats.split(",")), quantize=tuple(args.quantize.split(",")), io=args.io,
        threads=tuple(int(t) for t in args.threads.split(",")), runs=args.runs, min_psnr=args.min_psnr,
        qat_steps=args.qat_steps if args.qat else 0,
    )  # fmt: skip
    if os.path.isdir(args.model):
        from tfstyle.runs import Run

        report = Run(args.model).export(args.out, args.direction, args.size, args.calibration, args.calibration_steps,
                                        args.heldout, **options)  # fmt: skip
    else:
        report = _export_file(args, options)
    with open(os.path.join(args.out, "report.md")) as handle:
        print(handle.read())
    print(f"{len(report['artifacts'])} artifacts verified in {args.out}")
    if args.web:
        from tfstyle.export.webpage import write_page

        web = write_page(args.out, report, args.litertjs, args.web_artifact)
        print(f"web page: {web} (serve it: tfstyle serve-web {web})")
    return 0


def _export_file(args, options):
    """A bare generator `.keras` file: calibration and held-out images come from an image folder."""
    from tfstyle.data import folder_images
    from tfstyle.export import export_model
    from tfstyle.training.run import load_generator

    if not args.calibration or not os.path.isdir(args.calibration):
        raise TfstyleError(f"{args.model}: a .keras file needs --calibration FOLDER (images to calibrate and verify).")
    generator = load_generator(args.model)
    images = folder_images(args.calibration, args.size, args.calibration_steps + args.heldout)
    if len(images) <= args.heldout:
        raise TfstyleError(f"{args.calibration}: only {len(images)} images; need more than {args.heldout}.")
    card = {"source_model": args.model, "architecture": generator.name, "calibration_data": args.calibration}
    return export_model(generator, args.out, size=args.size, calibration=images[:-args.heldout],
                        heldout=images[-args.heldout:], card=card, **options)  # fmt: skip
