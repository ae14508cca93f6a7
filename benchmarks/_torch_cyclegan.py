"""A PyTorch CycleGAN written from the paper (Zhu et al., ICCV 2017) and its authors' published defaults, as the
reference the learning-parity benchmark compares tfstyle with. Layouts (NCHW) and names are PyTorch's own;
`load_keras_weights` copies a tfstyle CycleGAN's weights in, so both can start from the same point.

Defaults: ResNet generators (reflection padding, instance norm without affine parameters, transposed-convolution
upsampling), 70×70 PatchGANs with instance norm, in-place ReLU / LeakyReLU 0.2 (as the authors' networks.py, which
also makes the step-time benchmark's baseline the authors' own), LSGAN, λ = 10 per cycle, identity 0.5·λ, image
pools of 50, Adam(2e-4, β = (0.5, 0.999), ε = 1e-8), N(0, 0.02) weights and zero biases; generators step first
(discriminators frozen), then both discriminators on pooled fakes, each loss halved.
"""

import random

import numpy as np
import torch
from torch import nn


def resnet_generator(n_blocks=9, ngf=64):
    def norm(channels):
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)

    class Block(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.body = nn.Sequential(
                nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), norm(channels), nn.ReLU(True),
                nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), norm(channels),
            )  # fmt: skip

        def forward(self, x):
            return x + self.body(x)

    layers = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7), norm(ngf), nn.ReLU(True)]
    for i in range(2):
        layers += [nn.Conv2d(ngf * 2**i, ngf * 2 ** (i + 1), 3, 2, 1), norm(ngf * 2 ** (i + 1)), nn.ReLU(True)]
    layers += [Block(ngf * 4) for _ in range(n_blocks)]
    for i in range(2):
        c = ngf * 2 ** (2 - i)
        layers += [nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1), norm(c // 2), nn.ReLU(True)]
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def patchgan(ndf=64, n_layers=3):
    layers = [nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    channels = ndf
    for n in range(1, n_layers + 1):
        out = ndf * min(2**n, 8)
        stride = 2 if n < n_layers else 1
        layers += [nn.Conv2d(channels, out, 4, stride, 1), nn.InstanceNorm2d(out), nn.LeakyReLU(0.2, True)]
        channels = out
    return nn.Sequential(*layers, nn.Conv2d(channels, 1, 4, 1, 1))


def init_weights(net, gain=0.02):
    """The authors' `init_type="normal"` (both papers): N(0, gain) conv weights, N(1, gain) batch-norm scales, zero
    biases. Shared with benchmarks/_torch_pix2pix.py."""
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(module.weight, 0.0, gain)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, gain)
            nn.init.zeros_(module.bias)
    return net


class ImagePool:
    """Returns the new image while filling; then with probability ½ swaps it for a stored one."""

    def __init__(self, size=50):
        self.size, self.images = size, []

    def query(self, images):
        if self.size == 0:
            return images
        out = []
        for image in images:
            image = image.unsqueeze(0).detach()
            if len(self.images) < self.size:
                self.images.append(image)
                out.append(image)
            elif random.random() > 0.5:
                index = random.randint(0, self.size - 1)
                out.append(self.images[index].clone())
                self.images[index] = image
            else:
                out.append(image)
        return torch.cat(out, 0)


class CycleGAN:
    def __init__(self, n_blocks=9, ngf=64, ndf=64, pool_size=50, lr=2e-4, lambda_cycle=10.0, lambda_identity=0.5):
        self.g_ab = init_weights(resnet_generator(n_blocks, ngf))
        self.g_ba = init_weights(resnet_generator(n_blocks, ngf))
        self.d_a, self.d_b = init_weights(patchgan(ndf)), init_weights(patchgan(ndf))  # d_b judges domain B
        params = lambda *nets: [p for net in nets for p in net.parameters()]  # noqa: E731
        self.g_opt = torch.optim.Adam(params(self.g_ab, self.g_ba), lr, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(params(self.d_a, self.d_b), lr, betas=(0.5, 0.999))
        self.pool_a, self.pool_b = ImagePool(pool_size), ImagePool(pool_size)
        self.lam, self.idt = lambda_cycle, lambda_identity

    def step(self, real_a, real_b):
        mse, l1 = nn.functional.mse_loss, nn.functional.l1_loss
        fake_b, fake_a = self.g_ab(real_a), self.g_ba(real_b)
        for d in (self.d_a, self.d_b):
            d.requires_grad_(False)
        self.g_opt.zero_grad()
        identity = self.idt * self.lam * (l1(self.g_ab(real_b), real_b) + l1(self.g_ba(real_a), real_a))
        judged_b, judged_a = self.d_b(fake_b), self.d_a(fake_a)
        gan = mse(judged_b, torch.ones_like(judged_b)) + mse(judged_a, torch.ones_like(judged_a))
        cycle = self.lam * (l1(self.g_ba(fake_b), real_a) + l1(self.g_ab(fake_a), real_b))
        g_loss = gan + cycle + identity
        g_loss.backward()
        self.g_opt.step()
        for d in (self.d_a, self.d_b):
            d.requires_grad_(True)
        self.d_opt.zero_grad()
        d_loss = 0.0
        pooled_b, pooled_a = self.pool_b.query(fake_b), self.pool_a.query(fake_a)
        for d, real, fake in ((self.d_b, real_b, pooled_b), (self.d_a, real_a, pooled_a)):
            real_out, fake_out = d(real), d(fake.detach())
            loss = 0.5 * (mse(real_out, torch.ones_like(real_out)) + mse(fake_out, torch.zeros_like(fake_out)))
            loss.backward()
            d_loss += loss.item()
        self.d_opt.step()
        return {"g_loss": g_loss.item(), "g_gan": gan.item(), "cycle": cycle.item(), "identity": identity.item(),
                "d_loss": d_loss}  # fmt: skip


def load_keras_weights(torch_net, keras_net):
    """Copies a tfstyle network's weights (in layer order) into the PyTorch network of the same layout."""
    kernels = [w for w in keras_net.weights]
    modules = [m for m in torch_net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    pairs = list(zip(kernels[0::2], kernels[1::2]))
    assert len(pairs) == len(modules), (len(pairs), len(modules))
    with torch.no_grad():
        for module, (kernel, bias) in zip(modules, pairs):
            k = np.asarray(kernel)
            if isinstance(module, nn.ConvTranspose2d):  # Keras (h, w, out, in) -> PyTorch (in, out, h, w)
                module.weight.copy_(torch.from_numpy(k.transpose(3, 2, 0, 1).copy()))
            else:  # Keras (h, w, in, out) -> PyTorch (out, in, h, w)
                module.weight.copy_(torch.from_numpy(k.transpose(3, 2, 0, 1).copy()))
            module.bias.copy_(torch.from_numpy(np.asarray(bias)))


def to_torch(images):
    """NHWC float arrays -> NCHW tensors."""
    return torch.from_numpy(np.ascontiguousarray(np.asarray(images, np.float32).transpose(0, 3, 1, 2)))
