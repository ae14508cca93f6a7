"""Settings of well-known Gatys-style implementations, reproduced exactly where our VGG allows.

All use Keras's caffe-preprocessed ImageNet VGG; the PyTorch tutorial's torchvision VGG normalises inputs
differently, so its loss *values* are not comparable even though every setting below matches.
"""

import dataclasses

STYLE_5 = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


@dataclasses.dataclass
class StyleSettings:
    """Every knob of `stylize`. Presets override some of them; keyword arguments override presets."""

    content_layers: tuple = ("block4_conv2",)
    style_layers: tuple = STYLE_5
    style_layer_weights: tuple = None  # None: equal weights 1/L (the paper's w_l)
    content_weight: float = 1.0  # α
    style_weight: float = 1e3  # β
    tv_weight: float = 0.0
    gram_norm: str = "gatys"
    content_norm: str = "gatys"
    # "plain": the normalisations above; "scaled": every content and style term is Σd² / Σ|d| of its difference d
    # (Gram style losses on Grams per position, each image's own), whose gradient has an L1 norm of about 1, so
    # the weights balance whatever the scale of the features (Crowson's style-transfer-pytorch)
    loss_form: str = "plain"
    tv_kind: str = "abs"
    tv_pixel_scale: float = 1.0  # TV computed on the image times this (keras.io: 0–255 pixels)
    style_loss: str = "gram"  # "gram", "meanstd", "mrf", or "gram+mrf" (global + local mix)
    mrf_weight: float = 1.0  # weight of the MRF term in "gram+mrf"
    optimizer: str = "lbfgs"  # "lbfgs" (float32, tfstyle.style.lbfgs), "lbfgs-b" (SciPy, float64), "adam", "sgd"
    learning_rate: float = 0.02  # in [0, 1] image units
    beta_1: float = 0.9
    epsilon: float = 1e-7
    lr_decay: tuple = None  # (decay_steps, decay_rate) exponential decay
    average_decay: float = None  # Adam/SGD: return a bias-corrected running average of the iterates (e.g. 0.99)
    steps: int = 500
    max_evaluations: int = None  # L-BFGS function-evaluation budget (None: 2 × steps)
    # L-BFGS history size. Larger converges in fewer evaluations (measured with SciPy's L-BFGS-B: 186 → 116 → 91
    # evaluations to the same loss at 20, 50, 100) but keeps 2·m float32 copies of the image (50: 315 MB at 512 px;
    # twice that in float64 with "lbfgs-b").
    lbfgs_memory: int = 50
    # multiscale: image sizes relative to the final size, and the share of `steps` each one gets; a few cheap
    # coarse steps place the large structures, the full size does the rest
    multiscale: bool = False
    scale_levels: tuple = (0.25, 0.5, 1.0)
    scale_fractions: tuple = (0.1, 0.1, 0.8)
    # scale_step: instead of scale_levels, sizes from `min_scale` pixels up to max_size growing by this factor; the
    # first size gets two shares of the steps, each later size one (Crowson's schedule: 1000, then 500 per size)
    scale_step: float = None
    min_scale: int = 128
    init: str = "noise"  # "content", "noise", "style"
    max_size: int = 512
    size_by: str = "max"  # "max" side or "height" (keras.io)
    clip: bool = True
    backbone: str = "vgg19"
    pooling: str = "avg"
    # Hybrid feature space: a second keras.applications backbone adds Gram style losses on its layers, each
    # weighted `hybrid_weight` times a VGG style layer (the seed's VGG-19 + InceptionV3 at about 10³ : 1).
    hybrid_backbone: str = None  # None or "inceptionv3"
    hybrid_style_layers: tuple = ("mixed0", "mixed1", "mixed2")
    hybrid_weight: float = 1e3


PRESETS = {
    # What the best modern implementations do (after Crowson's style-transfer-pytorch), the CLI's default: scaled
    # losses (gradient L1 norm 1 per term), style layers weighted 256:64:16:4:1 (normalised), content weight
    # 0.015, L2 total variation 2, Adam(0.02) on the pixels from the content image, the running average of the
    # iterates as the result, coarse to fine from 128 px in steps of √2, max pooling.
    "quality": dict(
        content_layers=("block4_conv2",), style_layer_weights=(256 / 341, 64 / 341, 16 / 341, 4 / 341, 1 / 341),
        content_weight=0.015, style_weight=1.0, tv_weight=2.0, tv_kind="l2-mean", loss_form="scaled", optimizer="adam", learning_rate=0.02, beta_1=0.9, epsilon=1e-8, average_decay=0.99,
        init="content", pooling="max", multiscale=True, scale_step=2**0.5, min_scale=128, steps=600, max_size=512,
    ),
    # Gatys, Ecker & Bethge, CVPR 2016: conv4_2 content, conv1_1..conv5_1 style (w_l = 1/5), α/β = 1e-3,
    # average pooling, L-BFGS from white noise, no TV term.
    "gatys2016": {},
    # tensorflow.org/tutorials/generative/style_transfer
    "tf-tutorial": dict(
        content_layers=("block5_conv2",), style_weight=1e-2, content_weight=1e4, tv_weight=30.0, gram_norm="mean",
        content_norm="mean", optimizer="adam", learning_rate=0.02, beta_1=0.99, epsilon=0.1, steps=1000,
        init="content", max_size=512, pooling="max",
    ),
    # keras.io/examples/generative/neural_style_transfer: SGD(ExponentialDecay(100, 100, 0.96)) in caffe pixel
    # space = lr 100/255² in [0, 1] units; 4000 steps; height 400; no clipping.
    "keras-io": dict(
        content_layers=("block5_conv2",), content_weight=2.5e-8, style_weight=1e-6, tv_weight=1e-6,
        gram_norm="gatys", content_norm="sum", tv_kind="keras-io", tv_pixel_scale=255.0, optimizer="sgd",
        learning_rate=100.0 / 255.0**2, lr_decay=(100, 0.96), steps=4000, init="content", max_size=400,
        size_by="height", clip=False, pooling="max",
    ),
    # pytorch.org/tutorials/advanced/neural_style_tutorial: content conv_4 (= block2_conv2), style conv_1..conv_5,
    # style 1e6, content 1, per-layer sum, L-BFGS with 300 function evaluations and torch.optim.LBFGS's default
    # history of 100, content init, 512 px.
    "pytorch-tutorial": dict(
        content_layers=("block2_conv2",),
        style_layers=("block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2", "block3_conv1"),
        style_layer_weights=(1.0, 1.0, 1.0, 1.0, 1.0), style_weight=1e6, content_weight=1.0, gram_norm="pytorch",
        content_norm="mean", optimizer="lbfgs", steps=300, max_evaluations=300, lbfgs_memory=100, init="content",
        max_size=512, pooling="max",
    ),
}  # fmt: skip


def settings_for(preset="gatys2016", **overrides):
    """The `StyleSettings` of a preset with keyword overrides (None values are ignored)."""
    if preset not in PRESETS:
        raise ValueError(f'Unknown preset. Received: preset="{preset}"; expected one of {", ".join(PRESETS)}.')
    fields = {f.name for f in dataclasses.fields(StyleSettings)}
    unknown = set(overrides) - fields
    if unknown:
        raise ValueError(f"Unknown stylize settings: {', '.join(sorted(unknown))}.")
    values = {**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}}
    return StyleSettings(**values)
