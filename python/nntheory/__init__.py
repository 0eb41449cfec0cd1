"""Python companion of the nntheory command line (pure Python over numpy and matplotlib).

- :func:`load` — any command's output directory as a :class:`Run` (named arrays, JSON summaries, provenance);
- :mod:`nntheory.plots` — matplotlib versions of every SVG the command line writes, with error bars
  (:func:`plot` picks the figure by name);
- :func:`to_neural_tangents` / :func:`from_neural_tangents` — network parameters in neural-tangents' ``stax`` layout;
- :func:`to_cymetric` — a ``cy sample`` directory as cymetric's dataset arrays.
"""
from .cymetric import to_cymetric
from .params import from_neural_tangents, to_neural_tangents
from .run import Run, load, read_json

__version__ = "0.1.0"


def plot(run, name, ax=None, command=None):
    """Redraws figure ``name`` (e.g. ``"drift.svg"`` or ``"drift"``) of ``run`` (a :class:`Run` or a directory)
    with matplotlib; returns the axes. See :mod:`nntheory.plots`."""
    from . import plots
    return plots.plot(run, name, ax=ax, command=command)


__all__ = ["Run", "load", "read_json", "plot", "to_neural_tangents", "from_neural_tangents", "to_cymetric", "__version__"]
