#!/usr/bin/env python3
"""The metric-NTK of a φ-model on a Calabi–Yau in JAX (float64): the side of BENCHMARKS.md's metric-NTK pair
(`nntheory cy ntk`), the same model written out here independently of the repository's code.

    python3 jax_metric_ntk.py --data DIR/cymetric --points 64

φ = Dense(64) GELU ×3 → Dense(1) on x = [Re z, Im z] (standard parameterisation, random weights), ∂∂̄φ from the
real Hessian, A_ij = ¼[(H_{x_i x_j} + H_{y_i y_j}) + i(H_{x_i y_j} − H_{y_i x_j})], g = J A J† with the pullback
Jacobians of the dataset (`val_pullbacks`), its n² real components Re g_aa; Re g_ab, Im g_ab (a < b), their Jacobian
in θ by jax.jacrev (vmapped over points), Θ = 𝒥𝒥ᵀ. Prints the seconds of one evaluation after a compiling one.
"""
import argparse, time
import numpy as np
import jax, jax.numpy as jnp

jax.config.update("jax_enable_x64", True)
ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True, help="a directory with dataset.npz (X_val, val_pullbacks) in cymetric's format")
ap.add_argument("--points", type=int, default=64)
ap.add_argument("--width", type=int, default=64)
a = ap.parse_args()
d = np.load(a.data + "/dataset.npz")
X = jnp.asarray(d["X_val"][: a.points]); J = jnp.asarray(d["val_pullbacks"][: a.points])
P, R = X.shape; n, D = J.shape[1], J.shape[2]
key = jax.random.PRNGKey(0)
sizes = [R, a.width, a.width, a.width, 1]
params = []
for i in range(4):
    key, k1 = jax.random.split(key)
    params.append((jax.random.normal(k1, (sizes[i], sizes[i + 1])) / np.sqrt(sizes[i]), jnp.zeros(sizes[i + 1])))

def phi(params, x):
    for W, b in params[:-1]:
        x = jax.nn.gelu(x @ W + b, approximate=False)
    W, b = params[-1]
    return (x @ W + b)[0]

iu = [(i, j) for i in range(n) for j in range(i, n)]
def components(params, x, jac):
    H = jax.hessian(phi, argnums=1)(params, x)
    A = 0.25 * ((H[:D, :D] + H[D:, D:]) + 1j * (H[:D, D:] - H[D:, :D]))
    g = jac @ A @ jnp.conj(jac).T
    out = []
    for i, j in iu:
        out.append(jnp.real(g[i, j]))
        if j > i:
            out.append(jnp.imag(g[i, j]))
    return jnp.stack(out)

@jax.jit
def ntk(params, X, J):
    jac = jax.vmap(jax.jacrev(components), in_axes=(None, 0, 0))(params, X, J)
    leaves = jax.tree_util.tree_leaves(jac)
    F = jnp.concatenate([l.reshape(P * n * n, -1) for l in leaves], axis=1)
    return F @ F.T

t0 = time.perf_counter(); ntk(params, X, J).block_until_ready(); t1 = time.perf_counter()
K = ntk(params, X, J).block_until_ready(); t2 = time.perf_counter()
print(f"metric-NTK {K.shape} on {P} points: first call (compiling) {t1 - t0:.3f} s, evaluation {t2 - t1:.3f} s")
