"""3×3 stride-1 convolutions by Winograd's minimal filtering algorithm F(4×4, 3×3), with its gradients.

Reference: Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016. Each 6×6 input tile d
and 3×3 kernel g give a 4×4 output tile Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A: 36 multiplications per tile and channel pair
instead of 144. Summed over input channels, the 36 element-wise products become 36 matrix products
(tiles × C_in)·(C_in × C_out), which is where the time goes; the transforms are small matrix products too.

Why: oneDNN's float32 convolution runs these layers at about 230 GFLOP/s on a 2-core AVX-512 Xeon, and they are
80 % of a CycleGAN step (the generator's residual blocks, 3×3 256→256 at 64×64). Forward plus both gradients of
one such layer at batch 1 took 59 ms with TensorFlow's kernels and 37 ms this way (batch 2: 103 vs 66 ms). With
fewer channels the transforms, which move whole feature maps, cost more than the products saved (128→128 at
64×64, batch 4: 0.96×; 64→32 at 256×256: 2×), hence `MIN_CHANNELS`. With TensorFlow's Eigen kernels instead of
oneDNN's it was no faster than `tfstyle.models.conv`'s forward-gradient form, so it is used with oneDNN only.

The matrices come from the Toom-Cook construction with the points 0, -1, 1, -1/2, 2 and ∞. Lavin & Gray's
0, ±1, ±2 give about three times the float32 error; with these points the outputs and both gradients of the layer
above differ from a float64 convolution by 4-6e-6 of their largest value, against 0.5-2e-6 for oneDNN's direct
convolution. Winograd is for float32 only: bfloat16's 8-bit mantissa would not survive the transforms.
"""

import functools

import numpy as np
import tensorflow as tf

POINTS = (0.0, -1.0, 1.0, -0.5, 2.0)  # and the point at infinity
OUTPUT_TILE = 4
KERNEL_SIZE = 3
INPUT_TILE = OUTPUT_TILE + KERNEL_SIZE - 1
POSITIONS = INPUT_TILE * INPUT_TILE

# Both channel counts at least this (measured, see the module docstring); outputs at least MIN_SIZE pixels a side.
MIN_CHANNELS = 256
MIN_SIZE = 16


@functools.cache
def transform_matrices(points=POINTS, output_tile=OUTPUT_TILE, kernel_size=KERNEL_SIZE):
    """(Aᵀ, G, Bᵀ) of F(m, r) in float64 for the given finite points and ∞ (Toom-Cook), such that the 1-D
    correlation y_i = Σ_k g_k d_(i+k) of an (m + r - 1)-vector d equals Aᵀ[(G g) ⊙ (Bᵀ d)].

    The correlation is the transpose of the polynomial product: g and a length-m vector are evaluated at the points
    (G, A), multiplied, and interpolated back with the inverse Vandermonde matrix V⁻¹, whose transpose is Bᵀ. G's
    rows are divided by f_j = Π_(l≠j)(a_j - a_l) and Bᵀ's multiplied by it, which keeps Bᵀ's entries small.
    """
    m, r = output_tile, kernel_size
    n = m + r - 1
    a = np.asarray(points, np.float64)
    if len(a) != n - 1 or len(set(points)) != len(points):
        raise ValueError(f"F({m}, {r}) takes {n - 1} distinct finite points. Received: points={points}")
    vandermonde = np.zeros((n, n))
    a_t, g = np.zeros((m, n)), np.zeros((n, r))
    scale = np.ones(n)
    for j in range(n - 1):
        vandermonde[j] = a[j] ** np.arange(n)
        a_t[:, j] = a[j] ** np.arange(m)
        scale[j] = np.prod([a[j] - a[other] for other in range(n - 1) if other != j])
        g[j] = a[j] ** np.arange(r) / scale[j]
    # the point at infinity takes the leading coefficients
    vandermonde[n - 1, n - 1] = 1.0
    a_t[m - 1, n - 1] = 1.0
    g[n - 1, r - 1] = 1.0
    b_t = np.diag(scale) @ np.linalg.inv(vandermonde).T
    return a_t, g, b_t


def _two_dimensional(matrix):
    """The 2-D transform X ↦ M X Mᵀ of a flattened tile, as one matrix M ⊗ M (float32)."""
    return tf.constant(np.kron(matrix, matrix), tf.float32)


def _input_tiles(x):
    """(B, H + 2, W + 2, C) -> Bᵀ d B of every 6×6 tile at stride 4: (36, B·H/4·W/4, C)."""
    _, _, b_t = transform_matrices()
    channels = x.shape[-1]
    patches = tf.image.extract_patches(x, [1, INPUT_TILE, INPUT_TILE, 1], [1, OUTPUT_TILE, OUTPUT_TILE, 1],
                                       [1, 1, 1, 1], "VALID")  # fmt: skip
    by_position = tf.transpose(tf.reshape(patches, [-1, POSITIONS, channels]), [1, 0, 2])
    tiles = tf.matmul(_two_dimensional(b_t), tf.reshape(by_position, [POSITIONS, -1]))
    return tf.reshape(tiles, [POSITIONS, -1, channels])


def _kernel_tiles(kernel):
    """(3, 3, C, O) -> G g Gᵀ for every channel pair: (36, C, O)."""
    _, g, _ = transform_matrices()
    channels, filters = kernel.shape[2], kernel.shape[3]
    tiles = tf.matmul(_two_dimensional(g), tf.reshape(kernel, [KERNEL_SIZE * KERNEL_SIZE, channels * filters]))
    return tf.reshape(tiles, [POSITIONS, channels, filters])


def _output_from_tiles(products, batch, tiles_high, tiles_wide):
    """Aᵀ M A of every tile, (36, T, O), placed back as the (B, 4·tiles_high, 4·tiles_wide, O) map."""
    a_t, _, _ = transform_matrices()
    filters = products.shape[-1]
    outputs = tf.matmul(_two_dimensional(a_t), tf.reshape(products, [POSITIONS, -1]))
    outputs = tf.transpose(tf.reshape(outputs, [OUTPUT_TILE * OUTPUT_TILE, -1, filters]), [1, 0, 2])
    outputs = tf.reshape(outputs, [batch, tiles_high, tiles_wide, OUTPUT_TILE * OUTPUT_TILE * filters])
    return tf.nn.depth_to_space(outputs, OUTPUT_TILE)


def _output_tiles_adjoint(dy):
    """The adjoint of `_output_from_tiles`: (B, H, W, O) -> A dY Aᵀ of every 4×4 tile, (36, T, O)."""
    a_t, _, _ = transform_matrices()
    filters = dy.shape[-1]
    by_tile = tf.reshape(tf.nn.space_to_depth(dy, OUTPUT_TILE), [-1, OUTPUT_TILE * OUTPUT_TILE, filters])
    by_position = tf.reshape(tf.transpose(by_tile, [1, 0, 2]), [OUTPUT_TILE * OUTPUT_TILE, -1])
    tiles = tf.matmul(_two_dimensional(a_t), by_position, transpose_a=True)
    return tf.reshape(tiles, [POSITIONS, -1, filters])


def _check(x, kernel):
    height, width = x.shape[1], x.shape[2]
    if tuple(kernel.shape[:2]) != (KERNEL_SIZE, KERNEL_SIZE):
        raise ValueError(f"Winograd F(4, 3) takes 3×3 kernels. Received: kernel shape {tuple(kernel.shape)}")
    if height is None or width is None or (height - 2) % OUTPUT_TILE or (width - 2) % OUTPUT_TILE:
        raise ValueError(f"Winograd F(4, 3) needs a static input size 4k + 2. Received: input shape {tuple(x.shape)}")


def _convolve(x, kernel):
    """tf.nn.conv2d(x, kernel, 1, "VALID") by F(4, 3), and the input tiles (kept for the kernel gradient)."""
    _check(x, kernel)
    input_tiles = _input_tiles(x)
    products = tf.matmul(input_tiles, _kernel_tiles(kernel))
    tiles_high, tiles_wide = (x.shape[1] - 2) // OUTPUT_TILE, (x.shape[2] - 2) // OUTPUT_TILE
    return _output_from_tiles(products, tf.shape(x)[0], tiles_high, tiles_wide), input_tiles


@tf.autograph.experimental.do_not_convert  # AutoGraph would call the undecorated function, losing its gradient
@tf.custom_gradient
def conv2d_winograd(x, kernel):
    """tf.nn.conv2d(x, kernel, 1, "VALID") for a 3×3 kernel and an input of static size (4k + 2) × (4l + 2), float32,
    computed with F(4×4, 3×3), as are its gradients:
        dW = Gᵀ [Σ_tiles (Bᵀ d B) ⊙ (A dY Aᵀ)] G  (36 matrix products over the tiles, the input tiles kept from the
                                                  forward pass),
        dx = the same Winograd convolution of dy padded by 2 (4 at the far side, to a whole number of tiles) with
             the kernel flipped in space and its channels swapped, cropped to x's size."""
    outputs, input_tiles = _convolve(x, kernel)

    def grad(dy):
        _, g, _ = transform_matrices()
        channels, filters = kernel.shape[2], kernel.shape[3]
        kernel_tiles = tf.matmul(input_tiles, _output_tiles_adjoint(dy), transpose_a=True)  # (36, C, O)
        dw = tf.matmul(_two_dimensional(g), tf.reshape(kernel_tiles, [POSITIONS, channels * filters]), transpose_a=True)
        flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])
        padded = tf.pad(dy, [[0, 0], [2, OUTPUT_TILE], [2, OUTPUT_TILE], [0, 0]])
        dx = _convolve(padded, flipped)[0][:, : x.shape[1], : x.shape[2], :]
        return dx, tf.reshape(dw, tf.shape(kernel))

    return outputs, grad


def applies(input_shape, kernel_shape, dtype):
    """Whether `conv2d_winograd` is the faster form for a VALID 3×3 convolution of this input (float32, enough
    channels, a static size 4k + 2 with 4k at least MIN_SIZE)."""
    height, width, channels = input_shape[1], input_shape[2], input_shape[3]
    if tuple(kernel_shape[:2]) != (KERNEL_SIZE, KERNEL_SIZE) or tf.as_dtype(dtype) != tf.float32:
        return False
    if min(channels, kernel_shape[3]) < MIN_CHANNELS or height is None or width is None:
        return False
    out_height, out_width = height - 2, width - 2
    return out_height % OUTPUT_TILE == 0 and out_width % OUTPUT_TILE == 0 and min(out_height, out_width) >= MIN_SIZE
