"""Shared test helpers: tiny images on disk, the optional ../shared data, quiet TensorFlow."""

import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared(*parts):
    """Path inside ../shared/data, or skip the test cleanly when it is absent (a user's clone)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present (only on the development machine)")
    return path


def save_image(path, array, **kwargs):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **kwargs)
    return path


def random_image(size=32, seed=0, width=None):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (size, width or size, 3), dtype=np.uint8)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
