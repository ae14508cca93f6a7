"""Gatys et al. neural style transfer: optimise an image so its VGG features match a photo's content and
paintings' style. Reference: Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural
Networks", CVPR 2016."""

import numpy as np
import scipy.optimize
import tensorflow as tf
from tqdm.auto import tqdm

import keras

from tfstyle.style import color, lbfgs, losses
from tfstyle.style.features import FeatureExtractor
from tfstyle.style.presets import settings_for

INITS = ("content", "noise", "style")
COLOR_MODES = (None, "luminance", "histogram")


def stylize(content, style, style_weights=None, preset="gatys2016", weights="imagenet", preserve_color=None,
            multiscale=None, style_scale=1.0, seed=0, jit_compile=False, callback=None, progress=True,
            hybrid_weights="imagenet", **settings):  # fmt: skip
    """Stylises `content` with one or more `style` images; returns a uint8 RGB image.

    Args:
        content: uint8 RGB array (H, W, 3).
        style: a uint8 RGB array or a list of them.
        style_weights: blend weights of several styles (normalised to sum 1). Defaults to equal.
        preset: "gatys2016" (paper), "tf-tutorial", "keras-io" or "pytorch-tutorial". Defaults to "gatys2016".
        weights: VGG weights: "imagenet", a local weights-file path, or None (random). Defaults to "imagenet".
        preserve_color: None, "luminance" (keep the content's chroma) or "histogram" (match the style image's
            colours to the content first). Defaults to None.
        multiscale: coarse-to-fine: solve at smaller sizes first (`scale_levels`, default 1/4 and 1/2, or sizes
            growing by `scale_step` from `min_scale`), upsample, refine. Defaults to the preset's (on for "quality").
        style_scale: style image size relative to the content image. Defaults to 1.0.
        seed: seed of the noise initialisation. Defaults to 0.
        jit_compile: compile the loss-and-gradient step with XLA. Defaults to False.
        callback: called as `callback(step, image_uint8, losses_dict)` after every step; `losses_dict` holds
            the loss parts, the scale `level` and the count of loss `evaluations` so far at this level (L-BFGS
            line searches may evaluate more than once per step). Defaults to None.
        progress: show a progress bar with the losses. Defaults to True.
        hybrid_weights: weights of the hybrid backbone (with `hybrid_backbone="inceptionv3"`): "imagenet",
            a local `inception_v3_..._notop.h5`, or None. Defaults to "imagenet".
        **settings: any `tfstyle.style.StyleSettings` field (content_layers, style_layers, content_weight,
            style_weight, tv_weight, optimizer, steps, init, max_size, backbone, pooling, style_loss,
            hybrid_backbone, hybrid_style_layers, hybrid_weight, ...).

    Returns:
        The stylised image, uint8 (h, w, 3), with the content's aspect ratio and side ≤ `max_size`.

    Example:
    ```python
    out = stylize(read_image("photo.jpg"), read_image("starry_night.jpg"), steps=300, max_size=512)
    ```
    """
    s = settings_for(preset, **settings)
    if s.init not in INITS:
        raise ValueError(f'Unknown init. Received: init="{s.init}"; expected "content", "noise" or "style".')
    if preserve_color not in COLOR_MODES:
        raise ValueError(f'Unknown preserve_color. Received: "{preserve_color}"; expected "luminance" or "histogram".')
    styles = list(style) if isinstance(style, (list, tuple)) else [style]
    mix = np.asarray(style_weights if style_weights is not None else [1.0] * len(styles), np.float64)
    mix = mix / mix.sum()
    extractor = FeatureExtractor(list(s.content_layers) + list(s.style_layers), s.backbone, weights, s.pooling)
    hybrid, min_side = None, 16
    if s.hybrid_backbone:
        min_side = 75  # InceptionV3's smallest input
        hybrid = FeatureExtractor(s.hybrid_style_layers, s.hybrid_backbone, hybrid_weights, "max", "hybrid_weights")
    content_unit = np.asarray(content, np.float32) / 255.0
    styles_unit = [np.asarray(image, np.float32) / 255.0 for image in styles]
    if preserve_color == "histogram":
        styles_unit = [color.match_color(image, content_unit).astype(np.float32) for image in styles_unit]

    multiscale = s.multiscale if multiscale is None else multiscale
    levels, fractions = _scales(s, content_unit.shape) if multiscale else ([1.0], [1.0])
    if len(levels) != len(fractions) or levels[-1] != 1.0:
        raise ValueError(f"scale_levels must end at 1.0 and match scale_fractions in length. Received: "
                         f"scale_levels={levels}, scale_fractions={fractions}.")  # fmt: skip
    image, step_offset = None, 0
    for level, fraction in zip(levels, fractions):
        size = _target_size(content_unit.shape, s, level, min_side)
        content_level = _resize(content_unit, size)
        styles_level = [_resize(im, _scaled(im.shape, max(size) * style_scale, min_side)) for im in styles_unit]
        if image is None:
            image = _initial_image(s.init, content_level, styles_level[0], seed)
        else:
            image = _resize(image, size)
        loss_fn = _make_loss(extractor, s, content_level, styles_level, mix, hybrid)
        steps = max(1, int(round(s.steps * fraction)))
        image = _optimise(image, loss_fn, s, steps, jit_compile, callback, progress, step_offset, level)
        step_offset += steps
    if preserve_color == "luminance":
        image = color.luminance_transfer(image, _resize(content_unit, image.shape[:2]))
    return np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)


def _scales(s, shape):
    """(relative sizes, shares of the steps) of a coarse-to-fine schedule."""
    if not s.scale_step:
        return s.scale_levels, s.scale_fractions
    full = max(_target_size(shape, s, 1.0))
    levels = [1.0]
    while full * levels[0] / s.scale_step >= s.min_scale - 0.5:
        levels.insert(0, levels[0] / s.scale_step)
    shares = [2.0] + [1.0] * (len(levels) - 1)
    return levels, [share / sum(shares) for share in shares]


def _target_size(shape, s, level, min_side=16):
    height, width = shape[:2]
    scale = (s.max_size / height) if s.size_by == "height" else min(1.0, s.max_size / max(height, width))
    return max(min_side, int(round(height * scale * level))), max(min_side, int(round(width * scale * level)))


def _scaled(shape, side, min_side=16):
    factor = side / max(shape[:2])
    return max(min_side, int(round(shape[0] * factor))), max(min_side, int(round(shape[1] * factor)))


def _resize(image, size):
    if tuple(image.shape[:2]) == tuple(size):
        return np.asarray(image, np.float32)
    resized = tf.image.resize(image[None], size, method="bicubic", antialias=True)[0]
    return np.clip(resized.numpy(), 0.0, 1.0)


def _initial_image(init, content, style, seed):
    if init == "content":
        return content.copy()
    if init == "style":
        return _resize(style, content.shape[:2])
    return np.random.default_rng(seed).uniform(0.0, 1.0, content.shape).astype(np.float32)


def _make_loss(extractor, s, content, styles, mix, hybrid=None):
    """Builds loss(image) -> (total, parts) with the targets computed once (`hybrid`: a second extractor whose
    layers add Gram style losses, each weighted `s.hybrid_weight` times a VGG style layer)."""
    content_targets = {k: v for k, v in extractor(tf.constant(content[None])).items() if k in s.content_layers}
    layer_weights = s.style_layer_weights or [1.0 / len(s.style_layers)] * len(s.style_layers)
    scaled = s.loss_form == "scaled"
    if s.loss_form not in ("plain", "scaled"):
        raise ValueError(f'Unknown loss_form. Received: "{s.loss_form}"; expected "plain" or "scaled".')
    style_targets = []
    for image in styles:
        feats = extractor(tf.constant(image[None]))
        style_targets.append({
            name: {"gram": (losses.gram_per_position if scaled else losses.gram_matrix)(feats[name]),
                   "stats": losses.feature_stats(feats[name]),
                   "patches": losses.extract_patches(feats[name]) if "mrf" in s.style_loss else None}
            for name in s.style_layers})  # fmt: skip
    hybrid_targets = [{name: losses.gram_matrix(value) for name, value in hybrid(tf.constant(image[None])).items()}
                      for image in styles] if hybrid else []  # fmt: skip

    def gram_term(features, target_gram):
        if scaled:
            return losses.scaled_mse(losses.gram_per_position(features), target_gram)
        return losses.gram_style_loss(features, target_gram, s.gram_norm)

    def content_term(features, target):
        return losses.scaled_mse(features, target) if scaled else losses.content_loss(features, target, s.content_norm)

    def style_term(features, target):
        kinds = {"gram": lambda: gram_term(features, target["gram"]),
                 "meanstd": lambda: losses.mean_std_style_loss(features, *target["stats"]),
                 "mrf": lambda: losses.mrf_style_loss(features, target["patches"])}  # fmt: skip
        if s.style_loss == "gram+mrf":
            return kinds["gram"]() + s.mrf_weight * kinds["mrf"]()
        if s.style_loss not in kinds:
            raise ValueError(f'Unknown style loss "{s.style_loss}"; expected "gram", "meanstd", "mrf" or "gram+mrf".')
        return kinds[s.style_loss]()

    def loss(image):
        feats = extractor(image)
        content_part = tf.add_n([content_term(feats[n], content_targets[n]) for n in s.content_layers]) / len(
            s.content_layers)  # fmt: skip
        style_part = tf.add_n([
            float(share) * weight * style_term(feats[name], targets[name])
            for share, targets in zip(mix, style_targets) for name, weight in zip(s.style_layers, layer_weights)])  # fmt: skip
        parts = {"content": content_part, "style": style_part}
        if hybrid:
            feats = hybrid(image)
            parts["hybrid"] = tf.add_n([
                float(share) / len(s.hybrid_style_layers) * losses.gram_style_loss(feats[name], targets[name], s.gram_norm)
                for share, targets in zip(mix, hybrid_targets) for name in s.hybrid_style_layers])  # fmt: skip
            style_part = style_part + s.hybrid_weight * parts["hybrid"]
        parts["tv"] = losses.total_variation(image * s.tv_pixel_scale, s.tv_kind) if s.tv_weight else tf.constant(0.0)
        total = s.content_weight * content_part + s.style_weight * style_part + s.tv_weight * parts["tv"]
        return total, parts

    return loss


def _optimise(image, loss_fn, s, steps, jit_compile, callback, progress, step_offset, level):
    @tf.function(jit_compile=jit_compile, reduce_retracing=True)
    def value_and_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            total, parts = loss_fn(x)
        return total, tape.gradient(total, x), parts

    bar = tqdm(total=steps, desc=f"stylize {image.shape[1]}x{image.shape[0]}", disable=not progress, leave=False)
    state = {"step": step_offset, "evaluations": 0}

    def report(x, total, parts):
        state["step"] += 1
        bar.update(1)
        bar.set_postfix(loss=f"{float(total):.4g}", style=f"{float(parts['style']):.3g}",
                        content=f"{float(parts['content']):.3g}")  # fmt: skip
        if callback is not None:
            losses_now = {"total": float(total), **{k: float(v) for k, v in parts.items()}, "level": level,
                          "evaluations": state["evaluations"]}
            callback(state["step"], np.clip(np.round(np.asarray(x) * 255), 0, 255).astype(np.uint8), losses_now)

    if s.optimizer == "lbfgs":
        def fun(x):
            state["evaluations"] += 1
            return value_and_grad(tf.constant(x))

        bounds = (0.0, 1.0) if s.clip else None
        result = lbfgs.minimize(fun, image[None], steps, s.max_evaluations or 2 * steps, memory=s.lbfgs_memory,
                                bounds=bounds, callback=lambda x, total, parts: report(x[0], total, parts))  # fmt: skip
        bar.close()
        return result[0]
    if s.optimizer == "lbfgs-b":
        return _optimise_scipy(image, value_and_grad, s, steps, state, report, bar)
    if s.optimizer not in ("adam", "sgd"):
        raise ValueError(f'Unknown optimizer. Received: optimizer="{s.optimizer}"; expected "lbfgs", "lbfgs-b", '
                         '"adam" or "sgd".')
    lr = s.learning_rate
    if s.lr_decay:
        lr = keras.optimizers.schedules.ExponentialDecay(s.learning_rate, s.lr_decay[0], s.lr_decay[1])
    optimizer = (keras.optimizers.Adam(lr, beta_1=s.beta_1, epsilon=s.epsilon) if s.optimizer == "adam"
                 else keras.optimizers.SGD(lr))  # fmt: skip
    variable = tf.Variable(image[None])
    average = IterateAverage(s.average_decay) if s.average_decay else None
    for _ in range(steps):
        total, grad, parts = value_and_grad(variable)
        state["evaluations"] += 1
        optimizer.apply_gradients([(grad, variable)])
        if s.clip:
            variable.assign(tf.clip_by_value(variable, 0.0, 1.0))
        if average:
            average.update(variable[0].numpy())
        report(variable[0] if average is None else average.value(), total, parts)
    bar.close()
    return variable[0].numpy() if average is None else average.value()


def _optimise_scipy(image, value_and_grad, s, steps, state, report, bar):
    """SciPy's L-BFGS-B (Byrd, Lu, Nocedal & Zhu 1995) in float64 on one core: the optimiser of tfstyle before
    session 20, kept for comparison (`optimizer="lbfgs-b"`). The float32 `lbfgs` takes 0.43-0.73x its time, at a
    lower final loss in five of six measured cases (benchmarks/RESULTS.md, session 20)."""
    shape, last = image.shape, {}

    def fun(flat):
        x = tf.constant(flat.reshape(1, *shape), tf.float32)
        total, grad, parts = value_and_grad(x)
        state["evaluations"] += 1
        last.update(total=total, parts=parts)
        return float(total), grad.numpy().astype(np.float64).ravel()

    bounds = scipy.optimize.Bounds(np.zeros(image.size), np.ones(image.size)) if s.clip else None
    result = scipy.optimize.minimize(
        fun, image.astype(np.float64).ravel(), jac=True, method="L-BFGS-B", bounds=bounds,
        callback=lambda xk: report(xk.reshape(shape), last["total"], last["parts"]),
        options={"maxiter": steps, "maxfun": s.max_evaluations or 2 * steps, "maxcor": s.lbfgs_memory},
    )  # fmt: skip
    bar.close()
    return result.x.reshape(shape).astype(np.float32)


class IterateAverage:
    """A bias-corrected exponential moving average of the iterates, as Adam averages its gradients (Kingma & Ba):
    the average of a noisy optimisation's last few hundred images is smoother than its last image."""

    def __init__(self, decay):
        self.decay, self.total, self.weight = decay, 0.0, 0.0

    def update(self, image):
        self.total = self.decay * self.total + (1.0 - self.decay) * image
        self.weight = self.decay * self.weight + (1.0 - self.decay)

    def value(self):
        return (self.total / self.weight).astype(np.float32)
