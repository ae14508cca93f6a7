"""The shared content photos split into training and held-out images, as folders of symbolic links.

`../shared/data/photos/` holds 1,200 photos (600 horses, 600 zebras from horse2zebra's training split). Every 12th
file in name order (100 photos, 50 of each animal) is held out for scoring; the other 1,100 train. The links live
in a scratch folder, so nothing is copied and the split is the same on every machine.
"""

import os
import pathlib
import tempfile

SHARED = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"
PHOTOS = SHARED / "photos"
STYLES = SHARED / "styles"
HELD_OUT_EVERY = 12


def photo_split(root=None):
    """A folder with train/ and test/ subfolders of links to the shared photos; returns its path."""
    if not PHOTOS.is_dir():
        raise SystemExit(f"{PHOTOS} not found: these benchmarks need ../shared/data beside the repository.")
    root = pathlib.Path(root or os.path.join(tempfile.gettempdir(), "tfstyle-photos-split"))
    names = sorted(p.name for p in PHOTOS.iterdir() if p.suffix.lower() == ".jpg")
    for index, name in enumerate(names):
        split = "test" if index % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 else "train"
        link = root / split / name
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(PHOTOS / name)
    return root


if __name__ == "__main__":
    print(photo_split())
