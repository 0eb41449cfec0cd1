"""CY samples of ``nntheory cy sample`` in cymetric's dataset format (arXiv 2205.13408)."""
from __future__ import annotations

import os
from typing import Dict, Optional

import numpy as np

from .run import Run


def to_cymetric(path: str, val_split: float = 0.1, out: Optional[str] = None) -> Dict[str, np.ndarray]:
    """The sample in directory ``path`` (written by ``nntheory cy sample``) as cymetric's ``dataset.npz`` arrays:
    ``X_train``/``X_val`` = [Re z, Im z] of the points [N, 2D], ``y_train``/``y_val`` = [w, |Omega|^2] [N, 2] (the
    weights normalised as cymetric's, mean(w det g_FS(1)/|Omega|^2) = Vol_K(1)), split as cymetric does (the first
    int((1 - val_split) N) points train) and, when the sample has ``jacobians.npy`` (``--jacobians``),
    ``val_pullbacks`` = J [N_val, n, D]. With ``out``, writes ``out/dataset.npz`` (and copies ``basis.npz`` when the
    run wrote one with ``--cymetric``). The same arrays as ``cy sample --cymetric`` writes."""
    run = Run(path)
    for need in ("points", "weights", "omega2"):
        if need not in run:
            raise ValueError(f"{path}: no {need}.npy; expected a directory written by nntheory cy sample")
    if not 0 < val_split < 1:
        raise ValueError(f"val_split {val_split}; expected a number in (0, 1)")
    z, w, o = run["points"], run["weights"], run["omega2"]
    N = len(w)
    n_train = int((1 - val_split) * N)
    if not 1 <= n_train < N:
        raise ValueError(f"{N} points split {n_train}/{N - n_train}; expected at least one of each")
    X = np.concatenate([z.real, z.imag], axis=1)
    y = np.stack([w, o], axis=1)
    data = {"X_train": X[:n_train], "y_train": y[:n_train], "X_val": X[n_train:], "y_val": y[n_train:]}
    if "jacobians" in run:
        data["val_pullbacks"] = run["jacobians"][n_train:]
    if out is not None:
        os.makedirs(out, exist_ok=True)
        np.savez(os.path.join(out, "dataset.npz"), **data)
        basis = os.path.join(run.path, "cymetric", "basis.npz")
        if os.path.exists(basis):
            with np.load(basis) as b:
                np.savez(os.path.join(out, "basis.npz"), **{k: b[k] for k in b.files})
    return data
