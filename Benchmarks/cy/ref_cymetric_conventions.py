#!/usr/bin/env python3
"""Reference numbers for cymetric's conventions on the Fermat quintic (Kähler modulus t).

For each seed: cymetric's own pipeline `prepare_dataset` (points, weights normalised to the
intersection volume, |Omega|^2, and kappa = Vol_K/Vol_CY from `compute_kappa`) is run into a
temporary folder; then from the saved dataset:

  * Vol_K  = mean(w det g_FS_pb / |Omega|^2)   (cymetric compute_kappa; = 5 t^3 by construction)
  * Vol_CY = mean(w)                          (mean of the normalised weights)
  * kappa  = Vol_K / Vol_CY                   (returned by prepare_dataset)
  * mean raw weight  mean(|Omega|^2 / (3! det g_FS_pb(t=1)))   (= cyjax's compute_vol)
  * sigma of the FS metric: float64 numpy with cymetric's formula on all points, and
    cymetric's TF `sigma_measure(FSModel, X_val, y_val)` (float32) on its validation split
  * cymetric's "Ricci scalar" of the pulled-back FS metric (`ricci_scalar_fn`, float32,
    sign: + g^{ab} d_a dbar_b log det g, i.e. minus the standard one) and `ricci_measure`
    on the first --ricci-points validation points.

Prints ONE JSON line: per-seed values, mean and standard error over seeds, and the within-seed
standard error of the Monte Carlo means (from the sample variance).

    /work/venvs/cymetric/bin/python Benchmarks/cy/ref_cymetric_conventions.py \
        --points 100000 --seeds 1,2,3
"""
import argparse
import json
import os
import pickle
import platform
import tempfile

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--points", type=int, default=100000)
ap.add_argument("--seeds", default="1,2,3")
ap.add_argument("--t", type=float, default=1.0, help="Kähler modulus")
ap.add_argument("--ricci-points", type=int, default=5000)
args = ap.parse_args()

import logging  # noqa: E402
logging.disable(logging.WARNING)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402
from cymetric.pointgen.pointgen import PointGenerator  # noqa: E402
from cymetric.pointgen.nphelper import prepare_dataset, prepare_basis_pickle  # noqa: E402
from cymetric.models.tfhelper import prepare_tf_basis  # noqa: E402
from cymetric.models.fubinistudy import FSModel  # noqa: E402
from cymetric.models.measures import sigma_measure, ricci_scalar_fn, ricci_measure  # noqa: E402

monomials = 5 * np.eye(5, dtype=np.int64)
coefficients = np.ones(5, dtype=np.complex128)


def sem(x):
    x = np.asarray(x, dtype=np.float64)
    return float(np.std(x, ddof=1) / np.sqrt(len(x)))


per_seed = []
for seed in [int(s) for s in args.seeds.split(",")]:
    pg = PointGenerator(monomials, coefficients, np.array([args.t]), np.array([4]), verbose=3)
    pg._set_seed(seed)
    with tempfile.TemporaryDirectory() as d:
        kappa = float(prepare_dataset(pg, args.points, d))
        prepare_basis_pickle(pg, d, kappa)
        data = dict(np.load(os.path.join(d, "dataset.npz")))
        with open(os.path.join(d, "basis.pickle"), "rb") as f:
            basis = pickle.load(f)
    X = np.concatenate([data["X_train"], data["X_val"]])
    y = np.concatenate([data["y_train"], data["y_val"]])
    nc = X.shape[1] // 2
    pts = X[:, :nc] + 1j * X[:, nc:]
    w, om2 = y[:, 0], y[:, 1]
    pbs = pg.pullbacks(pts)
    gfs = pg.fubini_study_metrics(pts)  # with t = kmoduli, 1/pi included
    det = np.real(np.linalg.det(np.einsum("xai,xij,xbj->xab", pbs, gfs, np.conj(pbs))))
    eta = det / om2
    vol_k, vol_cy = np.mean(w * eta), np.mean(w)
    sigma64 = np.mean(w * np.abs(1 - eta * vol_cy / vol_k)) / vol_cy
    # raw (un-normalised) weights as point_weight computes them: |Omega|^2 / (3! det g_FS(t=1))
    gfs1 = pg.fubini_study_metrics(pts, vol_js=np.ones(1))
    det1 = np.real(np.linalg.det(np.einsum("xai,xij,xbj->xab", pbs, gfs1, np.conj(pbs))))
    w_raw = om2 / (6.0 * det1)

    BASIS = prepare_tf_basis(basis)
    model = FSModel(BASIS)
    Xv = tf.cast(data["X_val"], tf.float32)
    yv = tf.cast(data["y_val"], tf.float32)
    sigma_tf = float(sigma_measure(model, Xv, yv))
    nr = min(args.ricci_points, len(Xv))
    R, _ = ricci_scalar_fn(model, Xv[:nr], rdet=True)
    R = R.numpy().astype(np.float64)
    rmeas = float(ricci_measure(model, Xv[:nr], yv[:nr]))
    per_seed.append(dict(
        seed=seed, n=len(w), kappa=kappa, vol_k=float(vol_k), vol_cy=float(vol_cy),
        vol_cy_sem=sem(w), mean_raw_weight=float(np.mean(w_raw)), mean_raw_weight_sem=sem(w_raw),
        norm_factor_w_over_w_raw=float(np.median(w / w_raw)),
        sigma_fs_float64=float(sigma64), sigma_fs_tf_float32_val=sigma_tf, n_val=len(Xv),
        ricci_cym_mean=float(np.mean(R)), ricci_cym_sem=sem(R),
        ricci_cym_weighted_mean=float(np.sum(R * data["y_val"][:nr, 0]) / np.sum(data["y_val"][:nr, 0])),
        ricci_measure_tf=rmeas, n_ricci=nr))

keys = ["kappa", "vol_k", "vol_cy", "mean_raw_weight", "sigma_fs_float64", "sigma_fs_tf_float32_val",
        "ricci_cym_mean", "ricci_measure_tf"]
summary = {k: dict(mean=float(np.mean([p[k] for p in per_seed])),
                   sem_over_seeds=sem([p[k] for p in per_seed]) if len(per_seed) > 1 else None)
           for k in keys}
print(json.dumps(dict(bench="cymetric_conventions", variety="fermat-quintic", t=args.t,
                      points_per_seed=args.points, summary=summary, per_seed=per_seed,
                      tensorflow=tf.__version__, numpy=np.__version__,
                      python=platform.python_version(), cymetric="0.33.1.1a0 (git cdddebc0)")))
