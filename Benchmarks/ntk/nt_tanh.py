#!/usr/bin/env python3
"""neural-tangents' kernels of a depth-3 Tanh network by its default numerical route (ElementwiseNumerical, 2-D
Gauss–Hermite with `deg` nodes per axis), for the side-by-side with `nntheory kernel` (Hermite expansion).

Runs in the neural-tangents virtual environment (see Benchmarks/ntk/RESULTS.md), never in the repository's build:
    /work/venvs/nt/bin/python Benchmarks/ntk/nt_tanh.py --x /tmp/x300.npy --deg 25 --out /tmp/nt-tanh
Network (NTK parameterisation, the issue's): Dense(512, W_std=1.5, b_std=0.05) Tanh ×2, Dense(1, W_std=1.5); the
nntheory SPEC is "Dense(512, W_std=1.5, b_std=0.05) Tanh Dense(512, W_std=1.5, b_std=0.05) Tanh Dense(1, W_std=1.5)".
Writes nngp.npy and ntk.npy (float64) and prints one JSON line: seconds of the jitted kernel_fn call after a warm-up
call (compilation excluded) — the whole process is timed from outside by farm-bench.
"""
import argparse, json, os, time
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import numpy as np
from neural_tangents import stax

ap = argparse.ArgumentParser()
ap.add_argument("--x", required=True)
ap.add_argument("--deg", type=int, default=25, help="nodes per axis (neural-tangents' default 25)")
ap.add_argument("--out", required=True)
a = ap.parse_args()
x = jnp.asarray(np.load(a.x), dtype=jnp.float64)
act = stax.ElementwiseNumerical(jnp.tanh, deg=a.deg)
_, _, kernel_fn = stax.serial(stax.Dense(512, 1.5, 0.05), act, stax.Dense(512, 1.5, 0.05), act, stax.Dense(1, 1.5))
f = jax.jit(lambda x: kernel_fn(x, x, ("nngp", "ntk")))
t0 = time.perf_counter(); k = f(x); jax.block_until_ready(k); first = time.perf_counter() - t0   # compilation + one run
t0 = time.perf_counter(); k = f(x); jax.block_until_ready(k); dt = time.perf_counter() - t0
os.makedirs(a.out, exist_ok=True)
np.save(os.path.join(a.out, "nngp.npy"), np.asarray(k.nngp)); np.save(os.path.join(a.out, "ntk.npy"), np.asarray(k.ntk))
print(json.dumps({"deg": a.deg, "P": int(x.shape[0]), "seconds_warm": dt, "first_call_seconds": first}))
