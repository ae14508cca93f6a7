"""Stride-1 3×3 and 4×4 convolutions by Winograd's minimal filtering algorithms F(4×4, 3×3) and F(3×3, 4×4), with
their gradients.

Reference: Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016. With F(m, r) each
(m + r - 1)² input tile d and r×r kernel g give an m×m output tile Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A: for F(4, 3)
36 multiplications per tile and channel pair instead of 144, for F(3, 4) 36 instead of 144 too. Summed over input
channels, the element-wise products become 36 matrix products (tiles × C_in)·(C_in × C_out), which is where the time
goes; the transforms are small matrix products too.

Why: oneDNN's float32 convolution runs these layers at about 190-230 GFLOP/s on a 2-core AVX-512 Xeon. The
CycleGAN generator's residual blocks (3×3 256→256 at 64×64) are about 80 % of a generator pass, the bulk of a
CycleGAN step, and the PatchGAN's 4×4 256→512 layer at 31×31 is the largest of the discriminator, which takes half
of a Pix2Pix step. Forward plus both gradients at batch 1: the 3×3 layer 59 ms with oneDNN and 37 ms this way
(batch 2: 103 vs 66 ms), the 4×4 layer 62-64 vs 37-39 ms. With fewer channels the transforms, which move whole
feature maps, cost more than the products saved (3×3 128→128 at 64×64, batch 4: 0.96×; 64→32 at 256×256: 2×),
hence `MIN_CHANNELS`. With TensorFlow's Eigen kernels instead of oneDNN's it was no faster than
`tfstyle.models.conv`'s forward-gradient form, so it is used with oneDNN only.

The matrices come from the Toom-Cook construction with the points 0, -1, 1, -1/2, 2 and ∞ for both. Lavin & Gray's
0, ±1, ±2 give about three times the float32 error; with these points the outputs and both gradients of the layers
above differ from a float64 convolution by 3-6e-6 of their largest value, against 0.4-3e-6 for oneDNN's direct
convolution. Winograd is for float32 only: bfloat16's 8-bit mantissa would not survive the transforms.
"""

import functools

import numpy as np
import tensorflow as tf

POINTS = (0.0, -1.0, 1.0, -0.5, 2.0)  # and the point at infinity
# kernel size r -> output tile m: F(4, 3) and F(3, 4), both with 6×6 input tiles and the points above
OUTPUT_TILES = {3: 4, 4: 3}

# Both channel counts at least this (measured, see the module docstring); outputs at least MIN_SIZE pixels a side.
MIN_CHANNELS = 256
MIN_SIZE = 16


@functools.cache
def transform_matrices(points=POINTS, output_tile=4, kernel_size=3):
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


class _Algorithm:
    """F(m×m, r×r) on NHWC maps: the three transforms as matrix products with Kronecker matrices M ⊗ M (the 2-D
    transform X ↦ M X Mᵀ of a flattened tile)."""

    def __init__(self, kernel_size):
        self.r, self.m = kernel_size, OUTPUT_TILES[kernel_size]
        self.n = self.m + self.r - 1
        self.positions = self.n * self.n
        a_t, g, b_t = transform_matrices(POINTS, self.m, self.r)
        self._matrices = {"a_t": np.kron(a_t, a_t), "g": np.kron(g, g), "b_t": np.kron(b_t, b_t)}

    def matrix(self, name):
        return tf.constant(self._matrices[name], tf.float32)

    def input_tiles(self, x):
        """(B, m·th + r - 1, m·tw + r - 1, C) -> Bᵀ d B of every n×n tile at stride m: (n², B·th·tw, C)."""
        channels = x.shape[-1]
        patches = tf.image.extract_patches(x, [1, self.n, self.n, 1], [1, self.m, self.m, 1], [1, 1, 1, 1], "VALID")
        by_position = tf.transpose(tf.reshape(patches, [-1, self.positions, channels]), [1, 0, 2])
        tiles = tf.matmul(self.matrix("b_t"), tf.reshape(by_position, [self.positions, -1]))
        return tf.reshape(tiles, [self.positions, -1, channels])

    def kernel_tiles(self, kernel):
        """(r, r, C, O) -> G g Gᵀ for every channel pair: (n², C, O)."""
        channels, filters = kernel.shape[2], kernel.shape[3]
        tiles = tf.matmul(self.matrix("g"), tf.reshape(kernel, [self.r * self.r, channels * filters]))
        return tf.reshape(tiles, [self.positions, channels, filters])

    def kernel_from_tiles(self, tiles):
        """The adjoint of `kernel_tiles`: (n², C, O) -> (r, r, C, O)."""
        channels, filters = tiles.shape[1], tiles.shape[2]
        kernel = tf.matmul(self.matrix("g"), tf.reshape(tiles, [self.positions, channels * filters]), transpose_a=True)
        return tf.reshape(kernel, [self.r, self.r, channels, filters])

    def output_from_tiles(self, products, batch, tiles_high, tiles_wide):
        """Aᵀ M A of every tile, (n², T, O), placed back as the (B, m·tiles_high, m·tiles_wide, O) map."""
        filters, area = products.shape[-1], self.m * self.m
        outputs = tf.matmul(self.matrix("a_t"), tf.reshape(products, [self.positions, -1]))
        outputs = tf.transpose(tf.reshape(outputs, [area, -1, filters]), [1, 0, 2])
        return tf.nn.depth_to_space(tf.reshape(outputs, [batch, tiles_high, tiles_wide, area * filters]), self.m)

    def output_tiles_adjoint(self, dy):
        """The adjoint of `output_from_tiles`: (B, H, W, O) -> A dY Aᵀ of every m×m tile, (n², T, O)."""
        filters, area = dy.shape[-1], self.m * self.m
        by_tile = tf.reshape(tf.nn.space_to_depth(dy, self.m), [-1, area, filters])
        by_position = tf.reshape(tf.transpose(by_tile, [1, 0, 2]), [area, -1])
        tiles = tf.matmul(self.matrix("a_t"), by_position, transpose_a=True)
        return tf.reshape(tiles, [self.positions, -1, filters])

    def convolve(self, x, kernel):
        """tf.nn.conv2d(x, kernel, 1, "VALID") for an input of whole tiles, and its input tiles (kept for the
        kernel gradient)."""
        input_tiles = self.input_tiles(x)
        products = tf.matmul(input_tiles, self.kernel_tiles(kernel))
        tiles_high, tiles_wide = (x.shape[1] - self.r + 1) // self.m, (x.shape[2] - self.r + 1) // self.m
        return self.output_from_tiles(products, tf.shape(x)[0], tiles_high, tiles_wide), input_tiles

    def padding_to_tiles(self, height, width):
        """Zero rows and columns to add below and right of an input so that its VALID output is whole tiles."""
        return (-(height - self.r + 1)) % self.m, (-(width - self.r + 1)) % self.m


@functools.cache
def _algorithm(kernel_size):
    return _Algorithm(kernel_size)


@tf.autograph.experimental.do_not_convert  # AutoGraph would call the undecorated function, losing its gradient
@tf.custom_gradient
def _conv_whole_tiles(x, kernel):
    """The Winograd convolution of an input of whole tiles, with Winograd gradients:
        dW = Gᵀ [Σ_tiles (Bᵀ d B) ⊙ (A dY Aᵀ)] G  (n² matrix products over the tiles, the input tiles kept from the
                                                  forward pass),
        dx = the same Winograd convolution of dy padded by r - 1 (and to whole tiles) with the kernel flipped in
             space and its channels swapped, cropped to x's size."""
    algorithm = _algorithm(kernel.shape[0])
    outputs, input_tiles = algorithm.convolve(x, kernel)

    def grad(dy):
        dw = algorithm.kernel_from_tiles(tf.matmul(input_tiles, algorithm.output_tiles_adjoint(dy), transpose_a=True))
        flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])
        border = algorithm.r - 1
        extra_h, extra_w = algorithm.padding_to_tiles(dy.shape[1] + 2 * border, dy.shape[2] + 2 * border)
        padded = tf.pad(dy, [[0, 0], [border, border + extra_h], [border, border + extra_w], [0, 0]])
        dx = algorithm.convolve(padded, flipped)[0][:, : x.shape[1], : x.shape[2], :]
        return dx, dw

    return outputs, grad


def conv2d_winograd(x, kernel):
    """tf.nn.conv2d(x, kernel, 1, "VALID") for a 3×3 kernel (F(4×4, 3×3)) or a 4×4 one (F(3×3, 4×4)) and an input
    of static height and width, float32, computed and differentiated by Winograd's algorithm. Inputs whose output
    is not a whole number of tiles are padded with zeros below and right and the output cropped."""
    size = kernel.shape[0]
    if tuple(kernel.shape[:2]) != (size, size) or size not in OUTPUT_TILES:
        raise ValueError(f"Winograd convolutions take 3×3 or 4×4 kernels. Received: kernel shape {tuple(kernel.shape)}")
    height, width = x.shape[1], x.shape[2]
    if height is None or width is None or height < size or width < size:
        raise ValueError(f"Winograd convolutions need a static input size of at least the kernel's. Received: input "
                         f"shape {tuple(x.shape)}")  # fmt: skip
    extra_h, extra_w = _algorithm(size).padding_to_tiles(height, width)
    if not (extra_h or extra_w):
        return _conv_whole_tiles(x, kernel)
    outputs = _conv_whole_tiles(tf.pad(x, [[0, 0], [0, extra_h], [0, extra_w], [0, 0]]), kernel)
    return outputs[:, : height - size + 1, : width - size + 1, :]


def applies(input_shape, kernel_shape, dtype):
    """Whether `conv2d_winograd` is the faster form for a VALID convolution of this input: a 3×3 or 4×4 kernel,
    float32, at least MIN_CHANNELS in and out, and a static output of at least MIN_SIZE a side."""
    height, width, channels = input_shape[1], input_shape[2], input_shape[3]
    size = kernel_shape[0]
    if tuple(kernel_shape[:2]) != (size, size) or size not in OUTPUT_TILES or tf.as_dtype(dtype) != tf.float32:
        return False
    if min(channels, kernel_shape[3]) < MIN_CHANNELS or height is None or width is None:
        return False
    return min(height, width) - size + 1 >= MIN_SIZE
