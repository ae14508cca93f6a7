"""TFDS builder for the pix2pix paired datasets (Isola et al. 2017), registered as `pix2pix/<name>`.

Each set is published as `<name>.tar.gz` holding `train/ val/ test/` folders of side-by-side A|B JPEGs
(facades: 512×256, 400/100/106 images, left = photo, right = label map). The builder splits each image into
its halves, `image_a` (left) and `image_b` (right).

    import tfstyle, tensorflow_datasets as tfds
    ds = tfds.load("pix2pix/facades", split="train")
    # offline or mirrored: tfds.load(..., builder_kwargs={"url": "file:///data/facades.tar.gz"})
    # or put facades.tar.gz into the TFDS manual dir (download_and_prepare_kwargs=...manual_dir).
"""

import os

import numpy as np
import tensorflow_datasets as tfds

from tfstyle.data import archive
from tfstyle.data.io import read_image
from tfstyle.data.scan import list_images
from tfstyle.errors import DatasetError

URL_TEMPLATE = os.environ.get(
    "TFSTYLE_PIX2PIX_URL", "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/{name}.tar.gz"
)
NAMES = ("facades", "cityscapes", "maps", "edges2shoes", "edges2handbags", "night2day")
# sha256 of the published archives, filled in as they are verified; None = not known, not checked.
KNOWN_SHA256 = {name: None for name in NAMES}
_DESCRIPTIONS = {
    "facades": "CMP Facades: 400/100/106 pairs, A = photo, B = label map.",
    "cityscapes": "Cityscapes: 2975/500 pairs, A = photo, B = semantic labels.",
    "maps": "Google Maps: 1096/1098 pairs, A = aerial photo, B = map.",
    "edges2shoes": "UT Zappos50K: ~50k pairs, A = edges, B = photo.",
    "edges2handbags": "iGAN handbags: ~137k pairs, A = edges, B = photo.",
    "night2day": "Transient Attributes: ~17k pairs, A = night, B = day.",
}


class Pix2pix(tfds.core.GeneratorBasedBuilder):
    """The pix2pix paired image-to-image translation datasets."""

    VERSION = tfds.core.Version("1.0.0")
    BUILDER_CONFIGS = [tfds.core.BuilderConfig(name=name, description=_DESCRIPTIONS[name]) for name in NAMES]
    MANUAL_DOWNLOAD_INSTRUCTIONS = "Optionally place <name>.tar.gz in the manual dir to skip the download."

    def __init__(self, *, url=None, sha256=None, **kwargs):
        super().__init__(**kwargs)
        self._url = url
        self._sha256 = sha256

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            description=__doc__,
            features=tfds.features.FeaturesDict(
                {
                    "image_a": tfds.features.Image(shape=(None, None, 3)),
                    "image_b": tfds.features.Image(shape=(None, None, 3)),
                    "file_name": tfds.features.Text(),
                }
            ),
            supervised_keys=("image_a", "image_b"),
            homepage="https://phillipi.github.io/pix2pix/",
            citation="Isola, Zhu, Zhou, Efros. Image-to-Image Translation with Conditional Adversarial Networks. CVPR 2017.",
        )

    def _archive_path(self, dl_manager):
        name = self.builder_config.name
        manual = os.path.join(os.fspath(dl_manager._manual_dir), f"{name}.tar.gz") if dl_manager._manual_dir else None
        if manual and os.path.exists(manual):
            return manual
        url = self._url or URL_TEMPLATE.format(name=name)
        local = archive.local_path_of(url)
        if local is not None:
            if not os.path.exists(local):
                raise DatasetError(f"{local}: archive not found (from url {url}).")
            return local
        return os.fspath(dl_manager.download(url))

    def _split_generators(self, dl_manager):
        name = self.builder_config.name
        tarball = self._archive_path(dl_manager)
        archive.verify_checksum(tarball, self._sha256 or KNOWN_SHA256.get(name))
        root = archive.safe_extract(tarball, os.path.join(os.fspath(dl_manager.download_dir), f"pix2pix_{name}"))
        base = os.path.join(root, name) if os.path.isdir(os.path.join(root, name)) else root
        splits = {split: os.path.join(base, split) for split in ("train", "val", "test")}
        found = {split: path for split, path in splits.items() if os.path.isdir(path)}
        if not found:
            raise DatasetError(f"{tarball}: expected train/ val/ test/ folders inside {name}/.")
        return {split: self._generate_examples(path) for split, path in found.items()}

    def _generate_examples(self, folder):
        for path in list_images(folder):
            image = read_image(path)
            image_a, image_b = split_side_by_side(image, path)
            key = os.path.basename(path)
            yield key, {"image_a": image_a, "image_b": image_b, "file_name": key}


def split_side_by_side(image, path="<image>"):
    """Splits a side-by-side A|B image into its left (A) and right (B) halves."""
    width = image.shape[1]
    if width % 2:
        raise DatasetError(f"{path}: side-by-side pair has odd width {width}; expected A|B halves of equal width.")
    return np.ascontiguousarray(image[:, : width // 2]), np.ascontiguousarray(image[:, width // 2 :])
