"""matplotlib versions of the figures the nntheory command line writes as quick-look SVGs, drawn from the files of
the run (never from the SVG), with error bars wherever the run stores one.

``plot(run, name)`` dispatches on the run's command and the figure name (``"drift"`` or ``"drift.svg"``); each
figure also has its own function (``drift(run, ax)``...). Every function takes a :class:`~nntheory.run.Run` or a
directory and an optional matplotlib axes, and returns the axes.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, Optional, Tuple

import numpy as np

from .run import Run

# Okabe–Ito: distinguishable under the common colour-vision deficiencies; one marker per series as well.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def _style(i: int) -> dict:
    return {"color": PALETTE[i % len(PALETTE)], "marker": MARKERS[i % len(MARKERS)]}


def _axes(ax):
    if ax is None:
        import matplotlib
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        _, ax = plt.subplots(figsize=(6.4, 4.4))
    return ax


def _run(run) -> Run:
    return run if isinstance(run, Run) else Run(run)


def _finish(ax, title: str, xlabel: str, ylabel: str, logx=False, logy=False):
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    ax.grid(True, which="major", alpha=0.3)
    return ax


def _f(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


# correlators -----------------------------------------------------------------------------------------------------
def scaling(run, ax=None):
    """``correlators``: m_n(N) = <|G_exp − G_GP|/G_GP> against width, Monte Carlo, its background and exact."""
    r, ax = _run(run), _axes(ax)
    s = r.summary
    widths = np.array([w["width"] for w in s["widths"]], dtype=float)
    for k, n in enumerate(s["orders"]):
        st = _style(k)
        if s.get("networks", 0) > 0:
            ax.plot(widths, _f(w["deviation"].get(str(n)) for w in s["widths"]), ls="none", label=f"n={n} Monte Carlo", **st)
            bg = _f(w["background"].get(str(n)) for w in s["widths"])
            if np.all(np.isfinite(bg)):
                ax.plot([widths.min(), widths.max()], [bg.mean()] * 2, ls="--", color=st["color"], label=f"n={n} background")
        if s.get("exact_values") == "available":
            ex = _f(w["exact_deviation"].get(str(n)) for w in s["widths"])
            ex[~(ex > 1e-12)] = np.nan
            if np.any(np.isfinite(ex)):
                ax.plot(widths, ex, color=st["color"], label=f"n={n} exact")
    return _finish(ax, f"{s['net']}-net: deviation from the GP, m_n(N)", "width N", "m_n = <|G_exp − G_GP| / G_GP>", True, True)


def quartic_coupling(run, ax=None):
    """``correlators`` with a quartic coupling: |λ_m| against the cutoff, exact and Monte Carlo."""
    r, ax = _run(run), _axes(ax)
    lam = r.summary["lambda"]
    cut = np.array(lam["cutoffs"], dtype=float)
    if lam.get("lambda_exact") is not None:
        ax.plot(cut, np.abs(_f(lam["lambda_exact"])), label="|λ_m| from the exact ΔG4", **_style(0))
    if lam.get("lambda_mc") is not None:
        ax.plot(cut, np.abs(_f(lam["lambda_mc"])), ls="none", label="|λ_m| from the Monte Carlo ΔG4", **_style(1))
    return _finish(ax, f"{r.summary['net']}-net: quartic coupling at N = {lam.get('ngp_width')}", "cutoff Λ", "|λ_m|", True, True)


# NTK -------------------------------------------------------------------------------------------------------------
def convergence(run, ax=None):
    """``ntk convergence``: relative error of the empirical NTK against width, per network and mean ± standard
    error, with the fitted power law and the N^(-1/2) reference."""
    r, ax = _run(run), _axes(ax)
    s = r.summary
    x = np.array([w["width"] for w in s["widths"]], dtype=float)
    errors = np.array([w["errors"] for w in s["widths"]], dtype=float)
    for m in range(errors.shape[1]):
        ax.plot(x, errors[:, m], ls="none", marker=".", color="#999999", label="single networks" if m == 0 else None)
    se = _f(w.get("standard_error") for w in s["widths"])
    ax.errorbar(x, [w["mean"] for w in s["widths"]], yerr=None if np.all(np.isnan(se)) else se, capsize=3,
                label="mean over networks ± s.e.", **_style(0))
    fit = s.get("fit")
    if fit:
        b, a = fit["exponent"], fit["prefactor"]
        eb = fit.get("exponent_error")
        ax.plot(x, a * x ** b, ls="--", color=PALETTE[1], label=f"fit A·N^{b:.3f}" + (f" ± {eb:.3f}" if eb else ""))
        ax.plot(x, a * x[0] ** b * x[0] ** 0.5 * x ** -0.5, ls=":", color=PALETTE[2], label="N^(-1/2)")
    return _finish(ax, "Empirical NTK → analytic NTK", "width N", "‖Θ̂ − Θ‖ / ‖Θ‖", True, True)


def _drift_curves(run, key: str, ylabel: str, title: str, ax):
    r, ax = _run(run), _axes(ax)
    for k, w in enumerate(r.summary["widths"]):
        err = w.get(key + "_error")
        ax.errorbar(w["time"][1:], w[key][1:], yerr=None if err is None else err[1:], capsize=3, label=f"N = {w['width']}", **_style(k))
    return _finish(ax, title, "t = η·step", ylabel, False, True)


def drift(run, ax=None):
    """``ntk drift``: ‖Θ_t − Θ_0‖/‖Θ_0‖ against t per width (± standard error over the networks)."""
    return _drift_curves(run, "drift", "‖Θ_t − Θ_0‖ / ‖Θ_0‖", "NTK drift during gradient descent", ax)


def linearization(run, ax=None):
    """``ntk drift``: the gap ‖f_t − f_t^lin‖/‖f_0 − Y‖ to the linearised network per width."""
    return _drift_curves(run, "gap", "‖f_t − f_t^lin‖ / ‖f_0 − Y‖", "Actual against linearised training", ax)


def prediction(run, ax=None):
    """``ntk predict``: the infinite ensemble's mean ± one standard deviation of output 0 at the last time, per
    regime, against x* (1-D inputs; else against the test point's index), with the training targets."""
    r, ax = _run(run), _axes(ax)
    s = r.summary
    times = s["times"]
    t = times[-1]
    t_label = "∞" if t == "inf" or (isinstance(t, float) and np.isinf(t)) else f"{t:g}"
    x_test = r["x_test"] if "x_test" in r else None
    for i, g in enumerate(s["regimes"]):
        mean = r[g + "_mean"][-1, :, 0]
        cov = r[g + "_covariance"] if g + "_covariance" in r else None
        sd = None if cov is None else np.sqrt(np.clip(np.diagonal(cov[-1]), 0, None))
        x = np.arange(len(mean)) if x_test is None or x_test.shape[1] != 1 else x_test[:, 0]
        ax.errorbar(x, mean, yerr=sd, capsize=3, label=f"{g} mean", **_style(i))
    if "x_train" in r and r["x_train"].shape[1] == 1:
        ax.plot(r["x_train"][:, 0], r["y_train"][:, 0], "o", color=PALETTE[7], label="training targets")
    one_d = x_test is not None and x_test.shape[1] == 1
    return _finish(ax, f"Infinite-ensemble prediction at t = {t_label} (output 0, ± one standard deviation)",
                   "x" if one_d else "test point", "f(x)")


def montecarlo(run, ax=None):
    """``ntk montecarlo``: each distinct kernel entry's Monte Carlo mean ± standard error against the analytic
    infinite-width value the command wrote beside it, with y = x."""
    r, ax = _run(run), _axes(ax)
    s = r.summary
    lo, hi = np.inf, -np.inf
    for i, g in enumerate(("nngp", "ntk")):
        m, se, a = r[g], r[g + "_standard_error"], r[g + "_analytic"]
        iu = np.triu_indices(m.shape[0]) if m.shape[0] == m.shape[1] else tuple(np.indices(m.shape).reshape(2, -1))
        ax.errorbar(a[iu], m[iu], yerr=se[iu] if s["samples"] > 1 else None, ls="none", capsize=3, label=g.upper(), **_style(i))
        lo, hi = min(lo, a[iu].min()), max(hi, a[iu].max())
    ax.plot([lo, hi], [lo, hi], ls="--", color=PALETTE[7], label="y = x")
    return _finish(ax, f"Monte Carlo kernels over {s['samples']} networks against the infinite-width kernels",
                   "analytic kernel entry", "Monte Carlo mean ± standard error")


# Field theory ----------------------------------------------------------------------------------------------------
def _exact_propagator(d: int, m: float, cutoff: float, r: np.ndarray) -> np.ndarray:
    """G_Λ(r) = ∫_{|p|<Λ} d^dp/(2π)^d e^{ipr}/(p² + m²), by 400-point Gauss–Legendre quadrature in p (d = 1, 2, 3);
    for d = 2, J₀(x) = (1/π)∫₀^π cos(x sin τ) dτ by 64-point Gauss–Legendre (a smooth periodic integrand)."""
    p, w = np.polynomial.legendre.leggauss(400)
    p, w = 0.5 * cutoff * (p + 1), 0.5 * cutoff * w
    g = w / (p * p + m * m)
    pr = np.outer(np.asarray(r, dtype=float), p)          # [R, 400]
    if d == 1:
        return (np.cos(pr) @ g) / math.pi
    if d == 2:
        tau, wt = np.polynomial.legendre.leggauss(64)
        tau, wt = 0.5 * math.pi * (tau + 1), 0.5 * wt      # (1/π)·(π/2)·w
        j0 = np.cos(pr[..., None] * np.sin(tau)) @ wt
        return (j0 @ (g * p)) / (2 * math.pi)
    return (np.sinc(pr / math.pi) @ (g * p * p)) / (2 * math.pi ** 2)


def propagator(run, ax=None):
    """``freefield``: the Monte Carlo two-point function (± its standard error) against |x − y| with the exact
    regularised propagator G_Λ."""
    r, ax = _run(run), _axes(ax)
    s = r.summary
    d, m, cut = s["d"], s["mass"], s["cutoff"]
    pts = np.array(s["points"], dtype=float).reshape(len(s["points"]), -1)
    pairs = [(i, j) for i in range(len(pts)) for j in range(i, len(pts))]
    sep = np.array([np.linalg.norm(pts[i] - pts[j]) for i, j in pairs])
    rmax = max(sep.max() if len(sep) else 0, 3 / m)
    grid = rmax * np.arange(201) / 200
    ax.plot(grid, _exact_propagator(d, m, cut, grid), color=PALETTE[0], label="exact G_Λ")
    if "G2" in r:
        G2, E = r["G2"], r["G2_error"] if "G2_error" in r else None
        ax.errorbar(sep, [G2[i, j] for i, j in pairs], yerr=None if E is None else [E[i, j] for i, j in pairs],
                    ls="none", capsize=3, label="Monte Carlo ± s.e.", **_style(1))
    return _finish(ax, f"cos-net propagator, d = {d}, m = {m}, Λ = {cut}, N = {s['width']}", "|x − y|", "G(x − y)")


def g4c_vs_lambda(run, ax=None):
    """``phi4``: the λ-part G4c(λ) − G4c(0) against λ per width (± jackknife error) with the prediction −λV."""
    r, ax = _run(run), _axes(ax)
    s = r.summary
    V = r["vertex"]
    lambdas = np.array(s["lambdas"], dtype=float)
    quads = [((0, 0, 0, 0), "(x1,x1,x1,x1)")] + ([((0, 0, 1, 1), "(x1,x1,x2,x2)")] if V.shape[0] >= 2 else [])
    lmax = max(lambdas.max(), 1e-12)
    grid = np.linspace(0, lmax, 51)
    i = 0
    for q, name in quads:
        ax.plot(grid, -grid * V[q], ls="--", color=PALETTE[i % len(PALETTE)], label=f"−λV {name}")
        i += 1
        if "G4c_lambda_part" in r:
            part, err = r["G4c_lambda_part"], r["G4c_lambda_part_error"]
            for w, N in enumerate(s["widths"]):
                ax.errorbar(lambdas, part[(w, slice(None)) + q], yerr=err[(w, slice(None)) + q], ls="none", capsize=3,
                            label=f"N = {N} {name}", **_style(i))
                i += 1
    return _finish(ax, f"φ⁴ cos-net: λ-part of G4c against λ (d = {s['d']}, Λ = {s['cutoff']}, {s['sampler']})",
                   "λ", "G4c(λ) − G4c(0)")


def extrapolation(run, ax=None):
    """``phi4`` with ≥ 2 widths: the λ-part at (x1,x1,x1,x1) against 1/N (± error), the weighted fit a + b/N and the
    prediction −λV at 1/N = 0."""
    r, ax = _run(run), _axes(ax)
    s = r.summary
    inv = 1 / np.array(s["widths"], dtype=float)
    part, err, V = r["G4c_lambda_part"], r["G4c_lambda_part_error"], r["vertex"][0, 0, 0, 0]
    for l, lam in enumerate(s["lambdas"]):
        st = _style(l)
        y, e = part[:, l, 0, 0, 0, 0], err[:, l, 0, 0, 0, 0]
        ax.errorbar(inv, y, yerr=e, ls="none", capsize=3, label=f"λ = {lam}", **st)
        w = np.where(e > 0, 1 / np.where(e > 0, e, 1) ** 2, 1.0)
        S, Sx, Sy, Sxx, Sxy = w.sum(), (w * inv).sum(), (w * y).sum(), (w * inv * inv).sum(), (w * inv * y).sum()
        det = S * Sxx - Sx * Sx
        a, b = ((Sxx * Sy - Sx * Sxy) / det, (S * Sxy - Sx * Sy) / det) if det > 0 else (Sy / S, 0.0)
        xs = np.concatenate([[0], inv])
        ax.plot(xs, a + b * xs, color=st["color"])
        ax.plot([0], [-lam * V], ls="none", marker="*", markersize=10, color=st["color"])
    return _finish(ax, "λ-part of G4c(x1,x1,x1,x1) against 1/N, with the N → ∞ fit", "1/N", "G4c(λ) − G4c(0)")


# Training --------------------------------------------------------------------------------------------------------
def loss(run, ax=None):
    """``train torus``: the training loss per step (and the init fit before step 0), with ∫R² dV at the snapshots."""
    r, ax = _run(run), _axes(ax)
    c = r.summary["config"]
    if "init_loss" in r:
        L0 = len(r["init_loss"])
        ax.plot(np.arange(L0) - L0, r["init_loss"], color=PALETTE[1], label="init fit (MSE)")
    ax.plot(np.arange(len(r["loss"])), r["loss"], color=PALETTE[0], label=c["loss"])
    if c["loss"] != "scalar2":
        snaps = r.summary.get("snapshots", [])
        ax.plot([q["step"] for q in snaps], [q["scalar2"] for q in snaps], ls="none", label="∫R² dV (eval grid)", **_style(2))
    return _finish(ax, f"{c['loss']} loss, {c['metric']} metric on T^{c['dimension']}", "step", "loss", False, True)


# Calabi–Yau ------------------------------------------------------------------------------------------------------
def sigma(run, ax=None):
    """σ with its error bars: against k for ``cy donaldson``, against the epoch for ``cy train``, against flow time
    for ``flow cy`` (arms at the largest width and the Kähler–Ricci references)."""
    r, ax = _run(run), _axes(ax)
    s = r.summary
    if "degrees" in s:
        k = [g["k"] for g in s["degrees"]]
        ax.errorbar(k, [g["sigma"] for g in s["degrees"]], yerr=[g.get("sigma_error", 0) for g in s["degrees"]],
                    capsize=3, label="σ_k (balanced) ± error", **_style(0))
        ax.errorbar(k, [s["sigma_fs"]] * len(k), yerr=[s.get("sigma_fs_error", 0)] * len(k), ls="--", color=PALETTE[1],
                    capsize=3, label="σ_FS")
        ax.xaxis.get_major_locator().set_params(integer=True)
        return _finish(ax, f"Donaldson balanced metrics on {s['variety']}: σ_k", "k", "σ", False, True)
    if "epochs" in s:
        c = s["provenance"]["config"]
        ax.errorbar(s["epochs"], s["sigma"], yerr=s.get("sigma_error"), capsize=3, label="σ ± jackknife error, neural metric", **_style(0))
        ax.plot(s["epochs"], [s["sigma_fs"]] * len(s["epochs"]), ls="--", color=PALETTE[1], label="σ, Fubini–Study")
        return _finish(ax, f"σ on the validation sample ({s['variety']}, {c['model']}-model, {c['inputs']} inputs)", "epoch", "σ", False, True)
    c = s["provenance"]["config"]
    w = str(c["widths"][-1])
    i = 0
    for arm in c["arms"]:
        if w in s.get("sigma", {}).get(arm, {}):
            ax.errorbar(s["times"], s["sigma"][arm][w], yerr=s["sigma_error"][arm][w], capsize=3, label=f"{arm}, width {w}", **_style(i))
            i += 1
    for ref in s.get("krf", []):
        ax.errorbar(ref["times"], ref["sigma"], yerr=ref.get("sigma_error"), ls="--", capsize=3, label=f"Kähler–Ricci, k = {ref['degree']}", **_style(i))
        i += 1
    return _finish(ax, "σ along the flows", "time t (gradient flow: η·step; Kähler–Ricci: t)", "σ (validation)")


# Metric flows ----------------------------------------------------------------------------------------------------
def modes(run, ax=None):
    """``flow torus``: amplitudes 2|û_k| of the first eight live Fourier modes of u = ln(det g)/n against t."""
    r, ax = _run(run), _axes(ax)
    s = r.summary
    n = s["provenance"]["config"]["dimension"]
    if "u" in r:
        u = r["u"]
    else:
        u = np.log(np.linalg.det(r["metric"])) / n
    T, N = u.shape[0], u.shape[1]
    K = s["mode_wave_vectors"]
    spec = np.fft.fftn(u, axes=tuple(range(1, u.ndim)))
    A = np.array([[2 * abs(spec[(t,) + tuple(k % N for k in kv)]) / N ** n for kv in K] for t in range(T)])
    dev = np.max(np.abs(u.reshape(T, -1) - u.reshape(T, -1).mean(axis=1, keepdims=True)))
    live = [m for m in range(len(K)) if np.any(A[:, m] > 10 * 1e-9 * dev)][:8]
    for c, m in enumerate(live):
        ax.plot(s["times"], A[:, m], label="k = (" + ",".join(str(v) for v in K[m]) + ")", **_style(c))
    flow = s["provenance"]["config"]["flow"]
    return _finish(ax, f"Fourier modes of u = ln(det g)/n along the {flow} flow", "flow time t", "amplitude 2|û_k|", False, True)


def perelman_lambda(run, ax=None):
    """``flow torus``: Perelman's λ(t) and F(g, f_λ) along the flow."""
    r, ax = _run(run), _axes(ax)
    s = r.summary
    flow = s["provenance"]["config"]["flow"]
    ax.plot(s["times"], s["lambda"], label=f"λ, {flow}", **_style(0))
    ax.plot(s["times"], s["F"], ls="--", color=PALETTE[1], label=f"F(g, f_λ), {flow}")
    return _finish(ax, f"Perelman's λ(t) along the {flow} flow", "flow time t", "λ = min spec(−4Δ_g + R)")


def comparison(run, ax=None):
    """``flow torus --compare``: velocity cosine, distances and matched time against the reference Ricci flow."""
    r, ax = _run(run), _axes(ax)
    s = r.summary
    t = np.array(s["times"], dtype=float)
    ax.plot(t, s["velocity_cosine"], label="velocity cosine", **_style(0))
    ax.plot(t, s["distance"], label="distance after time matching", **_style(1))
    ax.plot(t, s["unmatched_distance"], ls="--", label="distance at equal time", **_style(2))
    pos = t > 0
    ax.plot(t[pos], np.array(s["matched_time"], dtype=float)[pos] / t[pos], label="matched time τ(t)/t", **_style(3))
    return _finish(ax, "Against the reference Ricci flow", "flow time t", "cosine, distance, matched time / t")


def ntk_drift(run, ax=None):
    """Kernel drift ‖Θ_t − Θ_0‖/‖Θ_0‖: against t per width (``flow torus``) or at the final time against width
    per arm (``flow cy``)."""
    r, ax = _run(run), _axes(ax)
    s = r.summary
    d = s["ntk_drift"]
    if all(isinstance(v, list) for v in d.values()):
        for k, w in enumerate(sorted(d, key=int)):
            ax.plot(s["times"], d[w], label=f"width {w}", **_style(k))
        return _finish(ax, "NTK drift along training", "flow time t", "‖Θ_t − Θ_0‖/‖Θ_0‖", False, True)
    c = s["provenance"]["config"]
    for i, arm in enumerate(c["arms"]):
        ws = [w for w in c["widths"] if str(w) in d.get(arm, {})]
        ax.plot(ws, [d[arm][str(w)][-1] if d[arm][str(w)] else np.nan for w in ws], label=arm, **_style(i))
    return _finish(ax, "NTK drift at the final time", "hidden width", "‖Θ_t − Θ₀‖_F/‖Θ₀‖_F", True, True)


# Dispatch --------------------------------------------------------------------------------------------------------
FIGURES: Dict[Tuple[Optional[str], str], Callable] = {
    ("correlators", "scaling"): scaling, ("correlators", "lambda"): quartic_coupling,
    ("ntk convergence", "convergence"): convergence,
    ("ntk drift", "drift"): drift, ("ntk drift", "linearization"): linearization,
    ("ntk predict", "prediction"): prediction, ("ntk montecarlo", "montecarlo"): montecarlo,
    ("freefield", "propagator"): propagator,
    ("phi4", "g4c_vs_lambda"): g4c_vs_lambda, ("phi4", "extrapolation"): extrapolation,
    ("train torus", "loss"): loss,
    ("cy donaldson", "sigma"): sigma, ("cy train", "sigma"): sigma, ("flow cy", "sigma"): sigma,
    ("flow cy", "ntk_drift"): ntk_drift,
    ("flow torus", "modes"): modes, ("flow torus", "lambda"): perelman_lambda,
    ("flow torus", "comparison"): comparison, ("flow torus", "ntk_drift"): ntk_drift,
}


def plot(run, name: str, ax=None, command: Optional[str] = None):
    """Figure ``name`` (``"drift"`` or ``"drift.svg"``) of ``run``, redrawn with matplotlib; returns the axes.
    ``command`` names the command that wrote the run when its directory has no manifest (the sections of ``nntheory
    demo``); a figure name that only one command writes needs none."""
    r = _run(run)
    key = name[:-4] if name.endswith(".svg") else name
    command = command or r.command
    if command is None:
        fns = {fn for (c, n), fn in FIGURES.items() if n == key}
        if len(fns) == 1:
            return fns.pop()(r, ax=ax)
    fn = FIGURES.get((command, key))
    if fn is None:
        known = sorted(n for c, n in FIGURES if c == command)
        raise ValueError(f"{name!r}: no figure of that name for command {command!r}; expected one of {', '.join(known) or 'none'}"
                         + ("" if command else " (pass command=... for a directory without .nntheory-run.json)"))
    return fn(r, ax=ax)
