#!/usr/bin/env python3
"""Cross-check of `nntheory kernel` and `nntheory ntk` against neural-tangents 0.6.5 (JAX x64, CPU).

Run in the neural-tangents virtual environment from the repository root, after a release build:

    swift build -c release --scratch-path .build-bench --product nntheory
    /work/venvs/nt/bin/python Benchmarks/ntk/crosscheck.py --bin .build-bench/release/nntheory

For every case it prints the normwise relative difference max|a − b| / max|b| and the largest elementwise
relative difference max |a − b| / |b| (b = neural-tangents), and exits non-zero when a case exceeds its
tolerance. All inputs and outputs live in a temporary directory.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import nt_reference as ref  # noqa: E402  (enables JAX x64)


def rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return np.inf, np.inf, f"shape {a.shape} vs {b.shape}"
    diff = np.abs(a - b)
    norm = diff.max() / np.abs(b).max()
    mask = np.abs(b) > 1e-300
    elem = (diff[mask] / np.abs(b[mask])).max() if mask.any() else 0.0
    return norm, elem, ""


ROWS = []


def report(name, a, b, tol):
    norm, elem, why = rel(a, b)
    ok = norm <= tol
    ROWS.append((name, norm, elem, tol, ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name:<64} normwise {norm:.2e}  elementwise {elem:.2e}  (tol {tol:g}) {why}",
          flush=True)


def nntheory(binary, *args):
    r = subprocess.run([binary, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"nntheory {' '.join(args)} failed: {r.stderr.strip()}")


def relu_diagonal(x, param, width=512):
    """K(x, x) and Θ(x, x) of the depth-3 ReLU net in closed form: at ρ = 1 (θ = 0) ReLU maps K → K/2 and
    Θ → Θ/2 exactly (T = K/2, Ṫ = 1/2)."""
    w2, b2 = ref.W_STD ** 2, ref.B_STD ** 2
    K, T, n_in = (x * x).sum(1) / x.shape[1], np.zeros(len(x)), x.shape[1]
    for layer in range(3):
        bias = layer < 2  # the last Dense has no bias (b_std=None)
        if param == "ntk":
            K = w2 * K + (b2 if bias else 0); T = K + w2 * T
        else:
            T = n_in * K + w2 * T + (1 if bias else 0); K = w2 * K + (b2 if bias else 0)
        n_in = width
        if layer < 2:
            K, T = K / 2, T / 2
    return {"nngp": K, "ntk": T}


def ns(**kw):
    return argparse.Namespace(**kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=".build-bench/release/nntheory")
    ap.add_argument("--P1", type=int, default=300)
    ap.add_argument("--P2", type=int, default=200)
    ap.add_argument("--d", type=int, default=10)
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    tmp = tempfile.mkdtemp(prefix="ntk-crosscheck-")
    x1, x2 = os.path.join(tmp, "x1.npy"), os.path.join(tmp, "x2.npy")
    ref.cmd_inputs(ns(P=a.P1, d=a.d, seed=1, out=x1))
    ref.cmd_inputs(ns(P=a.P2, d=a.d, seed=2, out=x2))

    # 1. Analytic NNGP/NTK, closed forms (ReLU, Erf), both parameterisations, x against itself and against x2.
    for act in ("relu", "erf"):
        for param in ("ntk", "standard"):
            for second in (None, x2):
                tag = f"{act}-{param}-{'x1x2' if second else 'x1x1'}"
                nt_dir, me_dir = os.path.join(tmp, "nt-" + tag), os.path.join(tmp, "me-" + tag)
                ref.cmd_analytic(ns(act=act, param=param, x=x1, x2=second, out=nt_dir))
                extra = ["--x2", second] if second else []
                nntheory(binary, "kernel", "--net", ref.spec(act, param), "--x", x1, *extra, "--out", me_dir)
                for k in ("nngp", "ntk"):
                    mine, theirs = np.load(os.path.join(me_dir, k + ".npy")), np.load(os.path.join(nt_dir, k + ".npy"))
                    if second is None and act == "relu":
                        # neural-tangents' ReLU loses ~√ε on the diagonal (arccos of a rounded ρ ≈ 1): compare off the
                        # diagonal here and the diagonal against the exact closed form below.
                        off = ~np.eye(len(mine), dtype=bool)
                        report(f"kernel {k} {tag} off-diagonal", mine[off], theirs[off], 1e-12)
                        exact = relu_diagonal(np.load(x1), param)[k]
                        report(f"kernel {k} {tag} diagonal vs exact ρ=1 closed form", np.diag(mine), exact, 1e-14)
                        norm, elem, _ = rel(np.diag(theirs), exact)
                        print(f"info {'  (neural-tangents diagonal vs exact ρ=1 closed form)':<64} normwise {norm:.2e}  "
                              f"elementwise {elem:.2e}", flush=True)
                    else:
                        report(f"kernel {k} {tag}", mine, theirs, 1e-12)
    # The SPEC exactly as neural-tangents writes it: `Dense(1, W_std=1.5)` without b_std. neural-tangents'
    # default is b_std=None (no bias); see RESULTS.md for nntheory's reading of the same text.
    for param in ("ntk", "standard"):
        tag = f"relu-{param}-literal"
        nt_dir, me_dir = os.path.join(tmp, "nt-" + tag), os.path.join(tmp, "me-" + tag)
        ref.cmd_analytic(ns(act="relu", param=param, x=x1, x2=None, out=nt_dir))
        literal = ref.spec("relu", param).replace(", b_std=None", "")
        nntheory(binary, "kernel", "--net", literal, "--x", x1, "--out", me_dir)
        for k in ("nngp", "ntk"):
            mine, theirs = np.load(os.path.join(me_dir, k + ".npy")), np.load(os.path.join(nt_dir, k + ".npy"))
            off = ~np.eye(len(mine), dtype=bool)
            norm, elem, _ = rel(mine[off], theirs[off])
            diff = mine[off] - theirs[off]
            print(f"info {'kernel ' + k + ' ' + tag + ' off-diagonal (last Dense w/o b_std)':<64} normwise {norm:.2e}  "
                  f"elementwise {elem:.2e}  nntheory − NT in [{diff.min():.15g}, {diff.max():.15g}]", flush=True)

    # 2. tanh: no closed form in either; neural-tangents' ElementwiseNumerical (Gauss–Hermite, deg=100) against
    #    nntheory's Tanh(deg=100) quadrature.
    for param in ("ntk", "standard"):
        tag = f"tanh-{param}-x1x2"
        nt_dir, me_dir = os.path.join(tmp, "nt-" + tag), os.path.join(tmp, "me-" + tag)
        ref.cmd_analytic(ns(act="tanh", param=param, x=x1, x2=x2, out=nt_dir))
        nntheory(binary, "kernel", "--net", ref.spec("tanh", param), "--x", x1, "--x2", x2, "--out", me_dir)
        for k in ("nngp", "ntk"):
            report(f"kernel {k} {tag} (both Gauss-Hermite deg 100)", np.load(os.path.join(me_dir, k + ".npy")),
                   np.load(os.path.join(nt_dir, k + ".npy")), 1e-8)

    # 3. Empirical NTK of a network initialised in JAX, loaded through nntheory's parameter layout.
    for outputs in (1, 3):
        pdir = os.path.join(tmp, f"params-O{outputs}")
        ref.cmd_init(ns(seed=7, d=a.d, width=512, outputs=outputs, out=pdir))
        spec = ref.spec("relu", "ntk", 512, outputs)
        for second in (None, x2):
            for trace in (False, True):
                tag = f"O={outputs} {'x1x2' if second else 'x1x1'} {'trace' if trace else 'full'}"
                nt_dir, me_dir = os.path.join(tmp, "nte"), os.path.join(tmp, "mee")
                ref.cmd_empirical(ns(params=pdir, x=x1, x2=second, trace=trace, implementation=None, out=nt_dir))
                extra = (["--x2", second] if second else []) + (["--trace"] if trace else [])
                nntheory(binary, "ntk", "--net", spec, "--params", pdir, "--x", x1, *extra, "--out", me_dir)
                report(f"empirical ntk {tag}", np.load(os.path.join(me_dir, "ntk.npy")),
                       np.load(os.path.join(nt_dir, "ntk.npy")), 1e-10)
                if not trace and second is None:
                    report(f"outputs f(x1) O={outputs}", np.load(os.path.join(me_dir, "f_x1.npy")),
                           np.load(os.path.join(nt_dir, "f_x1.npy")), 1e-12)

    # 4. Zero pre-activation variance (inputs at the origin, b_std = 0 or None): the ReLU family's φ'(0) = (a + b)/2.
    xz = os.path.join(tmp, "xz.npy")
    np.save(xz, np.array([[0.0] * a.d, np.linspace(-1, 1, a.d), [0.0] * a.d, np.linspace(0.5, -0.3, a.d)]))
    from neural_tangents import stax
    for name, layer in (("Relu", stax.Relu()), ("Abs", stax.Abs()), ("LeakyRelu(0.1)", stax.LeakyRelu(0.1)),
                        ("ABRelu(-0.3, 2)", stax.ABRelu(-0.3, 2.0))):
        for param in ("ntk", "standard"):
            for b in ("0", "None"):
                bs = None if b == "None" else float(b)
                dense = lambda w: stax.Dense(w, W_std=1.5, b_std=bs, parameterization=param)
                _, _, kf = stax.serial(dense(64), layer, dense(64), layer, dense(1))
                k = kf(ref.load(xz), None, ("nngp", "ntk"))
                d = f"Dense(64, W_std=1.5, b_std={b}, parameterization={param})"
                spec = f"{d} {name} {d} {name} Dense(1, W_std=1.5, b_std={b}, parameterization={param})"
                me_dir = os.path.join(tmp, "mez")
                nntheory(binary, "kernel", "--net", spec, "--x", xz, "--out", me_dir)
                for key, theirs in (("nngp", k.nngp), ("ntk", k.ntk)):
                    report(f"zero variance {name} {param} b_std={b} {key}", np.load(os.path.join(me_dir, key + ".npy")),
                           np.asarray(theirs), 1e-10)

    bad = [r for r in ROWS if not r[4]]
    print(f"{len(ROWS) - len(bad)}/{len(ROWS)} cases within tolerance")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
