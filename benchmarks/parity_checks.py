"""The checks behind the CycleGAN parity investigation that need no PyTorch: the image pool against the
reference's rule, tfstyle's training-image resize against PIL's, and the initial weights.

    python benchmarks/parity_checks.py
"""

import os
import random
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _photos import PHOTOS  # noqa: E402

QUERIES, POOL = 3000, 50


def pool_statistics(returned):
    """(swap rate, mean age of a returned stored image) once the pool is full; image i is the number i."""
    steps = np.arange(len(returned))[POOL:]
    swapped = returned[POOL:] != steps
    return swapped.mean(), (steps - returned[POOL:])[swapped].mean()


def reference_pool():
    """The authors' util/image_pool.py rule, in plain Python."""
    random.seed(0)
    stored, out = [], []
    for i in range(QUERIES):
        if len(stored) < POOL:
            stored.append(i)
            out.append(i)
        elif random.random() > 0.5:
            j = random.randint(0, POOL - 1)
            out.append(stored[j])
            stored[j] = i
        else:
            out.append(i)
    return np.array(out, np.float64)


def tfstyle_pool(jit):
    import keras
    import tensorflow as tf

    from tfstyle.translate.pool import ImagePool

    keras.utils.set_random_seed(0)
    pool = ImagePool(POOL, (1, 1, 1), seed=0)
    query = tf.function(lambda x: pool(x), jit_compile=jit)
    return np.array([float(query(tf.fill((1, 1, 1, 1), float(i)))[0, 0, 0, 0]) for i in range(QUERIES)])


def main():
    from PIL import Image

    from tfstyle.data.io import read_image
    from tfstyle.data.pipeline import _resize
    from tfstyle.translate.cyclegan import CycleGAN

    for name, returned in (("reference rule", reference_pool()), ("tfstyle, tf.function", tfstyle_pool(False)),
                           ("tfstyle, XLA", tfstyle_pool(True))):  # fmt: skip
        rate, age = pool_statistics(returned)
        print(f"pool, {name}: swap rate {rate:.3f}, mean age of a returned stored image {age:.0f} steps")

    files = sorted(PHOTOS.glob("horse_*.jpg"))[:20]
    differences, energies = [], {"tfstyle": [], "PIL": []}
    high_frequency = lambda x: np.abs(np.diff(x, axis=0)).mean() + np.abs(np.diff(x, axis=1)).mean()  # noqa: E731
    for path in files:
        ours = _resize(read_image(path), 72).numpy().astype(np.float64)
        theirs = np.asarray(Image.open(path).convert("RGB").resize((72, 72), Image.BICUBIC), np.float64)
        differences.append(np.abs(ours - theirs).mean())
        energies["tfstyle"].append(high_frequency(ours))
        energies["PIL"].append(high_frequency(theirs))
    print(f"resize to 72 px, {len(files)} photos: mean |tfstyle − PIL bicubic| {np.mean(differences):.2f} of 255; "
          f"high-frequency energy {np.mean(energies['tfstyle']):.2f} vs {np.mean(energies['PIL']):.2f}")  # fmt: skip

    import keras

    keras.utils.set_random_seed(0)
    model = CycleGAN(image_size=64, n_blocks=6, ngf=32)
    weights = []
    for net in model.networks().values():
        net(np.zeros((1, 64, 64, 3), np.float32))
        weights += [np.asarray(w) for w in net.weights]
    kernels = [w.ravel() for w in weights if w.ndim == 4]
    stds = [k.std() for k in kernels]
    biggest = max(abs(np.corrcoef(a, b)[0, 1]) for i, a in enumerate(kernels) for b in kernels[i + 1 :]
                  if a.shape == b.shape)  # fmt: skip
    print(f"initial weights: {len(kernels)} kernels, std {min(stds):.4f}–{max(stds):.4f} (N(0, 0.02)); largest "
          f"|correlation| between two kernels {biggest:.3f}; nonzero biases: "
          f"{sum(int(np.any(w)) for w in weights if w.ndim == 1)}")  # fmt: skip


if __name__ == "__main__":
    main()
