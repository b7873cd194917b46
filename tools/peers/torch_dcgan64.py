#!/usr/bin/python3
"""Peer baseline for otgen's 64x64 DCGAN steps (train.BenchmarkDCGAN64*):
the same networks in PyTorch on CPU, random data of shape (batch, 3, 64, 64).

Networks (base width C = --channels, 64 by default; batch 64; z = 64), as
otgen's models/dcgan.go builds them for 3x64x64 data:
  generator  z -> Linear(z, 8C*4*4) -> ReLU -> reshape 8C x4x4
             -> ConvT(8C, 4C, 4, 2, 1) -> ReLU -> ConvT(4C, 2C) -> ReLU
             -> ConvT(2C, C) -> ReLU -> ConvT(C, 3) -> tanh
  critic     Conv(3, C, 4, 2, 1) -> LeakyReLU(0.2)
             -> [Conv(C*2^(i-1), C*2^i, 4, 2, 1) -> LayerNorm over (C,H,W) with a
                per-channel gain and bias -> LeakyReLU(0.2)] for i = 1..3
             -> flatten -> Linear(8C*4*4, 1)
Timed steps (Adam lr 1e-4, betas (0.5, 0.9)), as torch_dcgan_mnist.py:
  critic_step  one WGAN-GP critic update (lambda 10, double backward)
  gen_step     one generator update
Run with /usr/bin/python3 (Debian's python3-torch). Prints one JSON line.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ChannelLayerNorm(nn.Module):
    """otgen's nn.LayerNorm: normalise each example over all of (C, H, W),
    then a per-channel gain and bias."""

    def __init__(self, c, eps=1e-5):
        super().__init__()
        self.g = nn.Parameter(torch.ones(c))
        self.b = nn.Parameter(torch.zeros(c))
        self.eps = eps

    def forward(self, x):
        mu = x.mean(dim=(1, 2, 3), keepdim=True)
        var = x.var(dim=(1, 2, 3), keepdim=True, unbiased=False)
        return (x - mu) / torch.sqrt(var + self.eps) * self.g[None, :, None, None] + self.b[None, :, None, None]


class Generator(nn.Module):
    def __init__(self, z, c):
        super().__init__()
        self.c = c
        self.fc = nn.Linear(z, 8 * c * 16)
        self.ups = nn.ModuleList([nn.ConvTranspose2d(8 * c, 4 * c, 4, 2, 1), nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1),
                                  nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.ConvTranspose2d(c, 3, 4, 2, 1)])

    def forward(self, z):
        h = F.relu(self.fc(z)).view(-1, 8 * self.c, 4, 4)
        for i, u in enumerate(self.ups):
            h = u(h)
            h = F.relu(h) if i < 3 else torch.tanh(h)
        return h


class Critic(nn.Module):
    def __init__(self, c):
        super().__init__()
        w = [3, c, 2 * c, 4 * c, 8 * c]
        self.convs = nn.ModuleList([nn.Conv2d(w[i], w[i + 1], 4, 2, 1) for i in range(4)])
        self.norms = nn.ModuleList([ChannelLayerNorm(w[i + 1]) for i in range(1, 4)])
        self.fc = nn.Linear(8 * c * 16, 1)

    def forward(self, x):
        h = x
        for i, conv in enumerate(self.convs):
            h = conv(h)
            if i > 0:
                h = self.norms[i - 1](h)
            h = F.leaky_relu(h, 0.2)
        return self.fc(h.flatten(1))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--zdim', type=int, default=64)
    p.add_argument('--channels', type=int, default=64)
    p.add_argument('--iters', type=int, default=5)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    G, D = Generator(a.zdim, a.channels), Critic(a.channels)
    optG = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.5, 0.9))
    optD = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.9))

    def critic_step():
        real = torch.rand(a.batch, 3, 64, 64) * 2 - 1
        with torch.no_grad():
            fake = G(torch.randn(a.batch, a.zdim))
        alpha = torch.rand(a.batch, 1, 1, 1)
        interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        grads, = torch.autograd.grad(D(interp).sum(), interp, create_graph=True)
        gp = ((grads.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
        loss = D(fake).mean() - D(real).mean() + 10 * gp
        optD.zero_grad(set_to_none=True)
        loss.backward()
        optD.step()

    def gen_step():
        for q in D.parameters():
            q.requires_grad_(False)
        loss = -D(G(torch.randn(a.batch, a.zdim))).mean()
        optG.zero_grad(set_to_none=True)
        loss.backward()
        optG.step()
        for q in D.parameters():
            q.requires_grad_(True)

    out = {'script': 'torch_dcgan64.py', 'torch': torch.__version__, 'threads': torch.get_num_threads(),
           'config': vars(a), 'timing': {}}
    for name, fn in (('critic_step_gp', critic_step), ('gen_step', gen_step)):
        for _ in range(a.warmup):
            fn()
        reps = []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            for _ in range(a.iters):
                fn()
            reps.append((time.perf_counter() - t0) * 1e3 / a.iters)
        print(f'{name}: ms/step {["%.1f" % r for r in reps]}', file=sys.stderr, flush=True)
        out['timing'][name] = {'ms_median': statistics.median(reps), 'ms_min': min(reps)}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
