#!/usr/bin/env python3
"""Reference benchmark: cyjax's intersection sampler on the Fermat quintic (float64, CPU).

Times, for N points, what cyjax computes for a Monte Carlo sample with weights and FS pullbacks:

    (zs, patch), w = variety.sample_intersect(key, params, N, affine=True, weights=True)
    g, dep = variety.induced_fs(zs, params, patch)        # pulled-back FS metric [N, 3, 3]

Both calls are wrapped in one jax.jit function; the first call (compilation) is timed separately and the best of
--repeat further calls (new keys, block_until_ready) is reported. Prints ONE JSON line.

    /work/venvs/cyjax/bin/python Benchmarks/cy/ref_cyjax_points.py --points 100000
"""
import argparse
import json
import os
import platform
import time

os.environ.setdefault("JAX_ENABLE_X64", "1")
import jax  # noqa: E402
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import cyjax  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--points", type=int, default=100000)
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()

variety = cyjax.Fermat(3)
params = jnp.zeros((0,), dtype=complex)


def run(key):
    (zs, patch), w = variety.sample_intersect(key, params, args.points, affine=True, weights=True)
    g, dep = variety.induced_fs(zs, params, patch)
    return zs, patch, w, g


f = jax.jit(run)
t0 = time.perf_counter()
out = f(jax.random.PRNGKey(args.seed))
jax.block_until_ready(out)
compile_s = time.perf_counter() - t0
times = []
for r in range(args.repeat):
    t0 = time.perf_counter()
    out = f(jax.random.PRNGKey(args.seed + 1 + r))
    jax.block_until_ready(out)
    times.append(time.perf_counter() - t0)
zs, patch, w, g = out
best = min(times)
print(json.dumps(dict(
    bench="cyjax_sample_intersect", variety="fermat-quintic", points=int(zs.shape[0]), repeat=args.repeat,
    first_call_with_compile_s=compile_s, best_s=best, all_s=times, points_per_s=zs.shape[0] / best,
    pullback_shape=list(g.shape), mean_weight=float(jnp.mean(w)), loadavg=os.getloadavg(),
    python=platform.python_version(), jax=jax.__version__, devices=str(jax.devices()))))
