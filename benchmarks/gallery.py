"""The README's gallery: copies the pictures of a `tfstyle demo` output folder into notebooks/images/ and adds the
shipped starry_night model's outputs on four held-out photos (outputs only: the shared photos themselves are not
copied into the repository).

    tfstyle demo --out /tmp/demo_out && python benchmarks/gallery.py /tmp/demo_out
"""

import os
import pathlib
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _photos import photo_split  # noqa: E402

IMAGES = pathlib.Path(__file__).resolve().parents[1] / "notebooks" / "images"
FROM_DEMO = {"fast_style.png": "fast_style_demo.png", "gatys.png": "gatys_demo.png"}


def main():
    demo = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "demo_out")
    import numpy as np

    from tfstyle import pretrained
    from tfstyle.data import read_image, write_image
    from tfstyle.runs import Run

    IMAGES.mkdir(parents=True, exist_ok=True)
    for source, target in FROM_DEMO.items():
        shutil.copy(demo / source, IMAGES / target)
    shutil.copy(demo / "runs" / "pix2pix" / "evaluate_val.png", IMAGES / "pix2pix_demo.png")
    run = Run(pretrained.path("starry_night"))
    photos = sorted((photo_split() / "test").glob("*.jpg"))[::25][:4]
    outputs = [run.translate(read_image(path)) for path in photos]
    write_image(IMAGES / "starry_night_heldout.png", np.concatenate(outputs, axis=1))
    print("written:", ", ".join(sorted(p.name for p in IMAGES.glob("*.png"))))
    print("held-out photos:", ", ".join(p.name for p in photos))


if __name__ == "__main__":
    main()
