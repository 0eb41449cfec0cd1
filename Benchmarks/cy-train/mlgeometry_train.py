#!/usr/bin/env python3
"""MLGeometry (Douglas–Lakshminarasimhan–Qi, arXiv 2012.04797) k = 4 holomorphic network on the Fermat quintic:
per-epoch seconds and validation σ.

MLGeometry is imported from PYTHONPATH (not vendored here).  It is the TensorFlow release v1.2.2 (TF ≥ 2.16,
Keras 3; the last TensorFlow one: github.com/yidiq7/MLGeometry tag v1.2.2, whose package lives in src/), e.g.
    git --git-dir=<mirror> archive v1.2.2 | tar -x -C /tmp/mlgeometry-v1.2.2
    PYTHONPATH=/tmp/mlgeometry-v1.2.2/src python3 mlgeometry_train.py --points 50000 --val-points 10000 \
        --epochs 50 --threads 2 --out /tmp/mlg-run/summary.json
(main after v2.0.0 is a JAX rewrite with another API; this script does not run it.)

Network, optimiser and loop as in MLGeometry's Guide.ipynb (v1.2.2), "a two-hidden-layer network (k = 4) with 70
and 100 hidden units": Bihomogeneous (z_i z̄_j, upper triangle, real and imaginary parts, zero columns dropped:
25 real inputs) → SquareDense(25, 70, x²) → SquareDense(70, 100, x²) → SquareDense(100, 1) → log; no biases,
weights |N(0, 0.05)|.  Loss mlg.loss.weighted_MAPE (= σ of the batch), Adam() with Keras defaults (lr 0.001),
batch 1000, points from mlg.hypersurface.Hypersurface (n_pairs random lines × 5 intersections each),
tf.data shuffle(N).batch(1000).  MLGeometry is float32/complex64 throughout (hard-coded in tf_dataset.py and
bihomoNN.py; no dtype setting in v1.2.2).

Per epoch, the wall time of the training pass only (the loop over the shuffled batches with GradientTape +
Adam, exactly the Guide's loop; --compiled-step wraps each step in one tf.function instead) is recorded; point
generation, dataset building and the validation σ are outside the timed region.  The validation σ is
MLGeometry's own measure (Guide / training/bihomoNN_train.py cal_total_loss with weighted_MAPE):
    σ = Σ_b (Σ_{i∈b} m_i |1 − η_i|) / Σ_i m_i,   η_i = det g_i / |Ω_i|² / κ_b,
    κ_b = Σ_{i∈b} m_i det g_i / |Ω_i|² / Σ_{i∈b} m_i      (m_i = |Ω_i|² / det g_FS,i, the mass formula)
with κ re-estimated per evaluation batch; --val-batch 0 (default) scores the validation set in one batch,
so κ is the single sample estimate over the whole set (as cymetric's sigma_measure).
tensorflow_probability and matplotlib are imported by MLGeometry/lbfgs.py only (L-BFGS, unused here); when
they are not installed they are replaced by empty stand-in modules so that `import MLGeometry` works.
"""
import argparse, json, os, sys, time, types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _stub_missing(name, attrs=()):
    try:
        __import__(name)
    except ImportError:
        m = types.ModuleType(name)
        for a in attrs:
            sub = types.ModuleType(name + "." + a)
            setattr(m, a, sub)
            sys.modules[name + "." + a] = sub
        sys.modules[name] = m
        return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=50000, help="training points (n_pairs = points / 5)")
    ap.add_argument("--val-points", type=int, default=10000, help="validation points (separate sample)")
    ap.add_argument("--psi", type=float, default=0.0, help="f = Σ z_i^5 + psi z0 z1 z2 z3 z4 (0: Fermat)")
    ap.add_argument("--layers", default="70,100", help="hidden widths after the bihomogeneous layer (70,100: k = 4)")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--val-batch", type=int, default=0, help="batch for σ scoring (0: whole set in one batch)")
    ap.add_argument("--compiled-step", action="store_true", help="one tf.function per training step")
    ap.add_argument("--seed", type=int, default=1234, help="training points and weights")
    ap.add_argument("--val-seed", type=int, default=4321, help="validation points")
    ap.add_argument("--threads", type=int, default=0, help="TF intra/inter-op threads (0: TF default)")
    ap.add_argument("--out", default="", help="summary JSON to write")
    a = ap.parse_args()

    stubbed = [n for n, at in (("tensorflow_probability", ()), ("matplotlib", ("pyplot",))) if _stub_missing(n, at)]
    import numpy as np
    import sympy as sp
    import tensorflow as tf
    if a.threads:
        tf.config.threading.set_intra_op_parallelism_threads(a.threads)
        tf.config.threading.set_inter_op_parallelism_threads(a.threads)
    import keras
    import MLGeometry as mlg
    from MLGeometry import bihomoNN as bnn

    widths = [int(w) for w in a.layers.split(",") if w]
    z = sp.symbols("z0:5")
    f = sum(zi ** 5 for zi in z) + a.psi * z[0] * z[1] * z[2] * z[3] * z[4]

    def make_set(n_points, seed):
        np.random.seed(seed)
        t0 = time.perf_counter()
        hs = mlg.hypersurface.Hypersurface(list(z), f, n_points // 5)
        t1 = time.perf_counter()
        ds = mlg.tf_dataset.generate_dataset(hs)
        t2 = time.perf_counter()
        return hs, ds, t1 - t0, t2 - t1

    hs_tr, ds_tr, gen_tr, build_tr = make_set(a.points, a.seed)
    print(f"train: {hs_tr.n_points} points, solve {gen_tr:.1f} s, dataset {build_tr:.1f} s", flush=True)
    hs_va, ds_va, gen_va, build_va = make_set(a.val_points, a.val_seed)
    print(f"val:   {hs_va.n_points} points, solve {gen_va:.1f} s, dataset {build_va:.1f} s", flush=True)

    np.random.seed(a.seed)
    tf.random.set_seed(a.seed)
    keras.utils.set_random_seed(a.seed)
    train_set = ds_tr.shuffle(hs_tr.n_points, seed=a.seed).batch(a.batch)
    val_set = ds_va.batch(a.val_batch or hs_va.n_points)

    class KahlerPotential(keras.Model):      # Guide.ipynb's Kahler_potential, widths as --layers
        def __init__(self):
            super().__init__()
            self.bihomogeneous = bnn.Bihomogeneous(d=5)
            dims = [25] + widths
            self.hidden = [bnn.SquareDense(dims[i], dims[i + 1], activation=tf.square) for i in range(len(widths))]
            self.last = bnn.SquareDense(dims[-1], 1)

        def call(self, inputs):
            x = self.bihomogeneous(inputs)
            for layer in self.hidden:
                x = layer(x)
            return tf.math.log(self.last(x))

    model = KahlerPotential()

    @tf.function
    def volume_form(points, Omega_Omegabar, mass, restriction):   # as in Guide.ipynb / bihomoNN_train.py
        kahler_metric = mlg.complex_math.complex_hessian(tf.math.real(model(points)), points)
        kahler_metric = tf.matmul(restriction, tf.matmul(kahler_metric, restriction, adjoint_b=True))
        det_g = tf.math.real(tf.linalg.det(kahler_metric))
        weights = mass / tf.reduce_sum(mass)
        factor = tf.reduce_sum(weights * det_g / Omega_Omegabar)
        return det_g / factor

    loss_func = mlg.loss.weighted_MAPE
    optimizer = keras.optimizers.Adam(learning_rate=a.lr)

    def train_step(points, Omega_Omegabar, mass, restriction):
        with tf.GradientTape() as tape:
            det_omega = volume_form(points, Omega_Omegabar, mass, restriction)
            loss = loss_func(Omega_Omegabar, det_omega, mass)
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        return loss

    step = tf.function(train_step) if a.compiled_step else train_step

    def cal_total_loss(dataset, loss_function):           # bihomoNN_train.py / Guide.ipynb
        total_loss = tf.constant(0, dtype=tf.float32)
        total_mass = tf.constant(0, dtype=tf.float32)
        for points, Omega_Omegabar, mass, restriction in dataset:
            det_omega = volume_form(points, Omega_Omegabar, mass, restriction)
            mass_sum = tf.reduce_sum(mass)
            total_loss += loss_function(Omega_Omegabar, det_omega, mass) * mass_sum
            total_mass += mass_sum
        return float((total_loss / total_mass).numpy())

    model(next(iter(val_set))[0])     # build the weights
    sig0 = cal_total_loss(val_set, mlg.loss.weighted_MAPE)
    print(f"epoch 0: sigma_val {sig0:.5f} (initial network, {model.count_params()} parameters)", flush=True)
    secs, sigmas, losses, last_batch_losses = [], [], [], []
    for ep in range(a.epochs):
        t0 = time.perf_counter()
        tot, mtot = 0.0, 0.0
        for points, Omega_Omegabar, mass, restriction in train_set:
            loss = step(points, Omega_Omegabar, mass, restriction)
            ms = float(tf.reduce_sum(mass))        # per-batch host sync, as the Guide's eager loop has anyway
            tot += float(loss) * ms
            mtot += ms
        dt = time.perf_counter() - t0
        s = cal_total_loss(val_set, mlg.loss.weighted_MAPE)
        secs.append(dt)
        sigmas.append(s)
        losses.append(tot / mtot)
        last_batch_losses.append(float(loss))
        print(f"epoch {ep + 1}: train_loss {tot / mtot:.5f}  sigma_val {s:.5f}  {dt:.2f} s", flush=True)

    res = {"tool": "MLGeometry", "mlgeometry_path": os.path.dirname(mlg.__file__),
           "seconds_per_epoch": secs, "sigma": sigmas, "train_loss": losses,
           "train_loss_last_batch": last_batch_losses, "sigma_initial": sig0,
           "point_generation_seconds": {"train_solve": gen_tr, "train_dataset": build_tr,
                                        "val_solve": gen_va, "val_dataset": build_va},
           "settings": {"psi": a.psi, "n_train": int(hs_tr.n_points), "n_val": int(hs_va.n_points),
                        "layers": [25] + widths + [1], "k": 2 ** len(widths), "epochs": a.epochs,
                        "batch": a.batch, "val_batch": a.val_batch or int(hs_va.n_points), "lr": a.lr,
                        "optimizer": "Adam (Keras defaults otherwise)", "loss": "weighted_MAPE",
                        "dtype": "float32/complex64", "compiled_step": a.compiled_step,
                        "seed": a.seed, "val_seed": a.val_seed, "n_params": int(model.count_params()),
                        "tensorflow": tf.__version__, "keras": keras.__version__,
                        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
                        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
                        "stubbed_modules": stubbed}}
    if a.out:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":     # the point generator uses multiprocessing.Pool
    main()
