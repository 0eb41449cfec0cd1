#!/usr/bin/env python3
"""neural-tangents reference computations for the NTK cross-check and benchmarks (Float64, CPU).

Runs in the virtual environment that holds neural-tangents 0.6.5 (see Benchmarks/ntk/RESULTS.md), never in
the repository's build. Subcommands:

  inputs     --P P --d D --seed S --out A.npy                  standard-normal points [P, D] (numpy default_rng)
  analytic   --act relu|erf|tanh --param ntk|standard --x A.npy [--x2 B.npy] --out DIR
             writes nngp.npy, ntk.npy of stax.serial(Dense(512, 1.5, 0.05), act, Dense(512, 1.5, 0.05), act,
             Dense(1, 1.5)) (kernel_fn, x64)
  init       --seed S --d D [--width 512] [--outputs 1] --out DIR
             initialises the width-512 depth-3 ReLU net in JAX and saves its params in nntheory's layout
             (p{i}_W.npy [fan_in, fan_out], p{i}_b.npy [1, fan_out])
  empirical  --params DIR --x A.npy [--x2 B.npy] [--trace] [--implementation N] --out DIR
             nt.empirical_ntk_fn of the same net with those params: trace_axes=() → ntk.npy [P1, P2, O, O];
             --trace → the default trace_axes=(-1,) → [P1, P2]; also f_x1.npy
  predict    --act relu|erf --x-train A.npy --y-train Y.npy --x-test B.npy --times 0,1,inf [--get nngp,ntk]
             [--diag-reg E] [--absolute] --out DIR
             nt.predict.gradient_descent_mse_ensemble (t = inf: predict_fn(t=None), i.e. gp_inference) of the same
             net, compute_cov=True: writes {get}_mean.npy [T, P*, O] and {get}_covariance.npy [T, P*, P*];
             get=ntkgp (t = inf only) through nt.predict.gp_inference
  montecarlo --act relu|erf --x A.npy --samples M [--seed S] [--batch B] --out DIR
             nt.monte_carlo_kernel_fn of the same net (trace_axes=(-1,)): writes nngp.npy, ntk.npy [P, P]; prints one
             JSON line with the seconds of the call (jit compilation included: the function is called once)
  bench-analytic  --act relu|erf --P P [--d 10] [--repeats 3]
  bench-empirical --P P [--d 10] [--repeats 3] [--implementation N]
             time after one warm-up call (compile excluded, its time printed as first_call_s: compilation + one
             run), block_until_ready, best of `repeats`; prints
             one JSON line. Run each case in its own process under /usr/bin/time -v for the peak RSS.

The SPEC of the same nets for nntheory is printed by `spec --act A --param P`.
"""
import argparse
import json
import os
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import neural_tangents as nt  # noqa: E402
from neural_tangents import stax  # noqa: E402

WIDTH, W_STD, B_STD = 512, 1.5, 0.05


def activation(name):
    if name == "relu":
        return stax.Relu()
    if name == "erf":
        return stax.Erf()
    if name == "tanh":
        # No closed form in neural-tangents: its numerical route (Gauss–Hermite quadrature, deg nodes per axis).
        return stax.ElementwiseNumerical(jnp.tanh, deg=100)
    raise SystemExit(f"unknown activation {name!r}, expected relu, erf or tanh")


def network(act="relu", param="ntk", width=WIDTH, outputs=1):
    a = activation(act)
    return stax.serial(
        stax.Dense(width, W_std=W_STD, b_std=B_STD, parameterization=param), a,
        stax.Dense(width, W_std=W_STD, b_std=B_STD, parameterization=param), a,
        stax.Dense(outputs, W_std=W_STD, parameterization=param),
    )


def spec(act="relu", param="ntk", width=WIDTH, outputs=1):
    """The same network in nntheory's SPEC syntax (the last Dense has no bias: neural-tangents' b_std=None)."""
    a = {"relu": "Relu", "erf": "Erf", "tanh": "Tanh(deg=100)"}[act]
    d = f"Dense({width}, W_std={W_STD}, b_std={B_STD}, parameterization={param})"
    return f"{d} {a} {d} {a} Dense({outputs}, W_std={W_STD}, b_std=None, parameterization={param})"


def load(path):
    return jnp.asarray(np.load(path), dtype=jnp.float64)


def cmd_inputs(a):
    x = np.random.default_rng(a.seed).standard_normal((a.P, a.d))
    np.save(a.out, x)


def cmd_analytic(a):
    _, _, kernel_fn = network(a.act, a.param)
    x1 = load(a.x)
    x2 = load(a.x2) if a.x2 else None
    k = jax.jit(kernel_fn, static_argnames="get")(x1, x2, get=("nngp", "ntk"))
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, "nngp.npy"), np.asarray(k.nngp))
    np.save(os.path.join(a.out, "ntk.npy"), np.asarray(k.ntk))


def cmd_init(a):
    init_fn, _, _ = network("relu", "ntk", a.width, a.outputs)
    _, params = init_fn(jax.random.PRNGKey(a.seed), (-1, a.d))
    os.makedirs(a.out, exist_ok=True)
    for i, p in enumerate(params):
        if not p:
            continue  # nonlinearities have no parameters
        W, b = p
        np.save(os.path.join(a.out, f"p{i}_W.npy"), np.asarray(W, dtype=np.float64))
        if b is not None:
            np.save(os.path.join(a.out, f"p{i}_b.npy"), np.asarray(b, dtype=np.float64).reshape(1, -1))


def read_params(directory, d, width, outputs):
    """The stax.serial params tuple from nntheory's layout (Dense layers at positions 0, 2, 4)."""
    init_fn, _, _ = network("relu", "ntk", width, outputs)
    _, template = init_fn(jax.random.PRNGKey(0), (-1, d))
    params = []
    for i, p in enumerate(template):
        if not p:
            params.append(p)
            continue
        W = load(os.path.join(directory, f"p{i}_W.npy"))
        bpath = os.path.join(directory, f"p{i}_b.npy")
        b = load(bpath).reshape(p[1].shape) if p[1] is not None else None
        assert W.shape == p[0].shape, (i, W.shape, p[0].shape)
        params.append((W, b))
    return params


def empirical_fn(apply_fn, trace, implementation):
    kw = {} if implementation is None else {"implementation": implementation}
    trace_axes = (-1,) if trace else ()
    return nt.empirical_ntk_fn(apply_fn, trace_axes=trace_axes, vmap_axes=0, **kw)


def cmd_empirical(a):
    x1 = load(a.x)
    x2 = load(a.x2) if a.x2 else None
    W0 = np.load(os.path.join(a.params, "p0_W.npy"))
    last = np.load(os.path.join(a.params, "p4_W.npy"))
    _, apply_fn, _ = network("relu", "ntk", W0.shape[1], last.shape[1])
    params = read_params(a.params, x1.shape[1], W0.shape[1], last.shape[1])
    fn = jax.jit(empirical_fn(apply_fn, a.trace, a.implementation))
    k = fn(x1, x2, params)
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, "ntk.npy"), np.asarray(k))
    np.save(os.path.join(a.out, "f_x1.npy"), np.asarray(apply_fn(params, x1)))


def cmd_predict(a):
    _, _, kernel_fn = network(a.act, a.param)
    x, y, xt = load(a.x_train), load(a.y_train), load(a.x_test)
    times = [None if t in ("inf", "infinity") else float(t) for t in a.times.split(",")]
    os.makedirs(a.out, exist_ok=True)
    for g in a.get.split(","):
        means, covs = [], []
        for t in times:
            if g == "ntkgp":
                assert t is None, "ntkgp: t = inf only"
                k_dd = kernel_fn(x, None, ("nngp", "ntk"))
                fn = nt.predict.gp_inference(k_dd, y, diag_reg=a.diag_reg, diag_reg_absolute_scale=a.absolute)
                m, c = fn(get="ntkgp", k_test_train=kernel_fn(xt, x, ("nngp", "ntk")), k_test_test=kernel_fn(xt, None, ("nngp", "ntk")))
            else:
                fn = nt.predict.gradient_descent_mse_ensemble(kernel_fn, x, y, diag_reg=a.diag_reg,
                                                              diag_reg_absolute_scale=a.absolute)
                m, c = fn(t=t, x_test=xt, get=g, compute_cov=True)
            means.append(np.asarray(m)); covs.append(np.asarray(c))
        np.save(os.path.join(a.out, f"{g}_mean.npy"), np.stack(means))
        np.save(os.path.join(a.out, f"{g}_covariance.npy"), np.stack(covs))


def cmd_montecarlo(a):
    init_fn, apply_fn, _ = network(a.act, a.param)
    x = load(a.x)
    fn = nt.monte_carlo_kernel_fn(init_fn, apply_fn, jax.random.PRNGKey(a.seed), a.samples, batch_size=a.batch,
                                  device_count=0, implementation=nt.NtkImplementation.STRUCTURED_DERIVATIVES)
    t0 = time.perf_counter()
    k = fn(x, None, ("nngp", "ntk"))
    jax.block_until_ready(k)
    dt = time.perf_counter() - t0
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, "nngp.npy"), np.asarray(k.nngp))
    np.save(os.path.join(a.out, "ntk.npy"), np.asarray(k.ntk))
    print(json.dumps({"case": "montecarlo", "samples": a.samples, "P": int(x.shape[0]), "seconds": dt}))


def best_time(f, repeats):
    """(best warm time, the warm times, the first call's time: jit compilation + one run)."""
    t0 = time.perf_counter()
    jax.block_until_ready(f())  # warm-up: compilation, reported apart
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(f())
        times.append(time.perf_counter() - t0)
    return min(times), times, first


def cmd_bench_analytic(a):
    _, _, kernel_fn = network(a.act, "ntk")
    x = jnp.asarray(np.random.default_rng(a.seed).standard_normal((a.P, a.d)))
    fn = jax.jit(lambda x: kernel_fn(x, None, ("nngp", "ntk")))
    best, times, first = best_time(lambda: fn(x), a.repeats)
    print(json.dumps({"case": f"analytic-{a.act}", "P": a.P, "d": a.d, "best_s": best, "times_s": times,
                      "first_call_s": first}))


def cmd_bench_empirical(a):
    init_fn, apply_fn, _ = network("relu", "ntk")
    _, params = init_fn(jax.random.PRNGKey(a.seed), (-1, a.d))
    x = jnp.asarray(np.random.default_rng(a.seed).standard_normal((a.P, a.d)))
    fn = jax.jit(lambda x, p: empirical_fn(apply_fn, False, a.implementation)(x, None, p))
    best, times, first = best_time(lambda: fn(x, params), a.repeats)
    print(json.dumps({"case": "empirical-relu", "P": a.P, "d": a.d, "implementation": a.implementation,
                      "best_s": best, "times_s": times, "first_call_s": first}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("inputs"); s.add_argument("--P", type=int, required=True); s.add_argument("--d", type=int, default=10)
    s.add_argument("--seed", type=int, default=0); s.add_argument("--out", required=True)
    s = sub.add_parser("spec"); s.add_argument("--act", default="relu"); s.add_argument("--param", default="ntk")
    s.add_argument("--width", type=int, default=WIDTH); s.add_argument("--outputs", type=int, default=1)
    s = sub.add_parser("analytic"); s.add_argument("--act", required=True); s.add_argument("--param", default="ntk")
    s.add_argument("--x", required=True); s.add_argument("--x2"); s.add_argument("--out", required=True)
    s = sub.add_parser("init"); s.add_argument("--seed", type=int, default=0); s.add_argument("--d", type=int, default=10)
    s.add_argument("--width", type=int, default=WIDTH); s.add_argument("--outputs", type=int, default=1)
    s.add_argument("--out", required=True)
    s = sub.add_parser("empirical"); s.add_argument("--params", required=True); s.add_argument("--x", required=True)
    s.add_argument("--x2"); s.add_argument("--trace", action="store_true"); s.add_argument("--out", required=True)
    s.add_argument("--implementation", type=int)
    s = sub.add_parser("predict"); s.add_argument("--act", required=True); s.add_argument("--param", default="ntk")
    s.add_argument("--x-train", required=True); s.add_argument("--y-train", required=True); s.add_argument("--x-test", required=True)
    s.add_argument("--times", default="inf"); s.add_argument("--get", default="nngp,ntk")
    s.add_argument("--diag-reg", type=float, default=0.0); s.add_argument("--absolute", action="store_true")
    s.add_argument("--out", required=True)
    s = sub.add_parser("montecarlo"); s.add_argument("--act", required=True); s.add_argument("--param", default="ntk")
    s.add_argument("--x", required=True); s.add_argument("--samples", type=int, required=True)
    s.add_argument("--seed", type=int, default=0); s.add_argument("--batch", type=int, default=0); s.add_argument("--out", required=True)
    for name in ("bench-analytic", "bench-empirical"):
        s = sub.add_parser(name); s.add_argument("--P", type=int, required=True); s.add_argument("--d", type=int, default=10)
        s.add_argument("--repeats", type=int, default=3); s.add_argument("--seed", type=int, default=0)
        if name == "bench-analytic":
            s.add_argument("--act", required=True)
        else:
            s.add_argument("--implementation", type=int)
    a = ap.parse_args()
    if a.cmd == "spec":
        print(spec(a.act, a.param, a.width, a.outputs))
        return
    {"inputs": cmd_inputs, "analytic": cmd_analytic, "init": cmd_init, "empirical": cmd_empirical, "predict": cmd_predict, "montecarlo": cmd_montecarlo,
     "bench-analytic": cmd_bench_analytic, "bench-empirical": cmd_bench_empirical}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
