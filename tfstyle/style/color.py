"""Colour preservation for style transfer (Gatys, Bethge, Hertzmann & Shechtman 2016, "Preserving Color")."""

import numpy as np

_RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


def to_yiq(rgb):
    return rgb @ _RGB_TO_YIQ.T


def to_rgb(yiq):
    return yiq @ np.linalg.inv(_RGB_TO_YIQ).T


def luminance_transfer(stylized, content):
    """Keeps the stylised luminance (Y) and the content's chroma (I, Q); float images in [0, 1]."""
    out = to_yiq(stylized)
    out[..., 1:] = to_yiq(content)[..., 1:]
    return np.clip(to_rgb(out), 0.0, 1.0)


def match_color(style, content):
    """Linear colour transfer: gives `style` the mean and covariance of `content`'s colours (float [0, 1])."""
    s, c = style.reshape(-1, 3), content.reshape(-1, 3)
    s_mean, c_mean = s.mean(0), c.mean(0)
    s_cov = np.cov((s - s_mean).T) + 1e-5 * np.eye(3)
    c_cov = np.cov((c - c_mean).T) + 1e-5 * np.eye(3)
    transform = np.linalg.cholesky(c_cov) @ np.linalg.inv(np.linalg.cholesky(s_cov))
    return np.clip((s - s_mean) @ transform.T + c_mean, 0.0, 1.0).reshape(style.shape)
