"""`keras.applications` backbones with one weights policy: ImageNet download, a local file, or none.

Used by the style losses (VGG-19/16) and by the FID/KID metrics (InceptionV3). Offline, Keras's download fails
deep inside `keras.utils.get_file`; here it becomes one `WeightsError` that names the file to fetch and the
option that takes it.
"""

import os

import keras

from tfstyle.errors import WeightsError


def load_application(builder, weights, filename, option="weights", **kwargs):
    """Builds `builder(include_top=False, **kwargs)` with ImageNet weights, a local weights file, or none.

    Args:
        builder: a `keras.applications` constructor, e.g. `keras.applications.InceptionV3`.
        weights: "imagenet" (downloaded and cached by Keras in ~/.keras/models on first use), a path to a
            weights file in the keras.applications layout (`*_notop.h5`, or a `.weights.h5` saved from this
            model), or None / "none" (random init).
        filename: the keras.applications weights file name, quoted in the offline error.
        option: how the caller's users pass a weights file (quoted in the error). Defaults to "weights".
        **kwargs: passed to `builder` (e.g. `input_shape`, `pooling`).

    Returns:
        The `keras.Model`, frozen (`trainable = False`).

    Raises:
        WeightsError: the ImageNet download failed (offline) or a weights file is missing or does not fit.
    """
    if isinstance(weights, str) and weights.lower() == "none":  # how a command line or a config.json says None
        weights = None
    if weights == "imagenet":
        try:
            model = builder(include_top=False, weights="imagenet", **kwargs)
        except Exception as err:  # urllib errors, HTTP errors, "URL fetch failure"
            raise WeightsError(
                f"Could not download the ImageNet weights {filename} ({type(err).__name__}: {str(err)[:160]}). "
                f"Offline? Get {filename} once and pass {option}='/path/{filename}' (CLI: --{option.replace('_', '-')} "
                "PATH), or put it in ~/.keras/models/ (or $KERAS_HOME/models/)."
            ) from None
    else:
        model = builder(include_top=False, weights=None, **kwargs)
        if weights is not None:
            weights = os.fspath(weights)
            if not os.path.exists(weights):
                raise WeightsError(f"{weights}: weights file not found (expected {filename} or a .weights.h5).")
            try:
                model.load_weights(weights)
            except Exception as err:
                raise WeightsError(f"{weights}: cannot load these weights into {model.name} ({str(err)[:200]}).") from None
    model.trainable = False
    return model


def inception_pool_features(weights="imagenet"):
    """InceptionV3 up to its global average pool: 299×299 RGB in [-1, 1] → 2048 features (for FID/KID).

    Reference: Szegedy et al., "Rethinking the Inception Architecture", CVPR 2016; Heusel et al. 2017 (FID)
    and Bińkowski et al. 2018 (KID) compare images in this feature space.

    Args:
        weights: "imagenet", a local `inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`, or None.
            Defaults to "imagenet".
    """
    return load_application(keras.applications.InceptionV3, weights, INCEPTION_WEIGHTS, option="inception_weights",
                            input_shape=(299, 299, 3), pooling="avg")  # fmt: skip


INCEPTION_WEIGHTS = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
