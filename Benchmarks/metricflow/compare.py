#!/usr/bin/env python3
"""Agreement of two conformal-flow runs: max_x |u_a − u_b| at every saved time, and each run's area drift.

    python3 Benchmarks/metricflow/compare.py DIR_A DIR_B [DIR_REF]

Each DIR holds times.npy [T] and u.npy [T, N, N] (nntheory flow torus, or ricci_radau.py). With DIR_REF (e.g. a
ricci_radau.py run at --rtol 1e-12 --atol 1e-14), both are also measured against it.
"""
import sys

import numpy as np


def load(d):
    return np.load(f"{d}/times.npy"), np.load(f"{d}/u.npy")


def area_drift(u):
    a = np.exp(u).sum(axis=(1, 2))
    return np.abs(a / a[0] - 1)


def row(label, v):
    return f"{label:>22s} " + " ".join(f"{x:.1e}" for x in v)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    (ta, ua), (tb, ub) = load(sys.argv[1]), load(sys.argv[2])
    if ua.shape != ub.shape or np.abs(ta - tb).max() > 1e-12:
        sys.exit(f"different grids or times: {ua.shape} at {ta} against {ub.shape} at {tb}")
    print(row("t", ta))
    d = np.abs(ua - ub).max(axis=(1, 2))
    print(row("max|u_a − u_b|", d))
    print(row("area drift a", area_drift(ua)))
    print(row("area drift b", area_drift(ub)))
    if len(sys.argv) == 4:
        _, ur = load(sys.argv[3])
        print(row("max|u_a − u_ref|", np.abs(ua - ur).max(axis=(1, 2))))
        print(row("max|u_b − u_ref|", np.abs(ub - ur).max(axis=(1, 2))))
    print(f"max over t of max|u_a − u_b| = {d.max():.2e}")


if __name__ == "__main__":
    main()
