"""Image-quality metrics, usable as plain functions and inside `test_step`.

All functions take float images in [-1, 1] (the models' range), shape (B, H, W, 3), and return per-batch
means as float32 scalars. FID and KID compare two sets of InceptionV3 pool features (`InceptionDistance`
collects them batch by batch; `frechet_distance` and `kernel_inception_distance` work on any feature arrays).
"""

import warnings

import numpy as np
import scipy.linalg
import tensorflow as tf

from tfstyle.data.convert import to_unit_range


def l1(real, fake):
    """Mean absolute error on [0, 1] images."""
    return tf.reduce_mean(tf.abs(to_unit_range(real) - to_unit_range(fake)))


def psnr(real, fake):
    """Peak signal-to-noise ratio in dB on [0, 1] images (mean over the batch)."""
    return tf.reduce_mean(tf.image.psnr(to_unit_range(real), to_unit_range(fake), max_val=1.0))


def ssim(real, fake):
    """Structural similarity (Wang et al. 2004) on [0, 1] images; window shrinks for tiny images."""
    size = min(11, int(real.shape[1] or 11), int(real.shape[2] or 11))
    return tf.reduce_mean(tf.image.ssim(to_unit_range(real), to_unit_range(fake), max_val=1.0, filter_size=size))


def stripe_score(images):
    """Stripe energy for `synthetic/stripes`: mean luminance gradient magnitude, scaled to be size-invariant.

    Plain blobs (domain A) score near 0.01, zebra-striped blobs (domain B) several times higher, so a
    translation A→B that learns to paint stripes raises it. Weight-free: usable offline.
    """
    lum = tf.reduce_mean(to_unit_range(images), axis=-1)
    gx = tf.reduce_mean(tf.abs(lum[:, :, 1:] - lum[:, :, :-1]))
    gy = tf.reduce_mean(tf.abs(lum[:, 1:, :] - lum[:, :-1, :]))
    return (gx + gy) * tf.cast(tf.shape(images)[1], tf.float32) / 64.0


def frechet_distance(real_features, fake_features):
    """Fréchet distance between Gaussians fitted to two (N, D) feature sets: FID on Inception features.

    Reference: Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
    Equilibrium", NeurIPS 2017: ‖μ_r − μ_f‖² + Tr(Σ_r + Σ_f − 2(Σ_r Σ_f)^½).
    """
    real, fake = np.asarray(real_features, np.float64), np.asarray(fake_features, np.float64)
    mu_r, mu_f = real.mean(0), fake.mean(0)
    cov_r, cov_f = np.atleast_2d(np.cov(real, rowvar=False)), np.atleast_2d(np.cov(fake, rowvar=False))
    with warnings.catch_warnings():  # singular products are expected when N < D; handled below
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        root = scipy.linalg.sqrtm(cov_r @ cov_f)
    if not np.isfinite(root).all():  # singular product (N < D): regularise as pytorch-fid does
        offset = np.eye(len(cov_r)) * 1e-6
        root = scipy.linalg.sqrtm((cov_r + offset) @ (cov_f + offset))
    return float(((mu_r - mu_f) ** 2).sum() + np.trace(cov_r) + np.trace(cov_f) - 2 * np.trace(root.real))


def kernel_inception_distance(real_features, fake_features, subsets=100, subset_size=1000, seed=0):
    """Unbiased squared MMD with the cubic polynomial kernel k(x, y) = (x·y / D + 1)³: KID. Returns (mean, std).

    Reference: Bińkowski et al., "Demystifying MMD GANs", ICLR 2018. Averaged over `subsets` random subsets of
    min(`subset_size`, N_real, N_fake) features from each set; unbiased, so small test sets (horse2zebra's
    120/140 images) give usable values where FID is biased upwards.
    """
    real, fake = np.asarray(real_features, np.float64), np.asarray(fake_features, np.float64)
    n = min(subset_size, len(real), len(fake))
    if n < 2:
        raise ValueError(f"KID needs at least 2 features per set. Received: {len(real)} real, {len(fake)} fake.")
    rng = np.random.default_rng(seed)
    kernel = lambda a, b: (a @ b.T / real.shape[1] + 1.0) ** 3  # noqa: E731
    values = []
    for _ in range(subsets):
        r, f = real[rng.choice(len(real), n, replace=False)], fake[rng.choice(len(fake), n, replace=False)]
        k_rr, k_ff, k_rf = kernel(r, r), kernel(f, f), kernel(r, f)
        off_diagonal = lambda k: (k.sum() - np.trace(k)) / (n * (n - 1))  # noqa: E731
        values.append(off_diagonal(k_rr) + off_diagonal(k_ff) - 2 * k_rf.mean())
    return float(np.mean(values)), float(np.std(values))


class InceptionDistance:
    """Collects InceptionV3 pool features of real and generated images, then reports FID and KID.

    Images are (B, H, W, 3) in [-1, 1] (the models' range), resized bilinearly to 299×299 as InceptionV3 expects.
    Keras's InceptionV3 ImageNet weights are not the TF-slim graph of the FID papers, so values compare runs
    within tfstyle, not with published numbers.

    Args:
        weights: "imagenet" (Keras cache or download), a local weights file, or None (random: tests only).
            Defaults to "imagenet".
        batch_size: images per feature batch. Defaults to 16.
        model: an InceptionV3 feature model to share with another `InceptionDistance` (its `.model`); when
            given, `weights` is not used. Defaults to None.

    Example:
    ```python
    distance = InceptionDistance()
    for real, fake in pairs:
        distance.update(real, fake)
    distance.result()  # {"fid": ..., "kid": ..., "kid_std": ...}
    ```
    """

    def __init__(self, weights="imagenet", batch_size=16, model=None):
        from tfstyle.models.pretrained import inception_pool_features

        self.model = model or inception_pool_features(weights)
        self.batch_size = batch_size
        self.features = {"real": [], "fake": []}

    def _features(self, images):
        images = tf.image.resize(tf.cast(images, tf.float32), (299, 299))  # InceptionV3 takes [-1, 1] itself
        return np.concatenate([self.model(images[i : i + self.batch_size], training=False).numpy()
                               for i in range(0, len(images), self.batch_size)])  # fmt: skip

    def fresh(self):
        """An empty `InceptionDistance` sharing this one's feature model (to score a second pair of sets)."""
        return InceptionDistance(model=self.model, batch_size=self.batch_size)

    def update(self, real=None, fake=None):
        """Adds a batch of real and/or generated images."""
        for name, images in (("real", real), ("fake", fake)):
            if images is not None:
                self.features[name].append(self._features(images))

    def result(self, subsets=100, subset_size=1000, seed=0):
        """{"fid", "kid", "kid_std"} of the images added so far."""
        real, fake = (np.concatenate(self.features[name]) for name in ("real", "fake"))
        kid, kid_std = kernel_inception_distance(real, fake, subsets, subset_size, seed)
        return {"fid": frechet_distance(real, fake), "kid": kid, "kid_std": kid_std}
