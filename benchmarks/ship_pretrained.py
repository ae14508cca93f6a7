"""Turns a trained fast-style run into a shipped model: `tfstyle/pretrained/NAME/` with the run's settings, the
network as `stylizer.keras`, its training history, and int8 + fp16 TFLite files verified by the exporter (reports
beside them), calibrated on 100 training photos and checked on held-out ones. `TRAINING.md` is written by hand
from the run's log (command, steps, time), since only the person who ran it knows them all.

    python benchmarks/ship_pretrained.py RUN NAME [--calibration FOLDER] [--heldout FOLDER]

RUN may be the shipped folder itself, to re-export it with today's exporter and layers.

The shipped folder is written aside and moved into place, so a failed export leaves the old one as it was.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _photos import photo_split  # noqa: E402

PRETRAINED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tfstyle", "pretrained")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="the fast-style run folder")
    parser.add_argument("name", help="the shipped name, e.g. starry_night")
    parser.add_argument("--calibration", help="int8 calibration photos (default: the shared photos' train split)")
    parser.add_argument("--heldout", help="held-out photos for fidelity (default: the shared photos' test split)")
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()

    from tfstyle.data import folder_images
    from tfstyle.export import export_model
    from tfstyle.export.convert import replace_dir
    from tfstyle.models.transformer import transformer_network
    from tfstyle.runs import Run

    run = Run(args.run)
    if run.kind.kind_name != "faststyle":
        sys.exit(f"{args.run}: a {run.kind.kind_name} run; only fast-style runs are shipped.")
    # Rebuilt from the current builder and given the trained weights, so the shipped file uses today's layers.
    trained = run.generator()
    network = transformer_network(run.config.get("alpha", 1.0))
    network.set_weights(trained.get_weights())
    split = photo_split()
    calibration = folder_images(args.calibration or split / "train", args.size, 100)
    heldout = folder_images(args.heldout or split / "test", args.size, 16)

    target = os.path.join(PRETRAINED, args.name)
    staging = tempfile.mkdtemp(prefix=f".tmp-{args.name}-", dir=PRETRAINED)
    os.chmod(staging, 0o755)  # mkdtemp's 0700 would make the shipped folder private
    try:
        network.save(os.path.join(staging, "stylizer.keras"))
        # re-exporting a shipped folder (`ship_pretrained.py tfstyle/pretrained/NAME NAME`) keeps its origin
        config = {"shipped_from": os.path.abspath(args.run), **run.config}
        with open(os.path.join(staging, "config.json"), "w") as handle:
            json.dump(config, handle, indent=2)
        shutil.copy(os.path.join(args.run, "history.csv"), staging)
        report = export_model(network, os.path.join(staging, "export"), size=args.size, formats=("tflite",),
                              quantize=("int8", "fp16"), io="uint8", calibration=calibration, heldout=heldout,
                              card={"kind": "faststyle", "name": args.name, "training_settings": config})  # fmt: skip
        old_notes = os.path.join(target, "TRAINING.md")
        if os.path.exists(old_notes):
            shutil.copy(old_notes, staging)
        replace_dir(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for artifact in report["artifacts"]:
        print(f"{artifact['file']}: {artifact['bytes'] / 1e6:.2f} MB, PSNR vs Keras "
              f"{artifact['fidelity']['psnr_db']:.1f} dB")  # fmt: skip
    print(f"shipped: {target}")


if __name__ == "__main__":
    main()
