#!/usr/bin/env python3
"""Reference benchmark: cymetric's PointGenerator on the Fermat (or Dwork) quintic.

Times, for N points: point generation (Shiffman–Zelditch lines through P^4, np.roots per
line, joblib), weights (with |Omega|^2), and pullbacks — each as cymetric computes them:

    pg.generate_point_weights(N, omega=True)   # points, weights w_raw, Omega
    pg.pullbacks(points)                       # [N, 3, 5] complex Jacobians

and prints ONE JSON line with the best-of-`--repeat` wall times and points per second.

Run in the cymetric virtual environment (outside the repository), e.g.
    /work/venvs/cymetric/bin/python Benchmarks/cy/ref_cymetric_points.py --points 100000
    /work/venvs/cymetric/bin/python Benchmarks/cy/ref_cymetric_points.py --points 100000 --psi 0.5
Dwork convention: Q = sum z_i^5 - 5 psi prod z_i (psi = 0: Fermat).
"""
import argparse
import json
import os
import platform
import time

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--points", type=int, default=100000)
ap.add_argument("--psi", type=float, default=0.0)
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--seed", type=int, default=2021)
args = ap.parse_args()

import logging  # noqa: E402
logging.disable(logging.WARNING)
from cymetric.pointgen.pointgen import PointGenerator  # noqa: E402

if args.psi == 0.0:
    monomials = 5 * np.eye(5, dtype=np.int64)
    coefficients = np.ones(5, dtype=np.complex128)
else:
    monomials = np.vstack([5 * np.eye(5, dtype=np.int64), np.ones((1, 5), dtype=np.int64)])
    coefficients = np.array([1, 1, 1, 1, 1, -5 * args.psi], dtype=np.complex128)

t0 = time.perf_counter()
pg = PointGenerator(monomials, coefficients, np.ones(1), np.array([4]), verbose=3)
setup_s = time.perf_counter() - t0

runs = []
for r in range(args.repeat):
    pg._set_seed(args.seed + r)
    t0 = time.perf_counter()
    pw = pg.generate_point_weights(args.points, omega=True)
    t1 = time.perf_counter()
    pbs = pg.pullbacks(pw["point"])
    t2 = time.perf_counter()
    n = len(pw)
    qmax = float(np.max(np.abs(pg.cy_condition(pw["point"]))))
    runs.append(dict(n=n, points_weights_omega_s=t1 - t0, pullbacks_s=t2 - t1, total_s=t2 - t0,
                     max_abs_Q=qmax, pullback_shape=list(pbs.shape)))

best = min(runs, key=lambda d: d["total_s"])
print(json.dumps(dict(
    bench="cymetric_pointgen", variety="fermat-quintic" if args.psi == 0 else "dwork-quintic",
    psi=args.psi, points_requested=args.points, points=best["n"], repeat=args.repeat,
    seed=args.seed, joblib_n_jobs="-1 (cymetric default: all cores)", setup_s=setup_s,
    best_total_s=best["total_s"], best_points_weights_omega_s=best["points_weights_omega_s"],
    best_pullbacks_s=best["pullbacks_s"],
    points_per_s=best["n"] / best["total_s"],
    all_total_s=[d["total_s"] for d in runs], max_abs_Q=best["max_abs_Q"],
    loadavg=os.getloadavg(), python=platform.python_version(), numpy=np.__version__,
    cymetric="0.33.1.1a0 (git cdddebc0)")))
