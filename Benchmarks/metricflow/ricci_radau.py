#!/usr/bin/env python3
"""Reference 2-D Ricci flow on the square torus [0, 2π)² with scipy's Radau IIA.

Conformal metrics g = e^u δ flow by ∂_t u = e^{-u} Δu. Space is pseudo-spectral (numpy FFT, rfft2/irfft2, Laplacian
multiplier −|k|²) on the N × N grid x_i = 2π i/N (x the first axis, row-major, as nntheory's u.npy); time is
scipy.integrate.solve_ivp(method="Radau", rtol, atol) — what a user would write, with the analytic Jacobian

    J = diag(e^{-u}) L − diag(e^{-u} Δu),

L the dense spectral Laplacian matrix [N², N²] (built once, L = D2 ⊗ I + I ⊗ D2 with D2 the 1-D spectral second
derivative, the same operator as the FFT multiplier). --jac none leaves the Jacobian to Radau's finite differences
(N² right-hand-side calls per Jacobian; only tractable for small grids).

Writes times.npy [T] and u.npy [T, N, N] at t = 0, 1, …, --t-end (t_eval) to --out, and stats.json; prints the wall
time, nfev, njev, nlu, the area drift |A(t)/A(0) − 1| (A = ∫ e^u dx dy, conserved by the flow) and u at t_end.

    python3 Benchmarks/metricflow/ricci_radau.py --grid 64 --t-end 16 --init cos --out /tmp/ricci-scipy
"""
import argparse
import json
import os
import sys
import time

import numpy as np
from numpy.fft import irfft2, rfft2
from scipy.integrate import solve_ivp


def initial_u(spec, x, y):
    """'cos' is u = cos(x); anything else is a numpy expression in x, y (e.g. 'cos(x) + 0.3*sin(2*y)')."""
    if spec == "cos":
        return np.cos(x) + 0 * y
    names = {k: getattr(np, k) for k in ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "pi")}
    return np.broadcast_to(eval(spec, {"__builtins__": {}}, dict(names, x=x, y=y)), x.shape + y.shape[1:]).copy()


def second_derivative_matrix(n):
    """1-D spectral d²/dx² on n points of [0, 2π): columns are irfft(−k² rfft(e_j))."""
    k = np.fft.rfftfreq(n, 1.0 / n)
    return np.fft.irfft(-(k ** 2)[:, None] * np.fft.rfft(np.eye(n), axis=0), n=n, axis=0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--grid", type=int, default=64, help="grid points per dimension N (even)")
    ap.add_argument("--t-end", type=float, default=16.0)
    ap.add_argument("--init", default="cos", help="'cos' (u = cos x) or a numpy expression in x, y")
    ap.add_argument("--rtol", type=float, default=1e-8)
    ap.add_argument("--atol", type=float, default=1e-10)
    ap.add_argument("--jac", choices=("dense", "none"), default="dense",
                    help="dense: the analytic Jacobian as a dense [N², N²] matrix; none: Radau's finite differences")
    ap.add_argument("--out", required=True, help="output directory (created if missing)")
    a = ap.parse_args()
    t_start = time.perf_counter()

    n = a.grid
    if n < 2 or n % 2:
        sys.exit(f"--grid {n}: expected an even number ≥ 2")
    xs = 2 * np.pi * np.arange(n) / n
    x, y = xs[:, None], xs[None, :]
    u0 = initial_u(a.init, x, y)
    kx = np.fft.fftfreq(n, 1.0 / n)
    ky = np.fft.rfftfreq(n, 1.0 / n)
    mult = -(kx[:, None] ** 2 + ky[None, :] ** 2)

    def laplacian(u):
        return irfft2(rfft2(u) * mult, s=(n, n))

    def rhs(t, yv):
        u = yv.reshape(n, n)
        return (np.exp(-u) * laplacian(u)).ravel()

    jac = None
    if a.jac == "dense":
        d2 = second_derivative_matrix(n)
        eye = np.eye(n)
        L = np.kron(d2, eye) + np.kron(eye, d2)  # row-major: flat index i*n + j, x = first axis

        def jac(t, yv):
            u = yv.reshape(n, n)
            w = np.exp(-u)
            J = w.reshape(-1, 1) * L
            J[np.diag_indices_from(J)] -= (w * laplacian(u)).ravel()
            return J

    steps = int(round(a.t_end))
    t_eval = np.linspace(0.0, a.t_end, steps + 1) if steps >= 1 else np.array([0.0, a.t_end])
    t_setup = time.perf_counter()
    sol = solve_ivp(rhs, (0.0, a.t_end), u0.ravel(), method="Radau", t_eval=t_eval, rtol=a.rtol, atol=a.atol,
                    jac=jac)
    t_solve = time.perf_counter()
    if not sol.success:
        sys.exit(f"solve_ivp: {sol.message}")

    us = sol.y.T.reshape(-1, n, n)
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, "times.npy"), sol.t)
    np.save(os.path.join(a.out, "u.npy"), us)
    h2 = (2 * np.pi / n) ** 2
    area = h2 * np.exp(us).sum(axis=(1, 2))
    drift = np.abs(area / area[0] - 1)
    stats = dict(grid=n, t_end=a.t_end, init=a.init, rtol=a.rtol, atol=a.atol, jac=a.jac,
                 setup_s=t_setup - t_start, solve_s=t_solve - t_setup, nfev=int(sol.nfev), njev=int(sol.njev),
                 nlu=int(sol.nlu), area=area.tolist(), area_drift=drift.tolist())
    with open(os.path.join(a.out, "stats.json"), "w") as f:
        json.dump(stats, f, indent=1)

    uT = us[-1]
    print(f"ricci_radau: N = {n}, t = 0…{a.t_end:g}, jac = {a.jac}, rtol {a.rtol:g}, atol {a.atol:g}")
    print(f"  solve_ivp {t_solve - t_setup:.3f} s (set-up {t_setup - t_start:.3f} s); "
          f"nfev {sol.nfev}, njev {sol.njev}, nlu {sol.nlu}")
    print(f"  area A(0) = {area[0]:.12g}; max_t |A(t)/A(0) − 1| = {drift.max():.3e} "
          f"(at t_end {drift[-1]:.3e})")
    print(f"  u(t_end): min {uT.min():.12g}, max {uT.max():.12g}, mean {uT.mean():.12g}, "
          f"max − min {uT.max() - uT.min():.3e}; u[0, 0] = {uT[0, 0]:.12g}")
    print(f"  flat limit log(A(0)/4π²) = {np.log(area[0] / (4 * np.pi ** 2)):.12g}")
    print(f"  → {a.out} (total {time.perf_counter() - t_start:.3f} s)")


if __name__ == "__main__":
    main()
