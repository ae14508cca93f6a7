"""CycleGAN training-step time, batch 1: tfstyle (tf.function, XLA) vs the same maths in PyTorch.

Both sides: two ResNet generators (the paper's 9 blocks and 64 filters at 256 px unless --blocks, --ngf and --size
say otherwise; reflection padding, instance norm without affine, transposed convs), two 70×70 PatchGANs with
instance norm, LSGAN, λ = 10 cycle losses, identity loss 0.5·λ, Adam(2e-4, 0.5), image pools of 50; the
reference's order (generators against frozen discriminators, then both discriminators on pooled fakes). Random
weights and inputs (timing only). Rounds alternate the implementations (noisy machine).

Run: python benchmarks/cyclegan_step.py [--steps 3] [--rounds 2] [--size 256] [--ngf 64] [--blocks 9]
(needs: pip install torch==2.13.0)
"""

import argparse
import random


def tf_runner(jit, size, ngf=64, blocks=9):
    import tensorflow as tf

    from tfstyle import CycleGAN

    model = CycleGAN(image_size=size, ngf=ngf, n_blocks=blocks, seed=0)
    model.compile(jit_compile=jit)
    a = tf.random.uniform((1, size, size, 3), -1, 1)
    b = tf.random.uniform((1, size, size, 3), -1, 1)
    iterator = iter(tf.data.Dataset.from_tensors((a, b)).repeat())
    model.make_train_function()
    model.train_function(iterator)  # trace / compile

    def run():
        model.train_function(iterator)["g_loss"].numpy()

    return run, model


def torch_runner(size, ngf=64, blocks=9):
    import torch
    from torch import nn

    from _timing import usable_cores

    torch.set_num_threads(usable_cores())
    norm = lambda c: nn.InstanceNorm2d(c)  # noqa: E731  (affine=False, as the reference)

    class Residual(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3, bias=True), norm(c), nn.ReLU(True),
                                      nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3, bias=True), norm(c))  # fmt: skip

        def forward(self, x):
            return x + self.body(x)

    def generator():
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7, bias=True), norm(ngf), nn.ReLU(True)]
        for cin, cout in ((ngf, 2 * ngf), (2 * ngf, 4 * ngf)):
            layers += [nn.Conv2d(cin, cout, 3, 2, 1, bias=True), norm(cout), nn.ReLU(True)]
        layers += [Residual(4 * ngf) for _ in range(blocks)]
        for cin, cout in ((4 * ngf, 2 * ngf), (2 * ngf, ngf)):
            layers += [nn.ConvTranspose2d(cin, cout, 3, 2, 1, output_padding=1, bias=True), norm(cout), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
        return nn.Sequential(*layers)

    def discriminator():
        layers = [nn.Conv2d(3, 64, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for i, (cin, cout) in enumerate(((64, 128), (128, 256), (256, 512))):
            layers += [nn.Conv2d(cin, cout, 4, 2 if i < 2 else 1, 1, bias=True), norm(cout), nn.LeakyReLU(0.2, True)]
        return nn.Sequential(*layers, nn.Conv2d(512, 1, 4, 1, 1))

    class Pool:  # the reference's util/image_pool.py
        def __init__(self, size=50):
            self.size, self.images = size, []

        def query(self, image):
            if len(self.images) < self.size:
                self.images.append(image)
                return image
            if random.random() > 0.5:
                i = random.randrange(self.size)
                old, self.images[i] = self.images[i].clone(), image
                return old
            return image

    g_ab, g_ba, d_a, d_b = generator(), generator(), discriminator(), discriminator()
    g_opt = torch.optim.Adam([*g_ab.parameters(), *g_ba.parameters()], 2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam([*d_a.parameters(), *d_b.parameters()], 2e-4, betas=(0.5, 0.999))
    mse, l1 = nn.MSELoss(), nn.L1Loss()
    pool_a, pool_b = Pool(), Pool()
    real_a, real_b = torch.rand(1, 3, size, size) * 2 - 1, torch.rand(1, 3, size, size) * 2 - 1
    gan = lambda logits, target: mse(logits, torch.full_like(logits, target))  # noqa: E731

    def run():
        fake_b, fake_a = g_ab(real_a), g_ba(real_b)
        rec_a, rec_b = g_ba(fake_b), g_ab(fake_a)
        for p in [*d_a.parameters(), *d_b.parameters()]:
            p.requires_grad_(False)
        g_opt.zero_grad()
        idt = 0.5 * 10 * (l1(g_ab(real_b), real_b) + l1(g_ba(real_a), real_a))
        g_loss = gan(d_b(fake_b), 1.0) + gan(d_a(fake_a), 1.0) + 10 * l1(rec_a, real_a) + 10 * l1(rec_b, real_b) + idt
        g_loss.backward()
        g_opt.step()
        for p in [*d_a.parameters(), *d_b.parameters()]:
            p.requires_grad_(True)
        d_opt.zero_grad()
        pooled_a, pooled_b = pool_a.query(fake_a.detach()), pool_b.query(fake_b.detach())
        d_loss_a = 0.5 * (gan(d_a(real_a), 1.0) + gan(d_a(pooled_a), 0.0))
        d_loss_b = 0.5 * (gan(d_b(real_b), 1.0) + gan(d_b(pooled_b), 0.0))
        (d_loss_a + d_loss_b).backward()
        d_opt.step()
        return float(g_loss)

    run()
    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--bf16", action="store_true", help="also time mixed_bfloat16 and PyTorch's bf16 autocast")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--ngf", type=int, default=64, help="generator filters (the paper: 64)")
    parser.add_argument("--blocks", type=int, default=9, help="residual blocks (the paper: 9 at 256 px)")
    parser.add_argument("--skip-xla", action="store_true")
    args = parser.parse_args()
    from _flops import conv_flops
    from _timing import TORCH, TORCH_BF16, compare, cpu_report, torch_bf16

    cpu_report()

    widths = {"ngf": args.ngf, "blocks": args.blocks}  # the same networks on both sides
    runners = {"tfstyle tf.function": tf_runner(False, args.size, **widths)}
    if not args.skip_xla:
        runners["tfstyle XLA"] = tf_runner(True, args.size, **widths)
    runners[TORCH] = (torch_runner(args.size, **widths), None)
    if args.bf16:
        from tfstyle.training import set_precision

        previous = set_precision("mixed_bfloat16")
        runners["tfstyle mixed_bfloat16"] = tf_runner(False, args.size, **widths)
        set_precision(previous)
        runners[TORCH_BF16] = (torch_bf16(torch_runner(args.size, **widths)), None)
    model = runners["tfstyle tf.function"][1]
    g_flops = conv_flops(model.generator_ab, (args.size, args.size, 3))
    d_flops = conv_flops(model.discriminator_a, (args.size, args.size, 3))
    # Generators: 6 forward passes (2 translations, 2 reconstructions, 2 identity), all back-propagated (×3).
    # Discriminators: 2 passes in the generator loss (forward + input gradient, ×2) and 4 in their own step (×3).
    step_flops = 6 * 3 * g_flops + (2 * 2 + 4 * 3) * d_flops
    print(f"forward GFLOP: G {g_flops / 1e9:.1f}, D {d_flops / 1e9:.2f}; training step ≈ {step_flops / 1e9:.0f} GFLOP")
    compare({name: run for name, (run, _) in runners.items()}, args.steps, args.rounds, step_flops)


if __name__ == "__main__":
    main()
