"""A PyTorch fast style transfer written from Johnson et al. (ECCV 2016) and the defaults of `pytorch/examples`
fast_neural_style, as the reference the learning-parity benchmark compares tfstyle's FastStyle with.

Defaults: the transformation network of pytorch/examples (9×9 conv 3→32, two stride-2 3×3 convs to 128, five
residual blocks, two nearest ×2 upsamplings each followed by a 3×3 conv, a 9×9 conv to 3 channels; reflection
padding before every conv, affine instance norm, ReLU, no output activation; PyTorch's default initialisation),
pixels in [0, 255], content loss = 1e5 · MSE at relu2_2, style loss = 1e10 · Σ MSE of Gram matrices FᵀF / (C·H·W)
at relu1_2, relu2_2, relu3_3, relu4_3, Adam(1e-3) with PyTorch's defaults.

One deliberate difference from pytorch/examples: its loss network is torchvision's ImageNet VGG-16, which takes
(x/255 − μ)/σ. The pretrained VGG-16 reachable offline here is HED's (benchmarks/hed_vgg16.py), trained in Caffe's
convention (BGR, 0-255 minus the ImageNet mean), so this reference feeds it that way and scales the features by
tfstyle's FEATURE_SCALE, exactly as tfstyle's FastStyle does with the same weights: both sides optimise the same
objective on the same loss network, and everything else is written independently here.
"""

import numpy as np
import torch
from torch import nn

from tfstyle.style.faststyle import CONTENT_LAYER, FEATURE_SCALE, STYLE_LAYERS

MEAN_BGR = (103.939, 116.779, 123.68)
VGG16_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3))  # up to block4 (relu4_3 is the deepest layer used)


class ConvLayer(nn.Module):
    def __init__(self, channels_in, channels_out, kernel, stride, upsample=None):
        super().__init__()
        self.upsample = upsample
        self.pad = nn.ReflectionPad2d(kernel // 2)
        self.conv = nn.Conv2d(channels_in, channels_out, kernel, stride)

    def forward(self, x):
        if self.upsample:
            x = nn.functional.interpolate(x, mode="nearest", scale_factor=self.upsample)
        return self.conv(self.pad(x))


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1, self.in1 = ConvLayer(channels, channels, 3, 1), nn.InstanceNorm2d(channels, affine=True)
        self.conv2, self.in2 = ConvLayer(channels, channels, 3, 1), nn.InstanceNorm2d(channels, affine=True)

    def forward(self, x):
        return x + self.in2(self.conv2(torch.relu(self.in1(self.conv1(x)))))


class TransformerNet(nn.Module):
    """Johnson et al.'s image transformation network: pixels in [0, 255] in and out (1,679,235 parameters)."""

    def __init__(self):
        super().__init__()
        down = [(3, 32, 9, 1), (32, 64, 3, 2), (64, 128, 3, 2)]
        self.down = nn.ModuleList(ConvLayer(*spec) for spec in down)
        self.down_norms = nn.ModuleList(nn.InstanceNorm2d(spec[1], affine=True) for spec in down)
        self.blocks = nn.Sequential(*(ResidualBlock(128) for _ in range(5)))
        self.up = nn.ModuleList([ConvLayer(128, 64, 3, 1, upsample=2), ConvLayer(64, 32, 3, 1, upsample=2)])
        self.up_norms = nn.ModuleList([nn.InstanceNorm2d(64, affine=True), nn.InstanceNorm2d(32, affine=True)])
        self.out = ConvLayer(32, 3, 9, 1)

    def forward(self, x):
        for conv, norm in zip(self.down, self.down_norms):
            x = torch.relu(norm(conv(x)))
        x = self.blocks(x)
        for conv, norm in zip(self.up, self.up_norms):
            x = torch.relu(norm(conv(x)))
        return self.out(x)

    def convs(self):
        """The convolutions in the order tfstyle's `transformer_network` creates its own."""
        blocks = [c for block in self.blocks for c in (block.conv1.conv, block.conv2.conv)]
        return [c.conv for c in self.down] + blocks + [c.conv for c in self.up] + [self.out.conv]

    def norms(self):
        blocks = [n for block in self.blocks for n in (block.in1, block.in2)]
        return list(self.down_norms) + blocks + list(self.up_norms)


class VGG16Features(nn.Module):
    """VGG-16's convolutions up to relu4_3 with Keras's layer names, fed in Caffe's convention (see the module
    docstring); returns {layer name: ReLU output × FEATURE_SCALE} for the fast-style layers."""

    def __init__(self, keras_weights):
        super().__init__()
        self.convs, self.names, self.pool_after, channels = nn.ModuleList(), [], set(), 3
        for block, (width, count) in enumerate(VGG16_BLOCKS, start=1):
            for index in range(1, count + 1):
                self.convs.append(nn.Conv2d(channels, width, 3, 1, 1))
                self.names.append(f"block{block}_conv{index}")
                channels = width
            self.pool_after.add(self.names[-1])
        self._load(keras_weights)
        self.requires_grad_(False)
        self.register_buffer("mean", torch.tensor(MEAN_BGR).view(1, 3, 1, 1))

    def _load(self, path):
        import keras

        vgg = keras.applications.VGG16(include_top=False, weights=None)
        vgg.load_weights(path)
        with torch.no_grad():
            for conv, name in zip(self.convs, self.names):
                kernel, bias = vgg.get_layer(name).get_weights()
                conv.weight.copy_(torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()))  # HWIO -> OIHW
                conv.bias.copy_(torch.from_numpy(bias))

    def forward(self, pixels):
        x, out = pixels.flip(1) - self.mean, {}  # RGB 0-255 -> BGR minus the ImageNet mean
        for conv, name in zip(self.convs, self.names):
            x = torch.relu(conv(x))
            if name in (CONTENT_LAYER, *STYLE_LAYERS):
                out[name] = x * FEATURE_SCALE
            if name in self.pool_after:
                x = nn.functional.max_pool2d(x, 2)
        return out


def gram_matrix(features):
    """FᵀF / (C·H·W) per image: (B, C, H, W) -> (B, C, C)."""
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return flat.bmm(flat.transpose(1, 2)) / (c * h * w)


class FastStyle:
    """The training loop's state: network, optimiser, loss network and the painting's Gram matrices."""

    def __init__(self, style_pixels, vgg, content_weight=1e5, style_weight=1e10, lr=1e-3):
        self.net, self.vgg = TransformerNet(), vgg
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr)
        self.weights = (content_weight, style_weight)
        with torch.no_grad():
            style = self.vgg(to_torch(style_pixels[None]))
        self.style_grams = [gram_matrix(style[name]) for name in STYLE_LAYERS]

    def losses(self, pixels):
        """(content, style) for a batch of photos, NCHW pixels in [0, 255]."""
        mse = nn.functional.mse_loss
        styled, photo = self.vgg(self.net(pixels)), self.vgg(pixels)
        content = self.weights[0] * mse(styled[CONTENT_LAYER], photo[CONTENT_LAYER])
        style = sum(mse(gram_matrix(styled[n]), g.expand(len(pixels), -1, -1))
                    for n, g in zip(STYLE_LAYERS, self.style_grams))  # fmt: skip
        return content, self.weights[1] * style

    def step(self, pixels):
        self.optimizer.zero_grad()
        content, style = self.losses(pixels)
        (content + style).backward()
        self.optimizer.step()
        return {"loss": (content + style).item(), "content": content.item(), "style": style.item()}

    def stylize(self, images):
        """[-1, 1] NHWC arrays -> [-1, 1] NHWC arrays (unclipped, like tfstyle's network)."""
        with torch.no_grad():
            pixels = self.net(to_torch((np.asarray(images) + 1.0) * 127.5))
        return pixels.numpy().transpose(0, 2, 3, 1) / 127.5 - 1.0


def load_keras_weights(net, keras_net):
    """Copies a tfstyle `transformer_network`'s weights into `TransformerNet` (same layer order), so both can
    start from the same point."""
    convs = [l for l in keras_net.layers if type(l).__name__ == "Conv2D"]
    norms = [l for l in keras_net.layers if type(l).__name__ == "InstanceNormalization"]
    assert len(convs) == len(net.convs()) and len(norms) == len(net.norms()), (len(convs), len(norms))
    with torch.no_grad():
        for module, layer in zip(net.convs(), convs):
            kernel, bias = layer.get_weights()
            module.weight.copy_(torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()))
            module.bias.copy_(torch.from_numpy(bias))
        for module, layer in zip(net.norms(), norms):
            gamma, beta = layer.get_weights()
            module.weight.copy_(torch.from_numpy(gamma))
            module.bias.copy_(torch.from_numpy(beta))


def to_torch(images):
    """NHWC float arrays -> NCHW tensors."""
    return torch.from_numpy(np.ascontiguousarray(np.asarray(images, np.float32).transpose(0, 3, 1, 2)))
