"""A PyTorch Pix2Pix written from the paper (Isola et al., CVPR 2017) and its authors' published defaults, as the
reference the Pix2Pix benchmarks compare tfstyle with (layouts NCHW, names PyTorch's own).

Defaults: U-Net generator (4×4 stride-2 convolutions, LeakyReLU 0.2 down, ReLU up, batch norm with convs
unbiased where a norm follows, dropout 0.5 in the num_downs − 5 blocks above the innermost, tanh), conditional
70×70 PatchGAN on input ‖ output, vanilla GAN loss + 100·L1, Adam(2e-4, β = (0.5, 0.999)), N(0, 0.02) conv
weights, N(1, 0.02) batch-norm scales, zero biases; each step updates D on real and detached fake pairs (loss
halved), then G against the updated D.
"""

import torch
from torch import nn

from _torch_cyclegan import init_weights


class UnetBlock(nn.Module):
    """The authors' UnetSkipConnectionBlock: down → (inner block) → up, with the input concatenated on output."""

    def __init__(self, outer, inner, sub=None, outermost=False, innermost=False, dropout=False, in_channels=None):
        super().__init__()
        self.outermost = outermost
        down = [nn.LeakyReLU(0.2, True), nn.Conv2d(in_channels or outer, inner, 4, 2, 1, bias=False)]
        if outermost:
            down = down[1:]
        elif not innermost:
            down.append(nn.BatchNorm2d(inner))
        up = [nn.ReLU(True), nn.ConvTranspose2d(inner if innermost else inner * 2, outer, 4, 2, 1, bias=outermost)]
        up += [nn.Tanh()] if outermost else [nn.BatchNorm2d(outer)] + ([nn.Dropout(0.5)] if dropout else [])
        self.model = nn.Sequential(*down, *([sub] if sub is not None else []), *up)

    def forward(self, x):
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)


def unet_generator(num_downs=8, ngf=64):
    """U-Net-256 for num_downs 8, U-Net-128 for 7."""
    block = UnetBlock(ngf * 8, ngf * 8, innermost=True)
    for _ in range(num_downs - 5):
        block = UnetBlock(ngf * 8, ngf * 8, block, dropout=True)
    for outer, inner in ((ngf * 4, ngf * 8), (ngf * 2, ngf * 4), (ngf, ngf * 2)):
        block = UnetBlock(outer, inner, block)
    return UnetBlock(3, ngf, block, outermost=True, in_channels=3)


def patchgan(in_channels=6, ndf=64, n_layers=3):
    """The authors' NLayerDiscriminator with batch norm (convs before a norm unbiased)."""
    layers = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    channels = ndf
    for n in range(1, n_layers + 1):
        out = ndf * min(2**n, 8)
        layers += [nn.Conv2d(channels, out, 4, 2 if n < n_layers else 1, 1, bias=False), nn.BatchNorm2d(out),
                   nn.LeakyReLU(0.2, True)]  # fmt: skip
        channels = out
    return nn.Sequential(*layers, nn.Conv2d(channels, 1, 4, 1, 1))


class Pix2Pix:
    def __init__(self, num_downs=8, ngf=64, ndf=64, lr=2e-4, lambda_l1=100.0):
        self.generator = init_weights(unet_generator(num_downs, ngf))
        self.discriminator = init_weights(patchgan(6, ndf))
        self.g_opt = torch.optim.Adam(self.generator.parameters(), lr, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(self.discriminator.parameters(), lr, betas=(0.5, 0.999))
        self.lambda_l1 = lambda_l1

    def step(self, x, y):
        bce, l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()
        fake = self.generator(x)
        self.discriminator.requires_grad_(True)
        self.d_opt.zero_grad()
        real_logits = self.discriminator(torch.cat([x, y], 1))
        fake_logits = self.discriminator(torch.cat([x, fake.detach()], 1))
        d_loss = 0.5 * (bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits)))
        d_loss.backward()
        self.d_opt.step()
        self.discriminator.requires_grad_(False)
        self.g_opt.zero_grad()
        logits = self.discriminator(torch.cat([x, fake], 1))
        g_gan, g_l1 = bce(logits, torch.ones_like(logits)), l1(fake, y)
        g_loss = g_gan + self.lambda_l1 * g_l1
        g_loss.backward()
        self.g_opt.step()
        return {"g_loss": g_loss.item(), "g_gan": g_gan.item(), "g_l1": g_l1.item(), "d_loss": d_loss.item()}
