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


def link_split(files, root, every, held_out="test", train="train"):
    """Links each file into root/<train>/ or, every `every`-th in the given order, into root/<held_out>/ (nothing
    is copied; existing links are kept, so the split is the same on every run); returns root."""
    root = pathlib.Path(root)
    for index, path in enumerate(files):
        link = root / (held_out if index % every == every - 1 else train) / path.name
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
    return root


def photo_split(root=None):
    """A folder with train/ and test/ subfolders of links to the shared photos; returns its path."""
    if not PHOTOS.is_dir():
        raise SystemExit(f"{PHOTOS} not found: these benchmarks need ../shared/data beside the repository.")
    root = root or os.path.join(tempfile.gettempdir(), "tfstyle-photos-split")
    photos = sorted((p for p in PHOTOS.iterdir() if p.suffix.lower() == ".jpg"), key=lambda p: p.name)
    return link_split(photos, root, HELD_OUT_EVERY)

if __name__ == "__main__":
    print(photo_split())
