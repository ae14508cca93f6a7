"""Style-transfer losses on feature maps of shape (1, H, W, N): content, style (Gram, mean/std, MRF), TV.

Normalisations are named after the implementations that use them, so presets can reproduce each exactly:
- Gram style "gatys": E_l = 1/(4·N_l²·M_l²)·Σ(G−A)², G = FᵀF unnormalised (Gatys et al. 2016; keras.io).
- Gram style "mean": mean((G/M − A/M)²) (TensorFlow tutorial).
- Gram style "pytorch": mean((G/(N·M) − A/(N·M))²) (PyTorch tutorial).
- Content "gatys": ½·Σ(F−P)²; "mean": mean((F−P)²) (TF and PyTorch tutorials); "sum": Σ(F−P)² (keras.io).
- `scaled_mse`: Σd² / (Σ|d| + ε), an MSE scaled so its gradient has an L1 norm of about 1 whatever the scale of
  the features: every term pulls with comparable strength, so one set of weights works for any backbone.
"""

import tensorflow as tf


def gram_matrix(features):
    """G = FᵀF over spatial positions, unnormalised: (1, H, W, N) -> (N, N)."""
    return _gram(tf.reshape(features, [1, -1, tf.shape(features)[-1]]))[0]


def batch_gram(features):
    """G_b = F_bᵀF_b per image, unnormalised: (B, H, W, N) -> (B, N, N), with a one-matmul gradient.

    Automatic differentiation of FᵀF takes two matmuls (dF = F·dGᵀ + F·dG); `_gram` adds dG and dGᵀ first (an
    N×N sum) and multiplies once. On VGG's first layers F is tall and thin (384·384 × 64) and each matmul over it
    is memory-bound: the Gram matmuls were 30 % of a Gatys evaluation's op time on an AVX2 EPYC, two thirds of
    them in the gradient.
    """
    shape = tf.shape(features)
    return _gram(tf.reshape(features, [shape[0], shape[1] * shape[2], shape[3]]))


@tf.custom_gradient
def _gram(flat):
    """(B, M, N) -> (B, N, N) = flatᵀ·flat; gradient flat·(dG + dGᵀ)."""

    def grad(upstream):
        return tf.matmul(flat, upstream + tf.linalg.matrix_transpose(upstream))

    return tf.matmul(flat, flat, transpose_a=True), grad


def _sizes(features):
    shape = tf.shape(features)
    return tf.cast(shape[-1], tf.float32), tf.cast(shape[1] * shape[2], tf.float32)  # N_l, M_l


def gram_style_loss(features, target_gram, norm="gatys"):
    """Style loss between features and a target Gram matrix (`gram_matrix` of the style features)."""
    n, m = _sizes(features)
    gram = gram_matrix(features)
    if norm == "gatys":
        return tf.reduce_sum(tf.square(gram - target_gram)) / (4.0 * n**2 * m**2)
    if norm == "mean":
        return tf.reduce_mean(tf.square((gram - target_gram) / m))
    if norm == "pytorch":
        return tf.reduce_mean(tf.square((gram - target_gram) / (n * m)))
    raise ValueError(f'Unknown Gram normalisation. Received: norm="{norm}"; expected "gatys", "mean" or "pytorch".')


def gram_per_position(features):
    """G / M: the Gram matrix divided by the number of positions, comparable across image sizes."""
    return gram_matrix(features) / _sizes(features)[1]


def scaled_mse(value, target, eps=1e-8):
    """Σd² / (Σ|d| + eps) with d = value − target. Its gradient 2d/Σ|d| − sign(d)·Σd²/(Σ|d|)² does not change when
    d is scaled, and its L1 norm is exactly 1 when every |d| is equal (about 1.2 for Gaussian differences)."""
    diff = value - target
    return tf.reduce_sum(tf.square(diff)) / (tf.reduce_sum(tf.abs(diff)) + eps)


def content_loss(features, target, norm="gatys"):
    """Squared error between feature maps: ½·Σ ("gatys"), mean ("mean") or Σ ("sum")."""
    squared = tf.square(features - target)
    reductions = {"gatys": lambda: 0.5 * tf.reduce_sum(squared), "mean": lambda: tf.reduce_mean(squared),
                  "sum": lambda: tf.reduce_sum(squared)}  # fmt: skip
    if norm not in reductions:
        raise ValueError(f'Unknown content normalisation. Received: norm="{norm}"; expected "gatys", "mean" or "sum".')
    return reductions[norm]()


def mean_std_style_loss(features, target_mean, target_std):
    """Statistics matching as in AdaIN (Huang & Belongie 2017): ‖μ−μ_s‖² + ‖σ−σ_s‖² per channel."""
    mean, variance = tf.nn.moments(features, axes=[0, 1, 2])
    return tf.reduce_sum(tf.square(mean - target_mean)) + tf.reduce_sum(tf.square(tf.sqrt(variance + 1e-5) - target_std))


def feature_stats(features):
    mean, variance = tf.nn.moments(features, axes=[0, 1, 2])
    return mean, tf.sqrt(variance + 1e-5)


def extract_patches(features, size=3, stride=1):
    """All size×size neural patches: (1, H, W, N) -> (P, size·size·N)."""
    features = tf.convert_to_tensor(features)
    patches = tf.image.extract_patches(features, [1, size, size, 1], [1, stride, stride, 1], [1, 1, 1, 1], "VALID")
    return tf.reshape(patches, [-1, tf.shape(patches)[-1]])


def mrf_style_loss(features, style_patches, size=3):
    """Patch-based MRF loss (Li & Wand 2016): each synthesised patch is matched to its most similar style patch
    (normalised cross-correlation) and the squared differences are summed (divided by the patch count)."""
    patches = extract_patches(features, size)
    normalised = tf.math.l2_normalize(style_patches, axis=1)
    similarity = tf.matmul(tf.math.l2_normalize(patches, axis=1), normalised, transpose_b=True)
    nearest = tf.gather(style_patches, tf.argmax(similarity, axis=1))
    return tf.reduce_sum(tf.square(patches - tf.stop_gradient(nearest))) / tf.cast(tf.shape(patches)[0], tf.float32)


def total_variation(image, kind="abs"):
    """Total variation of a (1, H, W, 3) image: Σ|Δx|+|Δy| ("abs", = tf.image.total_variation), the keras.io
    example's Σ((Δx)²+(Δy)²)^1.25 ("keras-io"), or mean((Δx)²+(Δy)²) with the last row and column repeated
    ("l2-mean", Mahendran & Vedaldi's L2 form as Crowson uses it)."""
    image = tf.convert_to_tensor(image)
    if kind == "abs":
        return tf.reduce_sum(tf.image.total_variation(image))
    if kind == "keras-io":
        a = tf.square(image[:, :-1, :-1, :] - image[:, 1:, :-1, :])
        b = tf.square(image[:, :-1, :-1, :] - image[:, :-1, 1:, :])
        return tf.reduce_sum(tf.pow(a + b, 1.25))
    if kind == "l2-mean":
        padded = tf.concat([image, image[:, -1:]], axis=1)
        padded = tf.concat([padded, padded[:, :, -1:]], axis=2)
        dx = padded[:, :-1, 1:] - padded[:, :-1, :-1]
        dy = padded[:, 1:, :-1] - padded[:, :-1, :-1]
        return tf.reduce_mean(tf.square(dx) + tf.square(dy))
    raise ValueError(f'Unknown total variation. Received: kind="{kind}"; expected "abs", "keras-io" or "l2-mean".')
