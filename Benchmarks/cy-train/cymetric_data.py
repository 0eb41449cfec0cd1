#!/usr/bin/env python3
"""Fermat quintic dataset for cymetric, as in cymetric's notebooks/1.PointGenerator.ipynb.

Run with cymetric on PYTHONPATH (not vendored here), e.g.
    PYTHONPATH=/tmp/cymetric-src python3 cymetric_data.py --points 100000 --out /tmp/cy-fermat
val_split 0.1 → 90 % training, 10 % validation points (100000 → 90000 + 10000).
"""
import argparse, json, os, time
import numpy as np
from cymetric.pointgen.pointgen import PointGenerator

ap = argparse.ArgumentParser()
ap.add_argument("--points", type=int, default=100000, help="total points (train + validation)")
ap.add_argument("--val-split", type=float, default=0.1)
ap.add_argument("--out", required=True)
a = ap.parse_args()

monomials = 5 * np.eye(5, dtype=np.int64)
coefficients = np.ones(5)
kmoduli = np.ones(1)
ambient = np.array([4])
np.random.seed(0)
pg = PointGenerator(monomials, coefficients, kmoduli, ambient)
t0 = time.time()
kappa = pg.prepare_dataset(a.points, a.out, val_split=a.val_split)
pg.prepare_basis(a.out, kappa=kappa)
dt = time.time() - t0
d = np.load(os.path.join(a.out, "dataset.npz"))
info = {"kappa": float(np.real(kappa)), "n_train": int(len(d["X_train"])), "n_val": int(len(d["X_val"])),
        "seconds": dt}
json.dump(info, open(os.path.join(a.out, "data_info.json"), "w"), indent=1)
print(json.dumps(info))
