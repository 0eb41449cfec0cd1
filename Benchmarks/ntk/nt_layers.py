#!/usr/bin/env python3
"""neural-tangents reference kernels for the structural layers (residual FanOut/parallel/FanInSum/FanInConcat/Identity,
LayerNorm, Conv 1-D/2-D, Flatten, GlobalAvgPool, AvgPool, graph Aggregate), empirical NTKs of such nets with parameters
initialised in JAX, and the convolutional benchmark (Float64, CPU).

Runs in the virtual environment that holds neural-tangents 0.6.5 (see Benchmarks/ntk/RESULTS.md), never in the
repository's build:
    /work/venvs/nt/bin/python Benchmarks/ntk/nt_layers.py cases --out /work/ntref
    /work/venvs/nt/bin/python Benchmarks/ntk/nt_layers.py cases --extra --only aggregate,aggregate_flat \
        --out /work/ntref
    /usr/bin/time -v /work/venvs/nt/bin/python Benchmarks/ntk/nt_layers.py bench-conv --P 100 --readout flatten
    /usr/bin/time -v /work/venvs/nt/bin/python Benchmarks/ntk/nt_layers.py bench-conv --P 10 --readout gap
    /work/venvs/nt/bin/python Benchmarks/ntk/nt_layers.py empirical-graph --out /work/ntemp
    for c in A B C; do d=/work/ntemp/$c; x2=; [ -f $d/x2.npy ] && x2="--x2 $d/x2.npy"
        nntheory ntk --net "$(cat $d/spec.txt)" --x $d/x1.npy $x2 --params $d/params --out $d/nntheory; done
Subcommands:

  list       the case names and their nntheory SPECs
  cases      [--only a,b] [--extra] [--P1 5] [--P2 3] --out DIR
             for each case writes DIR/<case>/: x1.npy [P1, ...], x2.npy [P2, ...] (numpy default_rng(1) resp. (2)
             standard normal, float64, NHWC / NWC layout: channels last), nngp.npy, ntk.npy [P1, P2] (x1 against x2),
             nngp11.npy, ntk11.npy [P1, P1] (x1 against itself, kernel_fn(x1, None)), spec.txt (the nntheory SPEC) and
             meta.json (input shape, the wall time of neural-tangents' kernel_fn: first jitted call = compile + run,
             then best of 3 runs). All nets end in Dense(1), so the kernels are [P1, P2]. NTK parameterisation unless
             the case says otherwise. --extra adds cases beyond the issue's list (SAME/strided AvgPool with and
             without normalize_edges, CIRCULAR Conv; graph convolution: `aggregate`, `aggregate_flat`); their SPEC
             spelling is a proposal. The graph cases (stax.Aggregate, inputs [P, 6, 3]: 6 nodes, 3 channels) also
             write pattern.npy, the [6, 6] adjacency shared by every point (ring + 0.5 self-loops + chord 0–3 of
             weight 0.7, symmetric), passed to nt as kernel_fn(..., pattern=(A broadcast to [P1, 6, 6], A broadcast
             to [P2, 6, 6])) — (p1, p1) for x1 against itself; meta.json then has a "pattern" entry. nt's Aggregate
             computes z[p, n] = Σ_m A[p, m, n]·h[p, m] (Aᵀh; the transpose of A·h, the same for a symmetric A),
             K' = A₁ᵀ·K·A₂ per pair of points, no normalisation, is_gaussian unchanged, full spatial covariance.
  bench-conv --P 100 [--size 32] [--chans 3] [--depth 5] [--readout flatten|gap] [--repeats 3] [--seed 0]
             CIFAR-like: x [P, size, size, chans] (default_rng(seed) standard normal); net
             serial((Conv(1, (3,3), padding=SAME, W_std=1.4, b_std=0.1), Relu) × depth, Flatten | GlobalAvgPool,
             Dense(1, 1.5)); times jit(kernel_fn)(x, x, ('nngp', 'ntk')): the warm-up call is reported as
             compile_seconds (compilation + one run), then best of `repeats` with block_until_ready. Prints one JSON
             line. Flatten needs only the spatial diagonal (nt picks diagonal_spatial=True); GlobalAvgPool needs the
             full [P, P, H, H', W, W'] covariance (P² (HW)² doubles per array). Run each under /usr/bin/time -v for the
             peak RSS.
  empirical-graph [--case A,B,C|all] [--seed 0] [--P1 N] [--P2 N] [--implementation 1|2|3] --out DIR
             nt.empirical_ntk_fn(apply_fn, trace_axes=(), vmap_axes=0) of branching / convolutional nets (NTK
             parameterisation) whose parameters come from init_fn(jax.random.PRNGKey(seed)). For each case writes
             DIR/<case>/: params/ in nntheory's --params layout (layers numbered depth first through parallel
             branches, branch 0 first, branching layers and nonlinearities included; p{i}_W.npy = Dense
             [fan_in, fan_out] or Conv HWIO [k..., C_in, C_out], p{i}_b.npy [1, C_out] only where b_std is not None:
             the raw N(0,1) draws), x1.npy (default_rng(1) standard normal), x2.npy (default_rng(2), only if P2 > 0),
             ntk.npy [P1, P2, O, O] (x1 against x2, or x1 against itself, nt's x2=None, when P2 = 0), f_x1.npy
             [P1, O] (apply_fn), spec.txt (the nntheory SPEC) and meta.json (the parameter listing, the nntheory
             command, and jacrev_check_rel: max |Θ_jacrev − Θ_nt| / max |Θ_nt| with Θ_jacrev from jax.jacrev of
             apply_fn, independent of nt's empirical module). Cases (default P1, P2):
               A [P, 7, 2] (4, 2): Conv(6, 3, SAME, 1.4, 0.1) Relu FanOut(2) Parallel(Conv(6, 3, SAME, 1.4) Relu,
                 Identity) FanInSum AvgPool(2, stride=2) Flatten Dense(2, 1.5, 0.1) — params p0, p3, p9
               B [P, 5, 4, 2] (3, 0): Conv(4, (3,2), stride=(2,1), CIRCULAR, 1.3, 0.05) LayerNorm Erf
                 Conv(5, (2,2), VALID, 1.2) Relu GlobalAvgPool Dense(1, 1.5) — params p0, p3, p6
               C [P, 3] (5, 0): Dense(8, 1.5, 0.1) FanOut(3) Parallel(Erf, Relu, Identity) FanInConcat
                 Dense(2, 1.2, 0.2) — params p0, p6 (p6_W rows: Erf block, Relu block, Identity block)
             Compare with `nntheory ntk --net "$(cat spec.txt)" --x x1.npy [--x2 x2.npy] --params params --out OUT`
             (OUT/ntk.npy, OUT/f_x1.npy): they agree to ≤ 4.2·10⁻¹⁶ relative (seeds 0 and 5, x1x1 and x1x2).
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
from neural_tangents import stax  # noqa: E402


# ---------------------------------------------------------------------------------------------------------------
# The cases: (input shape without the batch axis, stax net builder, nntheory SPEC)

def _conv1d_net(param="ntk"):
    p = dict(parameterization=param)
    return stax.serial(
        stax.Conv(16, (3,), padding="SAME", W_std=1.4, b_std=0.1, **p), stax.Relu(),
        stax.Conv(16, (3,), strides=(2,), padding="VALID", W_std=1.4, b_std=0.1, **p), stax.Relu(),
        stax.Flatten(), stax.Dense(1, W_std=1.5, **p))


CONV1D_SPEC = ("Conv(16, 3, padding=SAME, W_std=1.4, b_std=0.1) Relu Conv(16, 3, stride=2, padding=VALID, "
               "W_std=1.4, b_std=0.1) Relu Flatten Dense(1, W_std=1.5)")
CONV_STD_SPEC = ("Conv(16, 3, padding=SAME, W_std=1.4, b_std=0.1, parameterization=standard) Relu "
                 "Conv(16, 3, stride=2, padding=VALID, W_std=1.4, b_std=0.1, parameterization=standard) Relu "
                 "Flatten Dense(1, W_std=1.5, parameterization=standard)")

CASES = {
    "res": ((5,), lambda: stax.serial(
        stax.Dense(64, 1.5, 0.05), stax.FanOut(2),
        stax.parallel(stax.serial(stax.Relu(), stax.Dense(64, 1.5, 0.05)), stax.Identity()),
        stax.FanInSum(), stax.Relu(), stax.Dense(1, 1.5)),
        "Dense(64, W_std=1.5, b_std=0.05) FanOut(2) Parallel(Relu Dense(64, W_std=1.5, b_std=0.05), Identity) "
        "FanInSum Relu Dense(1, W_std=1.5)"),
    "concat": ((5,), lambda: stax.serial(
        stax.Dense(64, 1.3, 0.1), stax.FanOut(3), stax.parallel(stax.Erf(), stax.Relu(), stax.Identity()),
        stax.FanInConcat(), stax.Dense(1, 1.2, 0.2)),
        "Dense(64, W_std=1.3, b_std=0.1) FanOut(3) Parallel(Erf, Relu, Identity) FanInConcat "
        "Dense(1, W_std=1.2, b_std=0.2)"),
    "layernorm": ((5,), lambda: stax.serial(
        stax.Dense(64, 1.5, 0.3), stax.LayerNorm(), stax.Relu(), stax.Dense(64, 1.1, 0.1), stax.LayerNorm(),
        stax.Erf(), stax.Dense(1, 1.5)),
        "Dense(64, W_std=1.5, b_std=0.3) LayerNorm Relu Dense(64, W_std=1.1, b_std=0.1) LayerNorm Erf "
        "Dense(1, W_std=1.5)"),
    "conv1d": ((8, 3), lambda: _conv1d_net("ntk"), CONV1D_SPEC),
    "conv1d_gap": ((7, 2), lambda: stax.serial(
        stax.Conv(16, (3,), padding="SAME", W_std=1.4, b_std=0.1), stax.Erf(), stax.AvgPool((2,)),
        stax.Conv(16, (2,), padding="VALID", W_std=1.2), stax.Relu(), stax.GlobalAvgPool(), stax.Dense(1, 1.5)),
        # nt's AvgPool: strides=None means stride 1 (not the window, unlike jax.example_libraries.stax / Keras)
        "Conv(16, 3, padding=SAME, W_std=1.4, b_std=0.1) Erf AvgPool(2) Conv(16, 2, padding=VALID, W_std=1.2) Relu "
        "GlobalAvgPool Dense(1, W_std=1.5)"),
    "conv2d": ((6, 5, 2), lambda: stax.serial(
        stax.Conv(8, (3, 3), padding="SAME", W_std=1.3, b_std=0.05), stax.Relu(), stax.AvgPool((2, 2)),
        stax.Conv(8, (2, 2), strides=(1, 1), padding="VALID", W_std=1.3), stax.Erf(), stax.GlobalAvgPool(),
        stax.Dense(1, 1.5)),
        "Conv(8, (3,3), padding=SAME, W_std=1.3, b_std=0.05) Relu AvgPool((2,2)) Conv(8, (2,2), padding=VALID, "
        "W_std=1.3) Erf GlobalAvgPool Dense(1, W_std=1.5)"),
    "conv2d_flat": ((6, 6, 3), lambda: stax.serial(
        stax.Conv(8, (3, 3), strides=(2, 2), padding="SAME", W_std=1.5, b_std=0.1), stax.Relu(),
        stax.Conv(8, (3, 3), padding="SAME", W_std=1.5, b_std=0.1), stax.Relu(), stax.Flatten(),
        stax.Dense(1, 1.5)),
        "Conv(8, (3,3), stride=(2,2), padding=SAME, W_std=1.5, b_std=0.1) Relu Conv(8, (3,3), padding=SAME, "
        "W_std=1.5, b_std=0.1) Relu Flatten Dense(1, W_std=1.5)"),
    "resconv": ((6, 6, 2), lambda: stax.serial(
        stax.Conv(8, (3, 3), padding="SAME", W_std=1.4, b_std=0.05), stax.FanOut(2),
        stax.parallel(stax.serial(stax.Relu(), stax.Conv(8, (3, 3), padding="SAME", W_std=1.4, b_std=0.05)),
                      stax.Identity()),
        stax.FanInSum(), stax.LayerNorm(), stax.Relu(), stax.GlobalAvgPool(), stax.Dense(1, 1.5)),
        "Conv(8, (3,3), padding=SAME, W_std=1.4, b_std=0.05) FanOut(2) Parallel(Relu Conv(8, (3,3), padding=SAME, "
        "W_std=1.4, b_std=0.05), Identity) FanInSum LayerNorm Relu GlobalAvgPool Dense(1, W_std=1.5)"),
    "conv_std": ((8, 3), lambda: _conv1d_net("standard"), CONV_STD_SPEC),
}

# Beyond the list (--extra): edge handling of SAME pooling, strided pooling, CIRCULAR convolution. The SPEC
# spelling of AvgPool's keywords is a proposal (same keywords as Conv, plus normalize_edges). nt refuses an
# activation after AvgPool of a non-Gaussian input (AvgPool keeps is_gaussian), hence Conv → AvgPool → Relu here.
EXTRA = {
    "pool_same": ((7, 2), lambda: stax.serial(
        stax.Conv(8, (3,), padding="SAME", W_std=1.4, b_std=0.1),
        stax.AvgPool((3,), strides=(2,), padding="SAME"), stax.Relu(), stax.GlobalAvgPool(), stax.Dense(1, 1.5)),
        "Conv(8, 3, padding=SAME, W_std=1.4, b_std=0.1) AvgPool(3, stride=2, padding=SAME) Relu "
        "GlobalAvgPool Dense(1, W_std=1.5)"),
    "pool_same_ne": ((7, 2), lambda: stax.serial(
        stax.Conv(8, (3,), padding="SAME", W_std=1.4, b_std=0.1),
        stax.AvgPool((3,), strides=(2,), padding="SAME", normalize_edges=True), stax.Relu(), stax.GlobalAvgPool(),
        stax.Dense(1, 1.5)),
        "Conv(8, 3, padding=SAME, W_std=1.4, b_std=0.1) AvgPool(3, stride=2, padding=SAME, "
        "normalize_edges=true) Relu GlobalAvgPool Dense(1, W_std=1.5)"),
    "conv_circular": ((5, 4, 2), lambda: stax.serial(
        stax.Conv(8, (3, 2), padding="CIRCULAR", W_std=1.3, b_std=0.1), stax.Relu(),
        stax.Conv(8, (3, 3), strides=(2, 1), padding="CIRCULAR", W_std=1.3, b_std=0.1), stax.Relu(),
        stax.GlobalAvgPool(), stax.Dense(1, 1.5)),
        "Conv(8, (3,2), padding=CIRCULAR, W_std=1.3, b_std=0.1) Relu Conv(8, (3,3), stride=(2,1), "
        "padding=CIRCULAR, W_std=1.3, b_std=0.1) Relu GlobalAvgPool Dense(1, W_std=1.5)"),
}


# Graph convolution (--extra): nt's stax.Aggregate with defaults (aggregate_axis=None = every non-batch, non-channel
# axis; batch_axis=0, channel_axis=-1; implementation DENSE). The adjacency is not a layer parameter but a kwarg of
# apply_fn(params, x, pattern=[P, N, N]) and kernel_fn(x1, x2, get, pattern=(pattern1 [P1, N, N], pattern2 [P2, N, N]))
# (for x2=None: pattern=(pattern1, pattern1)). nt's DENSE formula, with the pattern's FIRST node axis contracted:
#     z[p, n, c] = Σ_m pattern[p, m, n]·h[p, m, c]   (lax.dot_general(h, pattern): pattern[p]ᵀ·h[p] per channel)
#     K'[p1, p2, n, n'] = Σ_{m,m'} pattern1[p1, m, n]·K[p1, p2, m, m']·pattern2[p2, m', n']   (Θ', cov1/2 alike)
# — no normalisation (no degree scaling, no self-loops added), is_gaussian passed through unchanged (a linear map of a
# Gaussian), and it requires the full spatial covariance (diagonal_spatial=False in and out). pattern=(None, None)
# (the default) is the identity. For a symmetric pattern, as here, the transpose does not matter.
# Each case's pattern is one [N, N] matrix shared by every point (broadcast to [P, N, N]); saved as pattern.npy.

def ring_pattern(n=6, self_weight=0.5, chord=((0, 3, 0.7),)):
    """Ring adjacency of n nodes (A[i, i±1 mod n] = 1) + self_weight on the diagonal + symmetric chords (i, j, w)."""
    A = np.zeros((n, n))
    for i in range(n):
        A[i, (i + 1) % n] = A[i, (i - 1) % n] = 1.0
        A[i, i] = self_weight
    for i, j, w in chord:
        A[i, j] = A[j, i] = w
    return A


GRAPH = {
    "aggregate": ((6, 3), lambda: stax.serial(
        stax.Dense(16, W_std=1.5, b_std=0.1), stax.Aggregate(), stax.Relu(),
        stax.Dense(16, W_std=1.3, b_std=0.05), stax.Aggregate(), stax.Erf(), stax.GlobalAvgPool(),
        stax.Dense(1, W_std=1.5)),
        "Dense(16, W_std=1.5, b_std=0.1) Aggregate(pattern=pattern.npy) Relu Dense(16, W_std=1.3, b_std=0.05) "
        "Aggregate(pattern=pattern.npy) Erf GlobalAvgPool Dense(1, W_std=1.5)", ring_pattern),
    "aggregate_flat": ((6, 3), lambda: stax.serial(
        stax.Conv(8, (3,), padding="CIRCULAR", W_std=1.4, b_std=0.1), stax.Aggregate(), stax.Relu(),
        stax.Flatten(), stax.Dense(1, W_std=1.5)),
        "Conv(8, 3, padding=CIRCULAR, W_std=1.4, b_std=0.1) Aggregate(pattern=pattern.npy) Relu Flatten "
        "Dense(1, W_std=1.5)", ring_pattern),
}


def inputs(P, shape, seed):
    return np.random.default_rng(seed).standard_normal((P,) + tuple(shape))


def timed(f, repeats=3):
    """(first call = compile + run, best of `repeats` further calls, result)."""
    t0 = time.perf_counter()
    out = f()
    jax.block_until_ready(out)
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(f())
        times.append(time.perf_counter() - t0)
    return first, min(times) if times else None, out


def diagonal_spatial(kernel_fn):
    """Whether nt propagates only the spatial diagonal (its requirement fold over the net), else full covariance."""
    from neural_tangents._src.stax.requirements import get_req
    return bool(get_req(kernel_fn)["diagonal_spatial"])


def all_cases():
    """name → (shape, build, spec, pattern builder or None)."""
    return {**{k: v + (None,) for k, v in {**CASES, **EXTRA}.items()}, **GRAPH}


def cmd_list(a):
    for name, (shape, _, spec, pat) in all_cases().items():
        print(f"{name}\t[P, {', '.join(map(str, shape))}]\t{spec}" + ("\t(pattern.npy: ring)" if pat else ""))


def cmd_cases(a):
    table = all_cases() if a.extra else {k: v + (None,) for k, v in CASES.items()}
    names = a.only.split(",") if a.only else list(table)
    for name in names:
        shape, build, spec, pattern_fn = all_cases()[name]
        _, _, kernel_fn = build()
        x1 = inputs(a.P1, shape, 1)
        x2 = inputs(a.P2, shape, 2)
        j1, j2 = jnp.asarray(x1), jnp.asarray(x2)
        if pattern_fn is None:
            f12 = jax.jit(lambda u, v: kernel_fn(u, v, ("nngp", "ntk")))
            f11 = jax.jit(lambda u: kernel_fn(u, None, ("nngp", "ntk")))
            first, best, k12 = timed(lambda: f12(j1, j2))
            first11, best11, k11 = timed(lambda: f11(j1))
        else:  # one [N, N] pattern shared by every point, broadcast to [P, N, N]
            A = pattern_fn()
            p1 = jnp.broadcast_to(jnp.asarray(A), (a.P1,) + A.shape)
            p2 = jnp.broadcast_to(jnp.asarray(A), (a.P2,) + A.shape)
            f12 = jax.jit(lambda u, v, q1, q2: kernel_fn(u, v, ("nngp", "ntk"), pattern=(q1, q2)))
            f11 = jax.jit(lambda u, q1: kernel_fn(u, None, ("nngp", "ntk"), pattern=(q1, q1)))
            first, best, k12 = timed(lambda: f12(j1, j2, p1, p2))
            first11, best11, k11 = timed(lambda: f11(j1, p1))
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        np.save(os.path.join(d, "x1.npy"), x1)
        np.save(os.path.join(d, "x2.npy"), x2)
        if pattern_fn is not None:
            np.save(os.path.join(d, "pattern.npy"), A)
        np.save(os.path.join(d, "nngp.npy"), np.asarray(k12.nngp, dtype=np.float64))
        np.save(os.path.join(d, "ntk.npy"), np.asarray(k12.ntk, dtype=np.float64))
        np.save(os.path.join(d, "nngp11.npy"), np.asarray(k11.nngp, dtype=np.float64))
        np.save(os.path.join(d, "ntk11.npy"), np.asarray(k11.ntk, dtype=np.float64))
        with open(os.path.join(d, "spec.txt"), "w") as fh:
            fh.write(spec + "\n")
        meta = {"case": name, "input_shape_x1": list(x1.shape), "input_shape_x2": list(x2.shape),
                "nngp_shape": list(np.shape(k12.nngp)), "diagonal_spatial": diagonal_spatial(kernel_fn),
                "x12_first_call_seconds": first, "x12_best_seconds": best,
                "x11_first_call_seconds": first11, "x11_best_seconds": best11,
                "neural_tangents": __import__("neural_tangents").__version__, "jax": jax.__version__}
        if pattern_fn is not None:
            meta["pattern"] = {"file": "pattern.npy", "shape": list(A.shape), "shared_by_every_point": True,
                               "nt_kwarg": "kernel_fn(x1, x2, get, pattern=(broadcast(A, [P1,N,N]), "
                                           "broadcast(A, [P2,N,N]))); x2=None: pattern=(p1, p1)"}
        with open(os.path.join(d, "meta.json"), "w") as fh:
            json.dump(meta, fh, indent=1)
        print(json.dumps(meta))


def cmd_bench_conv(a):
    layers = []
    for _ in range(a.depth):
        layers += [stax.Conv(1, (3, 3), padding="SAME", W_std=1.4, b_std=0.1), stax.Relu()]
    readout = {"flatten": stax.Flatten, "gap": stax.GlobalAvgPool}[a.readout]()
    _, _, kernel_fn = stax.serial(*layers, readout, stax.Dense(1, 1.5))
    x = jnp.asarray(inputs(a.P, (a.size, a.size, a.chans), a.seed))
    fn = jax.jit(lambda x: kernel_fn(x, x, ("nngp", "ntk")))
    first, best, k = timed(lambda: fn(x), a.repeats)
    print(json.dumps({"case": f"bench-conv-{a.readout}", "P": a.P, "size": a.size, "chans": a.chans,
                      "depth": a.depth, "seconds": best, "compile_seconds": first, "repeats": a.repeats,
                      "diagonal_spatial": diagonal_spatial(kernel_fn), "ntk_trace": float(jnp.trace(k.ntk))}))


# ---------------------------------------------------------------------------------------------------------------
# empirical-graph: nt's EMPIRICAL NTK of branching / convolutional nets with parameters initialised in JAX, saved in
# nntheory's --params layout. A net is a tree: ("serial", [nodes]), ("parallel", [nodes]) or ("leaf", name, layer);
# the stax net is built from it, and its params tree (serial → list of children, parallel → list of branches,
# Dense/Conv → (W, b or None), everything else → ()) is walked alongside it. Only leaves are numbered (serial and
# parallel are not layers of the SPEC), depth first, branch 0 first — nntheory's `Serial.leaves`.

def _ser(*nodes):
    return ("serial", list(nodes))


def _par(*nodes):
    return ("parallel", list(nodes))


def _leaf(name, layer):
    return ("leaf", name, layer)


def build_tree(node):
    if node[0] == "leaf":
        return node[2]
    layers = [build_tree(c) for c in node[1]]
    return stax.serial(*layers) if node[0] == "serial" else stax.parallel(*layers)


def flatten_params(node, params, out=None):
    """[(index, leaf name, params of that leaf)] depth first through the tree, branch 0 first."""
    out = [] if out is None else out
    if node[0] == "leaf":
        out.append((len(out), node[1], params))
        return out
    assert len(node[1]) == len(params), (node[0], len(node[1]), len(params))
    for child, p in zip(node[1], params):
        flatten_params(child, p, out)
    return out


def save_params(node, params, directory):
    """p{i}_W.npy (Dense [fan_in, fan_out], Conv HWIO [k..., C_in, C_out]) and p{i}_b.npy [1, C_out] (bias only)."""
    os.makedirs(directory, exist_ok=True)
    listing = []
    for i, name, p in flatten_params(node, params):
        if p in ((), []) or p is None:
            listing.append({"index": i, "layer": name})
            continue
        W, b = p
        np.save(os.path.join(directory, f"p{i}_W.npy"), np.asarray(W, dtype=np.float64))
        entry = {"index": i, "layer": name, "W": list(np.shape(W))}
        if b is not None:
            np.save(os.path.join(directory, f"p{i}_b.npy"), np.asarray(b, dtype=np.float64).reshape(1, -1))
            entry["b_stored"] = [1, int(np.size(b))]
            entry["b_nt"] = list(np.shape(b))
        listing.append(entry)
    return listing


def _conv(*a, **k):
    return stax.Conv(*a, parameterization="ntk", **k)


EMPIRICAL_GRAPH = {
    # name: (input shape without batch, tree, SPEC, default P1, default P2 (0 = x1 against itself))
    "A": ((7, 2), _ser(
        _leaf("Conv", _conv(6, (3,), padding="SAME", W_std=1.4, b_std=0.1)), _leaf("Relu", stax.Relu()),
        _leaf("FanOut", stax.FanOut(2)),
        _par(_ser(_leaf("Conv", _conv(6, (3,), padding="SAME", W_std=1.4)), _leaf("Relu", stax.Relu())),
             _leaf("Identity", stax.Identity())),
        _leaf("FanInSum", stax.FanInSum()), _leaf("AvgPool", stax.AvgPool((2,), strides=(2,))),
        _leaf("Flatten", stax.Flatten()), _leaf("Dense", stax.Dense(2, W_std=1.5, b_std=0.1))),
        "Conv(6, 3, padding=SAME, W_std=1.4, b_std=0.1) Relu FanOut(2) Parallel(Conv(6, 3, padding=SAME, W_std=1.4) "
        "Relu, Identity) FanInSum AvgPool(2, stride=2) Flatten Dense(2, W_std=1.5, b_std=0.1)", 4, 2),
    "B": ((5, 4, 2), _ser(
        _leaf("Conv", _conv(4, (3, 2), strides=(2, 1), padding="CIRCULAR", W_std=1.3, b_std=0.05)),
        _leaf("LayerNorm", stax.LayerNorm()), _leaf("Erf", stax.Erf()),
        _leaf("Conv", _conv(5, (2, 2), padding="VALID", W_std=1.2)), _leaf("Relu", stax.Relu()),
        _leaf("GlobalAvgPool", stax.GlobalAvgPool()), _leaf("Dense", stax.Dense(1, W_std=1.5))),
        "Conv(4, (3,2), stride=(2,1), padding=CIRCULAR, W_std=1.3, b_std=0.05) LayerNorm Erf Conv(5, (2,2), "
        "padding=VALID, W_std=1.2) Relu GlobalAvgPool Dense(1, W_std=1.5)", 3, 0),
    "C": ((3,), _ser(
        _leaf("Dense", stax.Dense(8, 1.5, 0.1)), _leaf("FanOut", stax.FanOut(3)),
        _par(_leaf("Erf", stax.Erf()), _leaf("Relu", stax.Relu()), _leaf("Identity", stax.Identity())),
        _leaf("FanInConcat", stax.FanInConcat()), _leaf("Dense", stax.Dense(2, 1.2, 0.2))),
        "Dense(8, W_std=1.5, b_std=0.1) FanOut(3) Parallel(Erf, Relu, Identity) FanInConcat "
        "Dense(2, W_std=1.2, b_std=0.2)", 5, 0),
}


def _explicit_ntk(apply_fn, params, x1, x2):
    """Θ_ab(x, x') = Σ_θ ∂f_a(x)/∂θ ∂f_b(x')/∂θ by jax.jacrev of the whole batch (independent of nt's empirical)."""
    def jac(x):
        js = jax.tree_util.tree_leaves(jax.jacrev(lambda p: apply_fn(p, x))(params))
        return [j.reshape(j.shape[:2] + (-1,)) for j in js]  # [P, O, n_leaf]

    j1, j2 = jac(x1), jac(x2)
    return sum(jnp.einsum("iak,jbk->ijab", a, b) for a, b in zip(j1, j2))


def cmd_empirical_graph(a):
    import neural_tangents as nt
    names = list(EMPIRICAL_GRAPH) if a.case == "all" else a.case.split(",")
    for name in names:
        shape, tree, spec, P1_default, P2_default = EMPIRICAL_GRAPH[name]
        P1 = P1_default if a.P1 is None else a.P1
        P2 = P2_default if a.P2 is None else a.P2
        init_fn, apply_fn, _ = build_tree(tree)
        _, params = init_fn(jax.random.PRNGKey(a.seed), (-1,) + tuple(shape))
        x1 = inputs(P1, shape, 1)
        x2 = inputs(P2, shape, 2) if P2 > 0 else None
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        listing = save_params(tree, params, os.path.join(d, "params"))
        np.save(os.path.join(d, "x1.npy"), x1)
        if x2 is not None:
            np.save(os.path.join(d, "x2.npy"), x2)
        kw = {} if a.implementation is None else {"implementation": a.implementation}
        fn = nt.empirical_ntk_fn(apply_fn, trace_axes=(), vmap_axes=0, **kw)
        j1 = jnp.asarray(x1)
        j2 = None if x2 is None else jnp.asarray(x2)
        ntk = np.asarray(fn(j1, j2, params), dtype=np.float64)
        f1 = np.asarray(apply_fn(params, j1), dtype=np.float64)
        np.save(os.path.join(d, "ntk.npy"), ntk)
        np.save(os.path.join(d, "f_x1.npy"), f1)
        with open(os.path.join(d, "spec.txt"), "w") as fh:
            fh.write(spec + "\n")
        check = _explicit_ntk(apply_fn, params, j1, j1 if j2 is None else j2)
        meta = {"case": name, "seed": a.seed, "x1": list(x1.shape), "x2": None if x2 is None else list(x2.shape),
                "ntk": list(ntk.shape), "f_x1": list(f1.shape), "params": listing,
                "implementation": str(a.implementation or "default (JACOBIAN_CONTRACTION)"),
                "jacrev_check_rel": float(np.max(np.abs(np.asarray(check) - ntk)) / np.max(np.abs(ntk))),
                "nntheory": ("nntheory ntk --net \"$(cat spec.txt)\" --x x1.npy "
                             + ("--x2 x2.npy " if x2 is not None else "") + "--params params --out OUT"),
                "neural_tangents": nt.__version__, "jax": jax.__version__}
        with open(os.path.join(d, "meta.json"), "w") as fh:
            json.dump(meta, fh, indent=1)
        print(json.dumps({k: meta[k] for k in ("case", "x1", "x2", "ntk", "jacrev_check_rel")}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    s = sub.add_parser("cases"); s.add_argument("--out", required=True); s.add_argument("--only")
    s.add_argument("--extra", action="store_true"); s.add_argument("--P1", type=int, default=5)
    s.add_argument("--P2", type=int, default=3)
    s = sub.add_parser("bench-conv"); s.add_argument("--P", type=int, default=100); s.add_argument("--size", type=int, default=32)
    s.add_argument("--chans", type=int, default=3); s.add_argument("--depth", type=int, default=5)
    s.add_argument("--readout", choices=("flatten", "gap"), default="flatten")
    s.add_argument("--repeats", type=int, default=3); s.add_argument("--seed", type=int, default=0)
    s = sub.add_parser("empirical-graph"); s.add_argument("--out", required=True)
    s.add_argument("--case", default="all"); s.add_argument("--seed", type=int, default=0)
    s.add_argument("--P1", type=int, default=None); s.add_argument("--P2", type=int, default=None)
    s.add_argument("--implementation", type=int, default=None)
    a = ap.parse_args()
    {"list": cmd_list, "cases": cmd_cases, "bench-conv": cmd_bench_conv,
     "empirical-graph": cmd_empirical_graph}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
