#!/usr/bin/env python3
"""cymetric's sigma_measure of the Fubini–Study metric (its FSModel) on a dataset: the σ-evaluation side of
BENCHMARKS.md's σ-evaluation pair (`nntheory cy sigma --sample DIR --metric fs` on the same points).

    PYTHONPATH=/tmp/cymetric-src python3 cymetric_sigma.py --data /tmp/cy-train-bench/data

cymetric is imported from PYTHONPATH (not vendored here). float32, as cymetric is throughout. Prints σ over the
training and validation points together, and the seconds of the evaluation alone (after a warm-up call).
"""
import argparse, os, pickle, time
import numpy as np
import tensorflow as tf

tf.get_logger().setLevel("ERROR")
from cymetric.models.tfhelper import prepare_tf_basis
from cymetric.models.fubinistudy import FSModel
from cymetric.models.measures import sigma_measure

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True, help="directory with dataset.npz and basis.pickle")
a = ap.parse_args()
data = np.load(os.path.join(a.data, "dataset.npz"))
with open(os.path.join(a.data, "basis.pickle"), "rb") as f:
    BASIS = prepare_tf_basis(pickle.load(f))
X = tf.cast(np.concatenate([data["X_train"], data["X_val"]]), tf.float32)
y = tf.cast(np.concatenate([data["y_train"], data["y_val"]]), tf.float32)
model = FSModel(BASIS)
sigma_measure(model, X[:1000], y[:1000])
t0 = time.perf_counter()
s = float(sigma_measure(model, X, y).numpy())
print(f"sigma {s:.6f} on {X.shape[0]} points, {time.perf_counter() - t0:.3f} s")
