"""Built-in synthetic translation tasks: generated from a seed, any size, no files, fully offline.

- `synthetic/stripes` (unpaired, like horse2zebra): domain A = smooth coloured blobs on plain backgrounds,
  domain B = the same kind of blobs carrying zebra-like stripes. Judged by `tfstyle.metrics.stripe_score`.
- `synthetic/labels` (paired, like facades): A = flat colour label maps of rectangles, B = a textured rendering
  of the same layout (each class has its own texture, a fixed function of position). Judged by L1/PSNR.

Every image is a pure function of (task, split, domain, index, size, seed), so datasets are deterministic.
"""

import numpy as np

TASKS = ("stripes", "labels")
SPLIT_SIZES = {"train": 256, "val": 32, "test": 64}
_SPLIT_IDS = {"train": 0, "val": 1, "test": 2}

# Flat label colours, loosely after the facades label palette (background, wall, window, door, balcony).
LABEL_PALETTE = np.array(
    [[0, 0, 170], [0, 85, 255], [255, 85, 0], [170, 255, 85], [255, 255, 0]], dtype=np.uint8
)


def _rng(task, split, domain, index, seed):
    return np.random.default_rng([seed, TASKS.index(task), _SPLIT_IDS[split], domain, index])


def _grid(size):
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    return y, x


def stripes_image(split, domain, index, size=64, seed=0):
    """One `synthetic/stripes` image (uint8, size×size×3). domain 0 = plain blobs (A), 1 = striped (B)."""
    rng = _rng("stripes", split, domain, index, seed)
    y, x = _grid(size)
    background = rng.uniform(0.15, 0.85, 3)
    image = np.ones((size, size, 3), np.float32) * background
    period = max(4.0, size / 8.0)
    for _ in range(rng.integers(1, 4)):
        cy, cx = rng.uniform(0.2, 0.8, 2) * size
        ry, rx = rng.uniform(0.12, 0.3, 2) * size
        angle = rng.uniform(0, np.pi)
        colour = rng.uniform(0.2, 1.0, 3)
        dy, dx = y - cy, x - cx
        u = dx * np.cos(angle) + dy * np.sin(angle)
        v = -dx * np.sin(angle) + dy * np.cos(angle)
        dist = np.sqrt((u / rx) ** 2 + (v / ry) ** 2)
        alpha = np.clip((1.0 - dist) * 4.0, 0.0, 1.0)[..., None]  # soft edge
        blob = np.ones_like(image) * colour
        if domain == 1:
            theta = rng.uniform(0, np.pi)
            wobble = 0.15 * period * np.sin(2 * np.pi * (x * np.sin(theta) - y * np.cos(theta)) / (3 * period))
            phase = (x * np.cos(theta) + y * np.sin(theta) + wobble) / period
            stripe = 0.5 + 0.5 * np.tanh(4.0 * np.sin(2 * np.pi * phase))
            blob = blob * (0.1 + 0.9 * stripe[..., None])
        image = image * (1 - alpha) + blob * alpha
    return np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)


def label_layout(split, index, size=64, seed=0):
    """A facade-like layout: integer class map (size×size) of rectangles."""
    rng = _rng("labels", split, 0, index, seed)
    labels = np.zeros((size, size), np.int32)
    top, left = (rng.uniform(0.05, 0.25, 2) * size).astype(int)
    bottom, right = (size - rng.uniform(0.0, 0.15, 2) * size).astype(int)
    labels[top:bottom, left:right] = 1
    rows, cols = rng.integers(2, 5), rng.integers(2, 5)
    cell_h, cell_w = (bottom - top) / rows, (right - left) / cols
    for r in range(rows):
        for c in range(cols):
            if rng.uniform() < 0.15:
                continue
            y0, x0 = int(top + (r + 0.25) * cell_h), int(left + (c + 0.25) * cell_w)
            y1, x1 = int(top + (r + 0.75) * cell_h), int(left + (c + 0.75) * cell_w)
            labels[y0:y1, x0:x1] = 2
            if r < rows - 1 and rng.uniform() < 0.3:
                labels[y1 : y1 + max(1, int(0.1 * cell_h)), x0:x1] = 4
    door_w = max(2, int(cell_w * 0.5))
    door_x = int(rng.uniform(left, max(left + 1, right - door_w)))
    labels[int(bottom - 0.6 * cell_h) : bottom, door_x : door_x + door_w] = 3
    return labels


def render_labels(labels):
    """The textured rendering of a label map: a fixed per-class texture function of pixel position."""
    size = labels.shape[0]
    y, x = _grid(size)
    scale = size / 32.0
    textures = np.zeros((len(LABEL_PALETTE), size, size, 3), np.float32)
    textures[0] = np.stack([0.45 + 0.3 * y / size, 0.6 + 0.2 * y / size, 0.9 + 0 * y], -1)  # sky gradient
    mortar = ((y % (4 * scale)) < scale) | (((x + 4 * scale * (np.floor(y / (4 * scale)) % 2)) % (8 * scale)) < scale)
    textures[1] = np.where(mortar[..., None], [0.85, 0.82, 0.75], [0.7, 0.35, 0.25])  # bricks
    sheen = 0.5 + 0.5 * np.sin((x + y) / (2 * scale))
    textures[2] = np.stack([0.1 + 0.2 * sheen, 0.15 + 0.25 * sheen, 0.25 + 0.3 * sheen], -1)  # glass
    grain = 0.5 + 0.5 * np.sin(x / (0.7 * scale))
    textures[3] = np.stack([0.45 + 0.15 * grain, 0.28 + 0.1 * grain, 0.12 + 0 * grain], -1)  # wood
    checker = ((np.floor(x / (2 * scale)) + np.floor(y / (2 * scale))) % 2)
    textures[4] = np.stack([0.2 + 0.6 * checker] * 3, -1)  # railing
    image = np.take_along_axis(textures, labels[None, :, :, None].repeat(3, -1), 0)[0]
    return np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)


def labels_pair(split, index, size=64, seed=0):
    """One `synthetic/labels` pair (label map A, rendering B), both uint8 size×size×3."""
    labels = label_layout(split, index, size, seed)
    return LABEL_PALETTE[labels], render_labels(labels)


def split_size(split, count=None):
    """Number of examples of a synthetic split (override with `count`)."""
    if split not in SPLIT_SIZES:
        from tfstyle.errors import DatasetError

        raise DatasetError(f"Unknown split {split!r} for a synthetic task; expected one of {sorted(SPLIT_SIZES)}.")
    return count if count is not None else SPLIT_SIZES[split]
