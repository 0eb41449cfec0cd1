"""Every SVG a command writes has a matplotlib version drawn from the run's files: the plotted numbers are the stored
ones, error bars appear where the run stores errors, every series has a legend label, palette colours, markers and
line styles tell series apart, and the axes carry the CLI's labels."""
import numpy as np
import pytest

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402

import nntheory  # noqa: E402
from nntheory import plots  # noqa: E402

DRIFT = ["ntk", "drift", "--net", "Dense(1, W_std=1.5) Erf Dense(1)", "--x", "0,0;0.5,1;1,-0.5", "--widths", "16,32",
         "--networks", "3", "--steps", "20", "--record-every", "10"]
RUNS = {
    "correlators": ["correlators", "--net", "erf", "--widths", "2,5", "--networks", "3000", "--x", "0.1,0.5"],
    "ntk convergence": ["ntk", "convergence", "--net", "Dense(1, W_std=1.5) Relu Dense(1)", "--x", "1,0;0,1",
                        "--widths", "16,64", "--networks", "4"],
    "ntk drift": DRIFT,
    "freefield": ["freefield", "--d", "1", "--cutoff", "5", "--width", "20", "--x", "0,0.5,1", "--networks", "2000"],
    "phi4": ["phi4", "--d", "1", "--cutoff", "3", "--lambda", "0.5,1", "--box", "1", "--width", "6,12", "--x", "0,0.3",
             "--networks", "4000"],
    "train torus": ["train", "torus", "--net", "Dense(8) Tanh Dense(1)", "--init", "u = 0.3*cos(x)", "--points", "64",
                    "--steps", "20", "--eval-grid", "8", "--loss", "ricci2"],
    "cy donaldson": ["cy", "donaldson", "--variety", "quartic-k3", "--k", "1,2", "--points", "3000", "--eval-points", "1000",
                     "--ricci-points", "0"],
    "cy train": ["cy", "train", "--points", "400", "--validation-points", "200", "--batch", "50", "--score-points", "10",
                 "--epochs", "2"],
    "flow torus": ["flow", "torus", "--flow", "heat", "--init", "u = cos(x)", "--grid", "16", "--t-end", "1", "--compare"],
    "flow torus network": ["flow", "torus", "--flow", "network", "--grid", "16", "--widths", "8,16", "--t-end", "0.2",
                           "--step", "0.05"],
    "flow cy": ["flow", "cy", "--widths", "8,16", "--points", "60", "--validation-points", "200", "--steps", "2",
                "--record-every", "1", "--score-points", "5", "--probe-points", "8", "--krf-degrees", "1", "--krf-time",
                "0.05", "--krf-steps", "2", "--krf-points", "300"],
}


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


def svg_facts(path):
    """Legend texts, error-bar segments (coloured 1-px lines) and tick labels of an SVG the command line wrote."""
    import xml.etree.ElementTree as ET
    ns = "{http://www.w3.org/2000/svg}"
    root = ET.parse(path).getroot()
    legend = [g.find(ns + "text").text for g in root.iter(ns + "g") if g.get("class") == "legend"]
    bars = [l for l in root.iter(ns + "line") if l.get("stroke") not in (None, "black") and l.get("stroke-width") == "1"]
    ticks = [t.text for t in root.iter(ns + "text") if t.get("text-anchor") in ("middle", "end")]
    return legend, bars, ticks


@pytest.mark.parametrize("key,with_bars", [("ntk drift", ["drift.svg", "linearization.svg"]), ("cy donaldson", ["sigma.svg"]),
                                           ("freefield", ["propagator.svg"]), ("phi4", ["g4c_vs_lambda.svg", "extrapolation.svg"]),
                                           ("ntk convergence", ["convergence.svg"]), ("flow torus", [])])
def test_command_line_svgs_have_error_bars_labels_and_clean_ticks(cli, key, with_bars):
    run = nntheory.load(cli(*RUNS[key]))
    for svg in run.svgs:
        legend, bars, ticks = svg_facts(f"{run.path}/{svg}")
        assert legend and all(t and t.strip() for t in legend), f"{key} {svg}: legend {legend}"
        if svg in with_bars:
            assert bars, f"{key} {svg}: no error bars although the run stores errors"
        values = []
        for t in ticks:
            try:
                values.append(float(t))
            except (TypeError, ValueError):
                pass
        top = max((abs(v) for v in values), default=0)
        # A tick at the round-off of zero (3.47e-18 beside 0.2) must read 0; log decades are far above that.
        assert all(v == 0 or abs(v) > 1e-13 * top for v in values), f"{key} {svg}: tick labels {ticks}"
