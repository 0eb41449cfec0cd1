#!/usr/bin/env python3
"""Plain numpy implementation of the ensemble correlator estimator, the reference for BENCHMARKS.md.

Same estimator as `nntheory correlators`: M single-layer Erf-nets of width N (2008.08601 conventions:
W0 ~ N(0, sw^2/d), b0, b1 ~ N(0, sb^2), W1 ~ N(0, sw^2/N)) evaluated at P points, and the sums of
f(x_i1)...f(x_in) over every index multiset of orders 1..6 accumulated in K chunks.
Prints network·point evaluations per second.
"""
import argparse, itertools, time
import numpy as np
from scipy.special import erf

ap = argparse.ArgumentParser()
ap.add_argument("--width", type=int, default=1000)
ap.add_argument("--networks", type=int, default=10000)
ap.add_argument("--chunks", type=int, default=10)
ap.add_argument("--batch", type=int, default=256)
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()

x = np.array([-1, -0.6, -0.2, 0.2, 0.6, 1.0])[:, None]        # [P, d]
P, d = x.shape
sw, sb, N = 1.0, 1.0, a.width
multisets = [np.array(list(itertools.combinations_with_replacement(range(P), n))) for n in range(1, 7)]
rng = np.random.default_rng(a.seed)
sums = np.zeros((a.chunks, sum(len(m) for m in multisets)))
per_chunk = a.networks // a.chunks
t0 = time.perf_counter()
for k in range(a.chunks):
    done = 0
    while done < per_chunk:
        B = min(a.batch, per_chunk - done)
        W0 = rng.normal(0, sw / np.sqrt(d), (B, N, d))
        b0 = rng.normal(0, sb, (B, N, 1))
        W1 = rng.normal(0, sw / np.sqrt(N), (B, N))
        b1 = rng.normal(0, sb, (B, 1))
        h = erf(W0 @ x.T + b0)                                   # [B, N, P]
        f = np.einsum("bn,bnp->bp", W1, h) + b1                  # [B, P]
        off = 0
        for m in multisets:
            sums[k, off:off + len(m)] += f[:, m].prod(axis=2).sum(axis=0)
            off += len(m)
        done += B
elapsed = time.perf_counter() - t0
M = per_chunk * a.chunks
G = sums.sum(axis=0) / M
print(f"numpy: N={N} P={P} M={M}: {elapsed:.2f} s, {M * P / elapsed:.4g} network·point evaluations/s, G2[0,0]={G[P]:.5f}")
