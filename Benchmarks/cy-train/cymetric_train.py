#!/usr/bin/env python3
"""cymetric PhiFSModel (or MultFSModel, --model mult) on the Fermat quintic: per-epoch seconds and validation σ.

cymetric is imported from PYTHONPATH (not vendored here), e.g.
    PYTHONPATH=/tmp/cymetric-src python3 cymetric_train.py --data /tmp/cy-fermat-100k \
        --epochs 16 --batch 64 --mode sigma --out /tmp/cym-run/summary.json

Network and optimiser as in cymetric's notebooks/2.TensorFlow_models.ipynb: 3 × Dense(64, gelu) →
Dense(1, no bias), Adam(lr 0.001), batch 64.  cymetric is float32 throughout (tf.float32 is hard-coded
in its models, losses and callbacks; there is no dtype setting).

--mode sigma      one Keras fit pass per epoch at --batch on the Monge–Ampère loss only
                  (learn_transition = learn_volk = False): the same objective as
                  `nntheory cy train --transition-weight 0`.
--model mult      MultFSModel, g = g_FS ⊙ (1 + H): Dense(9, no bias) readout; in --mode sigma its one pass per
                  epoch trains the Monge–Ampère, Kähler, transition and volume losses together at --batch (the
                  objective of `nntheory cy train --model multiplicative`).
--mode published  cymetric's tfhelper.train_model as in the notebook: per epoch a pass at batch 64 with the
                  Monge–Ampère + transition losses, then a pass at batch min(50000, N) with the MA + volume
                  loss.  Both passes are timed together.
Per epoch, the time of the fit call(s) is recorded (wall clock); the validation σ (cymetric's sigma_measure,
what SigmaCallback reports) is computed after each epoch outside the timed region.
"""
import argparse, json, os, pickle, time
import numpy as np
import tensorflow as tf

tf.get_logger().setLevel("ERROR")
tfk = tf.keras
from cymetric.models.tfhelper import prepare_tf_basis
from cymetric.models.tfmodels import PhiFSModel, MultFSModel
from cymetric.models.metrics import SigmaLoss, TransitionLoss, VolkLoss, TotalLoss
from cymetric.models.measures import sigma_measure

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True, help="directory with dataset.npz and basis.pickle")
ap.add_argument("--points", type=int, default=0, help="use the first N training points (0: all)")
ap.add_argument("--epochs", type=int, default=16)
ap.add_argument("--batch", type=int, default=64)
ap.add_argument("--lr", type=float, default=0.001)
ap.add_argument("--mode", choices=["sigma", "published"], default="sigma")
ap.add_argument("--model", choices=["phi", "mult"], default="phi")
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--out", default="", help="summary.json to write")
a = ap.parse_args()

tf.random.set_seed(a.seed)
np.random.seed(a.seed)
data = dict(np.load(os.path.join(a.data, "dataset.npz")))
if a.points:
    data["X_train"] = data["X_train"][: a.points]
    data["y_train"] = data["y_train"][: a.points]
with open(os.path.join(a.data, "basis.pickle"), "rb") as f:
    BASIS = prepare_tf_basis(pickle.load(f))

n_in = data["X_train"].shape[1]
nn = tfk.Sequential()
nn.add(tfk.Input(shape=(n_in,)))
for _ in range(3):
    nn.add(tfk.layers.Dense(64, activation="gelu"))
nn.add(tfk.layers.Dense(1 if a.model == "phi" else 9, use_bias=False))
model = (PhiFSModel if a.model == "phi" else MultFSModel)(nn, BASIS, alpha=[1.0, 1.0, 1.0, 1.0, 1.0])
opt = tfk.optimizers.Adam(learning_rate=a.lr)
metrics = [TotalLoss(), SigmaLoss(), TransitionLoss(), VolkLoss()]
model.compile(custom_metrics=metrics, optimizer=opt)

Xv = tf.cast(data["X_val"], tf.float32)
yv = tf.cast(data["y_val"], tf.float32)

def val_sigma():
    return float(sigma_measure(model, Xv, yv).numpy())

X, y = data["X_train"], data["y_train"]
sig0 = val_sigma()
print(f"epoch 0: sigma_val {sig0:.5f} (Fubini–Study)", flush=True)
sigmas, secs = [], []
for ep in range(a.epochs):
    t0 = time.perf_counter()
    if a.mode == "sigma" and a.model == "mult":
        model.fit(X, y, epochs=1, batch_size=a.batch, verbose=0)   # every loss (cymetric's defaults), one pass
    elif a.mode == "sigma":
        model.learn_kaehler = tf.cast(False, tf.bool)
        model.learn_transition = tf.cast(False, tf.bool)
        model.learn_volk = tf.cast(False, tf.bool)
        model.fit(X, y, epochs=1, batch_size=a.batch, verbose=0)
    else:
        model.learn_kaehler = tf.cast(False, tf.bool)  # PhiFSModel: always off
        model.learn_transition = tf.cast(True, tf.bool)
        model.learn_volk = tf.cast(False, tf.bool)
        model.fit(X, y, epochs=1, batch_size=a.batch, verbose=0)
        model.learn_transition = tf.cast(False, tf.bool)
        model.learn_volk = tf.cast(True, tf.bool)
        model.fit(X, y, epochs=1, batch_size=min(50000, len(X)), verbose=0)
    dt = time.perf_counter() - t0
    s = val_sigma()
    sigmas.append(s)
    secs.append(dt)
    print(f"epoch {ep + 1}: sigma_val {s:.5f}  {dt:.2f} s", flush=True)

res = {"tool": "cymetric", "model": a.model, "mode": a.mode, "dtype": "float32", "tensorflow": tf.__version__,
       "n_train": int(len(X)), "n_val": int(len(data["X_val"])), "batch": a.batch, "lr": a.lr,
       "epochs": a.epochs, "kappa": float(np.real(BASIS["KAPPA"].numpy())),
       "sigma_fs": sig0, "sigma": sigmas, "epoch_seconds": secs,
       "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
       "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads()}
if a.out:
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    json.dump(res, open(a.out, "w"), indent=1)
