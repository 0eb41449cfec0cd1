"""Every SVG a command writes has a matplotlib version drawn from the run's files: the plotted numbers are the stored
ones, error bars appear where the run stores errors, every series has a legend label, palette colours, markers and
line styles tell series apart, and the axes carry the CLI's labels."""
import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is not installed: the figures cannot be drawn")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402

import nntheory  # noqa: E402
from nntheory import plots  # noqa: E402

from cli_runs import DRIFT, RUNS  # noqa: E402



def check_axes(ax, name):
    lines = [l for l in ax.get_lines() if l.get_label() and not l.get_label().startswith("_")]
    containers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert lines or containers, f"{name}: nothing drawn"
    handles, labels = ax.get_legend_handles_labels()
    assert labels and all(labels), f"{name}: series without a legend label"
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title(), f"{name}: unlabelled axes"
    styles = [tuple(getattr(h, f, lambda: None)() for f in ("get_color", "get_marker", "get_linestyle"))
              for h in (c.lines[0] if isinstance(c, ErrorbarContainer) else c for c in handles)]
    assert len(set(styles)) == len(styles), f"{name}: two series share colour, marker and line style: {labels}"


@pytest.mark.parametrize("key", sorted(RUNS))
def test_every_svg_has_a_matplotlib_version(cli, key):
    run = nntheory.load(cli(*RUNS[key]))
    assert run.svgs, f"{key}: the command wrote no SVG"
    for svg in run.svgs:
        fig, ax = plt.subplots()
        nntheory.plot(run, svg, ax=ax)
        check_axes(ax, f"{key} {svg}")
        plt.close(fig)


def test_drift_plots_the_stored_curves_with_error_bars(cli):
    run = nntheory.load(cli(*DRIFT))
    ax = plots.drift(run)
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 2
    for c, w in zip(bars, run.summary["widths"]):
        x, y = c.lines[0].get_data()
        assert np.array_equal(x, w["time"][1:]) and np.array_equal(y, w["drift"][1:])
        assert c.has_yerr
    assert ax.get_yscale() == "log"


def test_donaldson_sigma_has_its_error_bars(cli):
    run = nntheory.load(cli(*RUNS["cy donaldson"]))
    ax = plots.sigma(run)
    c = ax.containers[0]
    _, y = c.lines[0].get_data()
    assert np.array_equal(y, [g["sigma"] for g in run.summary["degrees"]])
    seg = c.lines[2][0].get_segments()
    assert np.allclose([s[1][1] - s[0][1] for s in seg], [2 * g["sigma_error"] for g in run.summary["degrees"]], rtol=1e-12)


def test_modes_are_the_fourier_amplitudes_of_u(cli):
    """The first mode's amplitude at t = 0 for u = cos x is 2|û_(1,0)| = 1 (exactly, on any grid)."""
    run = nntheory.load(cli(*RUNS["flow torus"]))
    ax = plots.modes(run)
    first = [l for l in ax.get_lines() if l.get_label() == "k = (1,0)"]
    assert first and abs(first[0].get_ydata()[0] - 1) < 1e-12


def test_propagator_curve_is_the_exact_two_point_function(cli):
    """The exact curve at the points' separations equals exact_G2.npy (quadrature here against the CLI's)."""
    run = nntheory.load(cli(*RUNS["freefield"]))
    s = run.summary
    x = np.array(s["points"], dtype=float).reshape(-1)
    r = np.abs(x[:, None] - x[None, :])
    g = plots._exact_propagator(s["d"], s["mass"], s["cutoff"], r.reshape(-1)).reshape(r.shape)
    assert np.allclose(g, run["exact_G2"], rtol=1e-9, atol=1e-12)


def test_unknown_figure_names_are_refused(cli):
    run = nntheory.load(cli(*DRIFT))
    with pytest.raises(ValueError, match="expected one of drift, linearization"):
        nntheory.plot(run, "scaling.svg")

