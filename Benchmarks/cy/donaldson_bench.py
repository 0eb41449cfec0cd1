"""Time one Donaldson T-operator step on the Fermat quintic: numpy (BLAS) reference and cyjax.

The step is T(h)_ab = N_k/(N_p Vol_CY) sum_p w_p s_a conj(s_b) / (s^T h conj(s)),  h <- (T^-1)^T
(cy-geometry.md §3.1). Both references use the reduced monomial basis (N_k = 70, 125, 205 at k = 4, 5, 6).

  numpy: given points z [N, 5] and weights w, one step = sections (power tables), psi = rowwise s^T h conj(s)
         (one matmul), T = (S * w/psi)^T conj(S) (one matmul), inverse.  Points are sampled once, outside the timing.
  cyjax: AlgebraicMetric.donaldson_step (jit-compiled; it samples its own points inside the step, so its time
         includes sampling — reported with the sampling time measured separately).

Usage (cyjax's venv has numpy and jax; a peer runs with this machine's OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset,
which otherwise hold a current numpy to older kernels — the JSON line names the kernel family it ran):
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /work/venvs/cyjax/bin/python Benchmarks/cy/donaldson_bench.py \
      --points 100000 --k 4 5 6 [--no-cyjax]
Prints one JSON line per (code, k) with seconds per step (median of --repeat after one warm-up).
"""
import argparse
import itertools
import json
import os
import time

import numpy as np


def openblas_core():
    """The kernel family numpy's OpenBLAS chose (OPENBLAS_CORETYPE overrides it: time peers with it unset)."""
    import ctypes, glob
    base = os.path.dirname(os.path.dirname(np.__file__))
    for lib in glob.glob(os.path.join(base, "scipy_openblas*", "lib", "*.so*")) + glob.glob(os.path.join(base, "numpy.libs", "*openblas*.so*")):
        handle = ctypes.CDLL(lib)
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename64_", "openblas_get_corename"):
            if hasattr(handle, name):
                f = getattr(handle, name)
                f.restype = ctypes.c_char_p
                return f().decode()
    return "unknown"


def fermat_points(n_lines, rng):
    """Shiffman–Zelditch points on sum z^5 = 0 (all 5 roots per line), patch-normalised, with cymetric weights."""
    def sphere(n):
        x = rng.standard_normal((n, 10))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return x[:, :5] + 1j * x[:, 5:]
    p, q = sphere(n_lines), sphere(n_lines)
    binom = np.array([1, 5, 10, 10, 5, 1])
    # coefficient of t^m: sum_i C(5,m) p^(5-m) q^m
    c = np.stack([binom[m] * np.sum(p ** (5 - m) * q ** m, axis=1) for m in range(6)], axis=1)
    comp = np.zeros((n_lines, 5, 5), complex)
    comp[:, 0, :] = -c[:, 4::-1] / c[:, 5:6]
    comp[:, np.arange(1, 5), np.arange(0, 4)] = 1
    t = np.linalg.eigvals(comp)                          # [n, 5]
    z = p[:, None, :] + t[:, :, None] * q[:, None, :]    # [n, 5, 5]
    z = z.reshape(-1, 5)
    big = np.argmax(np.abs(z), axis=1)
    z = z / z[np.arange(len(z)), big][:, None]
    # weights w = 5 |Omega|^2 / det g_FS,pb
    dq = 5 * z ** 4
    dq_masked = np.abs(dq).copy()
    dq_masked[np.arange(len(z)), big] = -1
    dep = np.argmax(dq_masked, axis=1)
    n2 = np.sum(np.abs(z) ** 2, axis=1)
    g = (np.eye(5)[None] / n2[:, None, None] - np.conj(z)[:, :, None] * z[:, None, :] / n2[:, None, None] ** 2) / np.pi
    jac = np.zeros((len(z), 3, 5), complex)
    for i in range(len(z)):
        good = [j for j in range(5) if j != big[i] and j != dep[i]]
        for a, j in enumerate(good):
            jac[i, a, j] = 1
            jac[i, a, dep[i]] = -dq[i, j] / dq[i, dep[i]]
    gp = np.einsum('xai,xij,xbj->xab', jac, g, np.conj(jac))
    det = np.linalg.det(gp).real
    o2 = 1 / np.abs(dq[np.arange(len(z)), dep]) ** 2
    return z, 5 * o2 / det


def reduced_basis(k):
    rows = [e for e in itertools.product(range(k + 1), repeat=5) if sum(e) == k and e[0] < 5]
    return np.array(rows)


def numpy_step(z, w, pows, h):
    maxe = pows.max()
    table = z[:, :, None] ** np.arange(maxe + 1)[None, None, :]          # [N, 5, maxe+1]
    s = np.prod(table[:, np.arange(5)[None, :], pows], axis=2)           # [N, N_k]
    psi = np.einsum('pa,pa->p', s @ h, np.conj(s)).real
    a = s * np.sqrt(w / psi)[:, None]
    t = (a.T @ np.conj(a)) * (len(pows) / np.sum(w))
    return np.linalg.inv(t).T


def timed(f, repeat):
    f()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--points', type=int, default=100_000)
    ap.add_argument('--k', type=int, nargs='+', default=[4, 5, 6])
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--no-cyjax', action='store_true')
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    z, w = fermat_points(args.points // 5, rng)
    for k in args.k:
        pows = reduced_basis(k)
        h = np.eye(len(pows), dtype=complex)
        sec = timed(lambda: numpy_step(z, w, pows, h), args.repeat)
        print(json.dumps({'code': 'numpy', 'k': k, 'sections': len(pows), 'points': len(z), 'seconds_per_step': sec,
                          'threads': os.environ.get('OPENBLAS_NUM_THREADS', 'default'), 'blas_core': openblas_core(),
                          'openblas_coretype_env': os.environ.get('OPENBLAS_CORETYPE')}), flush=True)
    if args.no_cyjax:
        return
    import jax
    jax.config.update('jax_enable_x64', True)
    import jax.numpy as jnp
    import cyjax
    variety = cyjax.Dwork(3)
    params = jnp.array([0.0 + 0j])
    key = jax.random.PRNGKey(0)
    batch = 2000
    batches = max(1, args.points // batch)
    for k in args.k:
        sections = cyjax.donaldson.MonomialBasisReduced(variety, k, params)
        metric = cyjax.donaldson.AlgebraicMetric(variety, sections)
        h = jnp.eye(sections.size, dtype=complex)
        step = jax.jit(lambda key, h: metric.donaldson_step(key, h, params, 1.0, batches, batch))
        sec = timed(lambda: step(key, h).block_until_ready(), args.repeat)
        samp = jax.jit(lambda key: variety.sample_intersect(key, params, batch, affine=True, weights=True))
        ssec = timed(lambda: jax.block_until_ready(samp(key)), args.repeat) * batches
        print(json.dumps({'code': 'cyjax', 'k': k, 'sections': int(sections.size), 'points': batches * batch,
                          'seconds_per_step': sec, 'of_which_sampling_estimate': ssec}), flush=True)


if __name__ == '__main__':
    main()
