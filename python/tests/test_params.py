"""Parameters between nntheory's layout and neural-tangents' stax list: the layout checked against an empirical NTK
computed here from the formula, and a round trip that nntheory evaluates to the same kernel."""
import os
import subprocess

import numpy as np
import pytest
from math import erf, pi, sqrt

import nntheory

SPEC = "Dense(8, W_std=1.5, b_std=0.1) Erf Dense(1, W_std=1.2, b_std=0.3)"
X = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [-0.3, 0.5]])
XS = ";".join(",".join(repr(float(v)) for v in row) for row in X)


def ntk_by_hand(params, x):
    """Empirical NTK of f = (1.2/sqrt(N)) phi(z) W2 + 0.3 b2, z = (1.5/sqrt(d)) x W1 + 0.1 b1, phi = erf, as
    the sum over parameters of df/dtheta df/dtheta' (NTK parameterisation, raw N(0,1) parameters)."""
    (W1, b1), _, (W2, b2) = params
    d, N = W1.shape
    z = 1.5 / np.sqrt(d) * x @ W1 + 0.1 * b1
    phi = np.vectorize(erf)(z)
    dphi = 2 / sqrt(pi) * np.exp(-z * z)
    s2 = 1.2 / np.sqrt(N)
    # dW2, db2; then through the hidden layer: df/dz_j = s2 W2_j phi'(z_j), dz_j/dW1 = (1.5/sqrt(d)) x, dz_j/db1 = 0.1
    theta = s2 ** 2 * phi @ phi.T + 0.3 ** 2
    g = s2 * dphi * W2[:, 0]
    theta += (g @ g.T) * (1.5 ** 2 / d * x @ x.T + 0.1 ** 2)
    return theta


def test_layout_matches_the_formula_and_round_trips(cli, nntheory_bin, tmp_path):
    d = cli("ntk", "compute", "--net", SPEC, "--x", XS, "--seed", "7")
    params = nntheory.to_neural_tangents(os.path.join(d, "params"))
    assert [len(p) for p in params] == [2, 0, 2]
    assert params[0][0].shape == (2, 8) and params[0][1].shape == (1, 8) and params[2][0].shape == (8, 1)
    ntk = np.load(os.path.join(d, "ntk.npy"))[:, :, 0, 0]
    assert np.allclose(ntk, ntk_by_hand(params, X), rtol=1e-12, atol=1e-13)
    # Back to nntheory's layout: the same network, the same kernel bit for bit.
    back = str(tmp_path / "back")
    nntheory.from_neural_tangents(params, back)
    e = cli("ntk", "compute", "--net", SPEC, "--x", XS, "--params", back, out="again")
    assert np.array_equal(np.load(os.path.join(e, "ntk.npy")), np.load(os.path.join(d, "ntk.npy")))


def test_bad_parameter_lists_are_refused(tmp_path):
    with pytest.raises(ValueError, match="expected \\(W, b\\)"):
        nntheory.from_neural_tangents([(np.zeros((2, 3)),)], str(tmp_path / "a"))
    with pytest.raises(ValueError, match="non-finite"):
        nntheory.from_neural_tangents([(np.full((2, 3), np.nan), None)], str(tmp_path / "b"))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x.txt").write_text("x")
    with pytest.raises(FileExistsError):
        nntheory.from_neural_tangents([(np.zeros((2, 3)), None)], str(tmp_path / "c"))
