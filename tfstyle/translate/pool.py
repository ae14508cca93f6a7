"""The CycleGAN image pool (Shrivastava et al. 2017), inside the graph."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfstyle")
class ImagePool(keras.layers.Layer):
    """A buffer of previously generated images, so the discriminator also sees older fakes.

    Reference: Zhu et al. ICCV 2017 §4 and the authors' `util/image_pool.py`: while the pool holds fewer than
    `pool_size` images, each new image is stored and returned; afterwards, with probability 0.5 a random
    stored image is returned and replaced by the new one, otherwise the new image is returned.

    The buffer is a non-trainable variable plus a count, so `train_step` stays one compiled function (XLA
    included), the pool is saved in checkpoints, and under tf.distribute each replica keeps its own pool
    (like one pool per process in the reference's data-parallel training).

    Args:
        pool_size: images kept; 0 disables the pool. Defaults to 50.
        image_shape: (H, W, C) of the images. Defaults to (256, 256, 3).
        seed: op-level seed of the pool's random choices (with `keras.utils.set_random_seed` for full
            determinism). Defaults to None.
    """

    def __init__(self, pool_size=50, image_shape=(256, 256, 3), seed=None, **kwargs):
        kwargs.setdefault("dtype", "float32")  # the pool stores float32 images under any mixed policy
        super().__init__(**kwargs)
        self.pool_size, self.image_shape, self.seed = int(pool_size), tuple(image_shape), seed
        sync = {"synchronization": "on_read", "aggregation": "only_first_replica"}
        self.images = keras.Variable("zeros", shape=(max(self.pool_size, 1), *self.image_shape), dtype="float32",
                                     trainable=False, name="images", **sync)  # fmt: skip
        self.count = keras.Variable(0, dtype="int32", trainable=False, name="count", **sync)
        self.built = True

    def call(self, images):
        if self.pool_size == 0:
            return images
        images = tf.cast(images, tf.float32)
        if images.shape[0] is not None:  # static batch (drop_remainder=True): unrolled, fastest under XLA
            return tf.stack([self._query(images[i]) for i in range(images.shape[0])])

        def body(i, outputs):
            return i + 1, outputs.write(i, self._query(images[i]))

        batch = tf.shape(images)[0]
        _, outputs = tf.while_loop(
            lambda i, _: i < batch, body, (0, tf.TensorArray(tf.float32, size=batch)), parallel_iterations=1
        )
        return tf.reshape(outputs.stack(), tf.shape(images))

    def _query(self, image):
        """One image in, one image out, updating the pool (the reference's per-image rule)."""
        count = self.count.value
        # Stateful TF random ops: variable-seeded alternatives (keras.random.SeedGenerator, tf.random.Generator,
        # stateless ops keyed on a counter) made XLA recompile the train step every call (~0.4 s) here.
        coin = tf.random.uniform((), seed=self.seed)
        index = tf.random.uniform((), 0, self.pool_size, dtype=tf.int32, seed=self.seed)
        filling = count < self.pool_size
        swap = tf.logical_and(tf.logical_not(filling), coin > 0.5)
        slot = tf.where(filling, count, index)
        pool = self.images.value  # the backing tf.Variable
        stored = pool[slot]
        update = tf.where(tf.logical_or(filling, swap), image, stored)
        if tf.distribute.has_strategy():  # per-replica (on-read) variables have no in-place scatter
            self.images.assign(tf.tensor_scatter_nd_update(pool, [[slot]], [update]))
        else:  # in place: the functional form copies the whole buffer twice (145 ms per query at 256 px)
            pool.scatter_nd_update([[slot]], [update])
        self.count.assign(tf.minimum(count + 1, self.pool_size))
        return tf.where(swap, stored, image)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "image_shape": self.image_shape, "seed": self.seed}
