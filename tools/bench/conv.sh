#!/bin/bash
# Measures otgen's conv training steps against the PyTorch peers, one after
# the other (never in parallel: the machine has 2 cores), in interleaved
# rounds, and prints the ratio table of issue 18: medians over the rounds of
#   - the wall time per step on 2 threads (PyTorch's 2 OpenMP threads,
#     otgen's GOMAXPROCS=2), the issue's measure, which a loaded machine
#     distorts (OpenMP threads busy-wait: under load PyTorch suffers most);
#   - the CPU time per step on 1 thread (--threads 1, GOMAXPROCS=1): the
#     work each does, which load distorts much less.
#
#   peers  ../shared/peers/torch_dcgan_mnist.py (MNIST DCGAN WGAN-GP critic and
#          generator steps, WAE-GAN and WAE-MMD steps) and
#          tools/peers/torch_dcgan64.py (CelebA 64x64 critic and generator),
#          Debian's python3-torch on the OpenMP OpenBLAS as run_all.sh runs it
#   otgen  train's Benchmark{DCGANCriticStep,DCGANGeneratorStep,WAEGANStep,
#          WAEMMDStep,DCGAN64CriticStep,DCGAN64GeneratorStep}, built with
#          -tags openblas and in the default pure-Go build
#
# Usage: tools/bench/conv.sh [ROUNDS]   (default 3; from the repository root)
# Environment: ITERS (timed steps per benchmark and round, default 10;
#   ITERS64 for the CelebA 64x64 steps, default ITERS),
#   BUILDS ("openblas purego"), PEERS (folder of torch_dcgan_mnist.py,
#   default ../shared/peers), OUT (results folder, default a new temporary
#   one), OTGEN_DATA (real MNIST and CelebA, required by the benchmarks),
#   PEER_RUNS ("both", the default; "cpu" skips the 2-thread wall-time runs
#   of the peers, which take minutes per step on a loaded machine; "none"),
#   BEFORE (another otgen source tree, e.g. an older commit's `git archive`:
#   its benchmarks run in the same rounds, as "before" columns).
# Needs: python3-torch, libopenblas0-openmp, libopenblas-dev.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tools/bench
ROUNDS=${1:-3}
ITERS=${ITERS:-10}
ITERS64=${ITERS64:-$ITERS}
BUILDS=${BUILDS:-openblas purego}
PEERS=${PEERS:-$ROOT/../shared/peers}
OUT=${OUT:-$(mktemp -d)}
PY=/usr/bin/python3
OMPBLAS=/usr/lib/x86_64-linux-gnu/openblas-openmp
: "${OTGEN_DATA:?set OTGEN_DATA to the folder with MNIST and CelebA}"
[ -f "$PEERS/torch_dcgan_mnist.py" ] || { echo "conv.sh: no torch_dcgan_mnist.py in $PEERS (set PEERS)" >&2; exit 2; }
[ -d "$OMPBLAS" ] || { echo "conv.sh: $OMPBLAS missing: apt-get install libopenblas0-openmp" >&2; exit 2; }
mkdir -p "$OUT"
echo "results in $OUT; $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" >&2
TREES=("$ROOT"); NAMES=("")
if [ -n "${BEFORE:-}" ]; then TREES+=("$BEFORE"); NAMES+=("before-"); fi
for i in "${!TREES[@]}"; do
  for b in $BUILDS; do
    tags=""; [ "$b" = openblas ] && tags="-tags openblas"
    (cd "${TREES[$i]}" && go test $tags -c -o "$OUT/train-${NAMES[$i]}$b.test" ./train)
  done
done
BENCH='^Benchmark(DCGANCriticStep|DCGANGeneratorStep|WAEGANStep|WAEMMDStep|DCGAN64CriticStep|DCGAN64GeneratorStep)$'
torch() {  # torch NAME SCRIPT ARGS...: 2-thread wall-time run, then 1-thread CPU-time run
  local name=$1 script=$2; shift 2
  [ "${PEER_RUNS:-both}" = none ] && return
  [ "${PEER_RUNS:-both}" = cpu ] || \
    env LD_LIBRARY_PATH=$OMPBLAS $PY "$script" "$@" --threads 2 > "$dir/$name.json" 2> "$dir/$name.err"
  env LD_LIBRARY_PATH=$OMPBLAS $PY "$HERE/cputime.py" "$script" "$@" --threads 1 > "$dir/${name}_cpu.json" 2> "$dir/${name}_cpu.err"
}
for r in $(seq 1 "$ROUNDS"); do
  dir=$OUT/round$r; mkdir -p "$dir"
  echo "round $r/$ROUNDS: $(uptime)" | tee "$dir/uptime" >&2
  torch mnist "$PEERS/torch_dcgan_mnist.py" --iters "$ITERS" --repeats 1 --warmup 3
  torch dcgan64 "$ROOT/tools/peers/torch_dcgan64.py" --iters "$ITERS64" --repeats 1 --warmup 2
  for i in "${!TREES[@]}"; do
    for b in $BUILDS; do
      for cpus in 2 1; do
        (cd "${TREES[$i]}/train" && "$OUT/train-${NAMES[$i]}$b.test" -test.run '^$' -test.bench "$BENCH" \
          -test.benchtime "${ITERS}x" -test.cpu $cpus > "$dir/${NAMES[$i]}$b-$cpus.txt" 2>&1) ||
          echo "conv.sh: ${NAMES[$i]}$b on $cpus threads failed, see $dir/${NAMES[$i]}$b-$cpus.txt" >&2
      done
    done
  done
done
$PY "$HERE/table.py" "$OUT"
echo "load at the end: $(uptime)"
