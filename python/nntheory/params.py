"""Network parameters between nntheory's directory layout and neural-tangents' ``stax`` parameter lists.

nntheory stores the parameters of a SPEC network (``ntk compute --params DIR``, ``DIR/params`` of a run) as one pair
of files per Dense layer, at the layer's position i in the SPEC (nonlinearities count, so the Dense layers of
``Dense Erf Dense`` are 0 and 2): ``p{i}_W.npy`` the raw weights W [fan_in, fan_out] and ``p{i}_b.npy`` the raw bias
b [1, fan_out] (absent for ``b_std=None``). In the NTK parameterisation these are the unscaled N(0, 1) draws,
z = (W_std/sqrt(fan_in)) h W + b_std b — the arrays ``stax.serial(...)``'s ``init_fn`` returns, one tuple per layer:
``(W, b)`` for Dense (``b`` of shape (1, fan_out), or None without a bias) and ``()`` for a layer without parameters.
"""
from __future__ import annotations

import os
import re
from typing import List, Sequence, Tuple

import numpy as np

_FILE = re.compile(r"^p(\d+)_(W|b)\.npy$")


def to_neural_tangents(path: str, layers: int | None = None) -> List[Tuple]:
    """The parameters in directory ``path`` as neural-tangents' ``stax`` list: element i is ``(W, b)`` for the Dense
    layer at SPEC position i (``b`` None when it has none) and ``()`` for the other layers. ``layers`` is the SPEC's
    number of layers (default: up to the last Dense layer stored; pass it when the SPEC ends in a nonlinearity)."""
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{path}: not a directory; expected nntheory parameters (p{{i}}_W.npy files)")
    found = {}
    for name in os.listdir(path):
        m = _FILE.match(name)
        if m:
            found.setdefault(int(m.group(1)), {})[m.group(2)] = os.path.join(path, name)
    if not found:
        raise ValueError(f"{path}: no p{{i}}_W.npy files; expected nntheory parameters")
    count = layers if layers is not None else max(found) + 1
    if count <= max(found):
        raise ValueError(f"layers={count}, but {path} holds parameters of layer {max(found)}")
    params: List[Tuple] = []
    for i in range(count):
        files = found.get(i)
        if files is None:
            params.append(())
            continue
        if "W" not in files:
            raise ValueError(f"{path}: p{i}_b.npy without p{i}_W.npy")
        W = np.load(files["W"])
        b = np.load(files["b"]) if "b" in files else None
        if W.ndim != 2 or (b is not None and b.reshape(-1).shape != (W.shape[1],)):
            raise ValueError(f"{path}: layer {i} has W {W.shape} and b {None if b is None else b.shape}; "
                             f"expected W [fan_in, fan_out] and b [1, fan_out]")
        params.append((W, None if b is None else b.reshape(1, -1)))
    return params


def from_neural_tangents(params: Sequence, path: str) -> None:
    """Writes neural-tangents' ``stax`` parameter list ``params`` (per layer ``(W, b)``, ``(W, None)`` or ``()``)
    to directory ``path`` in nntheory's layout, so that ``nntheory ntk compute --params path`` evaluates the same
    network. Refuses a non-empty directory and layers it cannot map (anything but Dense and parameter-free ones)."""
    if os.path.exists(path) and os.listdir(path):
        raise FileExistsError(f"{path} is not empty; expected a new or empty directory")
    writes = []
    for i, layer in enumerate(params):
        layer = tuple(layer) if layer is not None else ()
        if len(layer) == 0:
            continue
        if len(layer) != 2:
            raise ValueError(f"layer {i}: {len(layer)} parameter arrays; expected (W, b) of a Dense layer or ()")
        W, b = layer
        W = np.asarray(W, dtype=np.float64)
        if W.ndim != 2:
            raise ValueError(f"layer {i}: W of shape {W.shape}; expected [fan_in, fan_out]")
        if not np.all(np.isfinite(W)):
            raise ValueError(f"layer {i}: W has non-finite values; expected finite numbers")
        writes.append((f"p{i}_W.npy", W))
        if b is not None:
            b = np.asarray(b, dtype=np.float64).reshape(1, -1)
            if b.shape[1] != W.shape[1] or not np.all(np.isfinite(b)):
                raise ValueError(f"layer {i}: b of shape {b.shape}; expected [1, {W.shape[1]}] finite numbers")
            writes.append((f"p{i}_b.npy", b))
    if not writes:
        raise ValueError("no Dense layer in params; expected at least one (W, b)")
    os.makedirs(path, exist_ok=True)
    for name, a in writes:
        np.save(os.path.join(path, name), a)
