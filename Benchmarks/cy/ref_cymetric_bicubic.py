#!/usr/bin/env python3
"""Cross-check of product-space weights: cymetric's PointGenerator on nntheory's built-in bicubic
Q = (x0^3+x1^3+x2^3)(y0^3+y1^3+y2^3) + x0^3 y0^3 + x1^3 y1^3 + x2^3 y2^3 in P2 x P2 (Kähler moduli t).

cymetric's hypersurface generator on a product puts the line in the largest factor (here the first) and a fixed
random point in the other, and keeps all 3 roots, so it samples the same mixed FS measure J1 J2^2 as nntheory.
Prints ONE JSON line with Vol_K, Vol_CY (= mean of the weights normalised to the intersection volume, with its
standard error over blocks of 300 points) and kappa, after cymetric's own `prepare_dataset`.

    /work/venvs/cymetric/bin/python Benchmarks/cy/ref_cymetric_bicubic.py --points 30000 --t 1,1
Compare: nntheory cy sample --variety bicubic --kahler 1,1 --points 30000 --out b
"""
import argparse
import json
import logging
import tempfile

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--points", type=int, default=30000)
ap.add_argument("--t", default="1,1")
ap.add_argument("--seed", type=int, default=2021)
args = ap.parse_args()
t = np.array([float(x) for x in args.t.split(",")])

logging.disable(logging.WARNING)
from cymetric.pointgen.pointgen import PointGenerator  # noqa: E402
from cymetric.pointgen.nphelper import prepare_dataset  # noqa: E402

monomials, coefficients = [], []
for i in range(3):
    for j in range(3):
        e = np.zeros(6, dtype=np.int64); e[i] = 3; e[3 + j] = 3
        monomials.append(e); coefficients.append(2.0 if i == j else 1.0)
pg = PointGenerator(np.array(monomials), np.array(coefficients, dtype=np.complex128), t, np.array([2, 2]), verbose=3)
pg._set_seed(args.seed)
with tempfile.TemporaryDirectory() as d:
    kappa = prepare_dataset(pg, args.points, d, val_split=0.0)
    data = np.load(d + "/dataset.npz")
    w = data["y_train"][:, 0]
    nb = len(w) // 300
    blocks = w[: nb * 300].reshape(nb, 300).mean(1)
    print(json.dumps(dict(bench="cymetric_bicubic", t=t.tolist(), points=int(len(w)), kappa=float(kappa),
                          vol_cy=float(w.mean()), vol_cy_err=float(blocks.std(ddof=1) / np.sqrt(nb)),
                          vol_k=float(kappa * w.mean()), vol_k_intersection=float(pg.get_volume_from_intersections(t)))))
