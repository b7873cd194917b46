#!/usr/bin/python3
"""Peer baseline: POT's Sinkhorn on the OTT protocol, and the clouds for otgen.

The protocol is that of OTT-JAX's comparison with POT (Cuturi et al. 2022,
"Optimal Transport Tools (OTT): A JAX Toolbox for all things Wasserstein",
and OTT's "OTT & POT" notebook): d = 6, x_i ~ U[0,1]^6, y_j ~ U[0,1]^6 + 0.1,
weights a, b ~ U[0,1] normalised to sum 1, squared Euclidean cost,
eps = 0.01 * mean(C) (the mean of the n^2 entries), stop when the L2 norm of
the marginal error is below 0.01 / n^0.33; float32 clouds and cost.

One run = one (n, method) in this process, so that its peak memory is the
method's: the JSON line on stdout holds the time of ot.dist plus
ot.sinkhorn (and each), POT's iteration count, the final L2 marginal
errors (rows and columns, recomputed here in float64), <P, C>, the
entropic value <a, f> + <b, g> when POT returns the log potentials, and
ru_maxrss. Methods: sinkhorn_log (ot.sinkhorn(method='sinkhorn_log')) and
sinkhorn (ot.sinkhorn, Sinkhorn-Knopp; its kernel exp(-C/eps) underflows
in float32 at this eps, which the warnings report).

--write DIR writes the clouds to DIR/{n}.bin instead (x and y as float32
n x 6 each, then a and b as float64, little-endian): otgen's
BenchmarkOnlineOTT reads them from $OTGEN_OTT_CLOUDS, so both sides solve
the same instances. The clouds come from numpy's RandomState(seed + n).

Run (one after the other, never in parallel):
  /usr/bin/python3 tools/peers/pot_ott.py --write /tmp/ott --sizes 1024,4096,16384,100000
  /usr/bin/python3 tools/peers/pot_ott.py --n 4096 --method sinkhorn_log
"""
import argparse
import json
import os
import resource
import sys
import time
import warnings

import numpy as np
import ot

D = 6


def instance(n, seed):
    rng = np.random.RandomState(seed + n)
    x = rng.rand(n, D).astype(np.float32)
    y = (rng.rand(n, D) + 0.1).astype(np.float32)
    a = rng.rand(n)
    b = rng.rand(n)
    return x, y, a / a.sum(), b / b.sum()


def mean_cost(x, y):
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    mx, my = x64.mean(0), y64.mean(0)
    return float((x64 ** 2).sum(1).mean() + (y64 ** 2).sum(1).mean() - 2 * mx @ my)


def write(a):
    os.makedirs(a.write, exist_ok=True)
    for n in [int(s) for s in a.sizes.split(",")]:
        x, y, wa, wb = instance(n, a.seed)
        with open("%s/%d.bin" % (a.write, n), "wb") as f:
            f.write(x.astype("<f4").tobytes())
            f.write(y.astype("<f4").tobytes())
            f.write(wa.astype("<f8").tobytes())
            f.write(wb.astype("<f8").tobytes())
        print("wrote %s/%d.bin" % (a.write, n), file=sys.stderr)


def run(a):
    n = a.n
    x, y, wa, wb = instance(n, a.seed)
    eps = 0.01 * mean_cost(x, y)
    tol = 0.01 / n ** 0.33
    wa32, wb32 = wa.astype(np.float32), wb.astype(np.float32)
    with warnings.catch_warnings(record=True) as wl:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        M = ot.dist(x, y)
        t1 = time.perf_counter()
        P, lg = ot.sinkhorn(wa32, wb32, M, eps, method=a.method, numItermax=a.max_iter,
                            stopThr=tol, log=True)
        t2 = time.perf_counter()
    P64 = P.astype(np.float64)
    rows, cols = P64.sum(1), P64.sum(0)
    out = {
        "n": n, "method": a.method, "eps": eps, "tol": tol, "dtype": str(M.dtype),
        "dist_s": t1 - t0, "sinkhorn_s": t2 - t1, "total_s": t2 - t0,
        "niter": int(lg.get("niter", -1)),
        "l2_rows": float(np.linalg.norm(rows - wa)), "l2_cols": float(np.linalg.norm(cols - wb)),
        "cost_PC": float((P64 * M.astype(np.float64)).sum()),
        "nan_in_plan": bool(np.isnan(P64).any()),
        "warnings": sorted({str(w.message)[:80] for w in wl}),
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "pot": ot.__version__, "numpy": np.__version__,
    }
    if "log_u" in lg and "log_v" in lg:
        f, g = eps * np.asarray(lg["log_u"], np.float64), eps * np.asarray(lg["log_v"], np.float64)
        # GeomLoss potentials: F = eps log(u / a), G = eps log(v / b).
        out["OTeps"] = float(wa @ (f - eps * np.log(wa)) + wb @ (g - eps * np.log(wb)))
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1024)
    p.add_argument("--method", default="sinkhorn_log", choices=["sinkhorn_log", "sinkhorn"])
    p.add_argument("--max-iter", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--write", default="", help="write the clouds to this folder and exit")
    p.add_argument("--sizes", default="1024,4096,16384,100000")
    a = p.parse_args()
    if a.write:
        write(a)
    else:
        run(a)


if __name__ == "__main__":
    main()
