"""The SVGs the command line writes, parsed: a legend label per series, error bars where the run stores errors,
and tick labels that write 0 as 0."""
import pytest

import nntheory
from cli_runs import RUNS


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
                                           ("ntk convergence", ["convergence.svg"]), ("flow torus", []),
                                           ("ntk predict", ["prediction.svg"]), ("ntk montecarlo", ["montecarlo.svg"])])
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
