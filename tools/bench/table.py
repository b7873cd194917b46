#!/usr/bin/python3
"""Reads the runs of conv.sh (DIR/round*/...) and prints the ratio tables:
medians over rounds of the PyTorch peers' ms/step and of otgen's benchmarks,
wall time on 2 threads and CPU time on 1 thread, and otgen / PyTorch.
Usage: table.py DIR"""
import glob
import json
import os
import re
import statistics
import sys

STEPS = [  # label, peer file, peer key, Go benchmark
    ('MNIST DCGAN WGAN-GP critic step (second order)', 'mnist', 'critic_step_gp', 'DCGANCriticStep'),
    ('MNIST DCGAN generator step', 'mnist', 'gen_step', 'DCGANGeneratorStep'),
    ('MNIST WAE-GAN iteration', 'mnist', 'wae_gan_step', 'WAEGANStep'),
    ('MNIST WAE-MMD step', 'mnist', 'wae_mmd_step', 'WAEMMDStep'),
    ('CelebA 64x64 WGAN-GP critic step', 'dcgan64', 'critic_step_gp', 'DCGAN64CriticStep'),
    ('CelebA 64x64 generator step', 'dcgan64', 'gen_step', 'DCGAN64GeneratorStep'),
]
BENCH = re.compile(r'^Benchmark(\w+?)(?:-\d+)?\s+\d+\s+(\d+) ns/op(?:\s+([\d.]+) cpu-ms/op)?')


def peer(d, name, key):
    out = []
    for f in sorted(glob.glob(os.path.join(d, 'round*', name + '.json'))):
        try:
            with open(f) as fh:
                out.append(json.load(fh)['timing'][key]['ms_median'])
        except (OSError, ValueError, KeyError):
            pass
    return out


def bench(d, build, name):
    wall, cpu = [], []
    for f in sorted(glob.glob(os.path.join(d, 'round*', build + '.txt'))):
        with open(f) as fh:
            for line in fh:
                m = BENCH.match(line)
                if m and m.group(1) == name:
                    wall.append(int(m.group(2)) / 1e6)
                    if m.group(3):
                        cpu.append(float(m.group(3)))
    return wall, cpu


def med(v):
    return statistics.median(v) if v else float('nan')


def ratio(a, b):
    if a != a or b != b or b == 0:
        return 'n/a'
    r = a / b
    return f'{r:.2f}x'


def main():
    d = sys.argv[1]
    builds = [b for b in ('before-openblas', 'openblas', 'before-purego', 'purego')
              if glob.glob(os.path.join(d, 'round*', b + '-2.txt'))]
    for title, suffix, peerfile, col in (
            ('Wall time per step, 2 threads', '-2', '', 0),
            ('CPU time per step, 1 thread', '-1', '_cpu', 1)):
        print(f'{title} (PyTorch --threads {2 - col}, otgen GOMAXPROCS={2 - col}):\n')
        head, rule = '| step | PyTorch |', '|---|---|'
        for b in builds:
            head += f' otgen {b} | otgen {b} / PyTorch |'
            rule += '---|---|'
        print(head)
        print(rule)
        for label, pf, key, bn in STEPS:
            p = med(peer(d, pf + peerfile, key))
            row = f'| {label} | {p:.0f} ms |'
            for b in builds:
                v = med(bench(d, b + suffix, bn)[col])
                row += f' {v:.0f} ms | {ratio(v, p)} |'
            print(row)
        print()
    rounds = len(glob.glob(os.path.join(d, 'round*')))
    print(f'Medians over {rounds} rounds. CPU time: of the whole process, all threads.')
    for f in sorted(glob.glob(os.path.join(d, 'round*', 'uptime'))):
        with open(f) as fh:
            print(fh.read().strip())


if __name__ == '__main__':
    main()
