"""One output directory of the nntheory command line, loaded: its arrays by name, its JSON summaries, its command."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Iterator, List, Optional

import numpy as np

MANIFEST = ".nntheory-run.json"


def _numbers(value: Any) -> Any:
    """JSON as nntheory writes it, with the non-finite numbers it spells "nan", "inf", "-inf" made floats again."""
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    if value in ("nan", "inf", "-inf"):
        return float(value)
    return value


def read_json(path: str) -> Any:
    """A JSON file written by nntheory (non-finite numbers restored)."""
    with open(path) as f:
        return _numbers(json.load(f))


class Run:
    """The output directory ``path`` of one ``nntheory`` command.

    - ``command``: the command that wrote it (``"ntk drift"``, ``"flow torus"``, ...), from the directory's manifest
      ``.nntheory-run.json``; ``None`` for a directory without one (e.g. ``cy sigma --out FILE``).
    - ``arrays``: every ``.npy`` below the directory (checkpoints excluded), loaded on first use, keyed by the path
      relative to the directory without the suffix (``"G4c"``, ``"width_64/f_train"``); ``.npz`` archives are keyed
      by path and member (``"cymetric/dataset/X_train"``).
    - ``jsons``: every top-level ``.json`` file by stem (``"summary"``, ``"drift"``, ``"convergence"``).
    - ``summary``: ``summary.json`` when present, else the only top-level JSON file (``drift.json`` of ``ntk
      drift``...), else ``{}``.
    - ``svgs``: the SVG files the command wrote (names relative to the directory).

    ``run["G4c"]``, ``run.G4c`` and ``run.arrays["G4c"]`` are the same array; an attribute that is not an array
    falls back to a key of ``summary`` (``run.kappa``).
    """

    def __init__(self, path: str):
        if not os.path.isdir(path):
            raise FileNotFoundError(f"{path}: not a directory; expected an output directory of nntheory")
        self.path = os.path.abspath(path)
        manifest = os.path.join(self.path, MANIFEST)
        self.command: Optional[str] = None
        if os.path.exists(manifest):
            with open(manifest) as f:
                self.command = json.load(f).get("command")
        self._array_files: Dict[str, str] = {}
        self._npz_members: Dict[str, tuple] = {}
        self._cache: Dict[str, np.ndarray] = {}
        self.svgs: List[str] = []
        self.jsons: Dict[str, Any] = {}
        for root, dirs, files in os.walk(self.path):
            dirs[:] = sorted(d for d in dirs if d != "checkpoints" and not d.startswith("."))
            rel = os.path.relpath(root, self.path)
            for name in sorted(files):
                if name.startswith("."):
                    continue
                key = name if rel == "." else f"{rel}/{name}"
                full = os.path.join(root, name)
                stem = key.rsplit(".", 1)[0]
                if name.endswith(".npy"):
                    self._array_files[stem] = full
                elif name.endswith(".npz"):
                    with np.load(full) as z:
                        for member in z.files:
                            self._npz_members[f"{stem}/{member}"] = (full, member)
                elif name.endswith(".svg"):
                    self.svgs.append(key)
                elif name.endswith(".json") and rel == ".":
                    self.jsons[stem] = read_json(full)
        if "summary" in self.jsons:
            self.summary = self.jsons["summary"]
        elif len(self.jsons) == 1:
            self.summary = next(iter(self.jsons.values()))
        else:
            self.summary = {}

    # Arrays ---------------------------------------------------------------------------------------------------------
    @property
    def array_names(self) -> List[str]:
        """Every array's name, sorted."""
        return sorted(list(self._array_files) + list(self._npz_members))

    @property
    def arrays(self) -> Dict[str, np.ndarray]:
        """Every array, loaded (a dict; use ``run[name]`` to load one)."""
        return {k: self[k] for k in self.array_names}

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self._cache:
            return self._cache[name]
        if name in self._array_files:
            a = np.load(self._array_files[name])
        elif name in self._npz_members:
            path, member = self._npz_members[name]
            with np.load(path) as z:
                a = z[member]
        else:
            raise KeyError(f"{name!r}: no such array in {self.path}; expected one of {', '.join(self.array_names)}")
        self._cache[name] = a
        return a

    def __contains__(self, name: str) -> bool:
        return name in self._array_files or name in self._npz_members

    def __iter__(self) -> Iterator[str]:
        return iter(self.array_names)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self:
            return self[name]
        summary = self.__dict__.get("summary", {})
        if isinstance(summary, dict) and name in summary:
            return summary[name]
        raise AttributeError(f"{name!r}: neither an array nor a summary key of {self.__dict__.get('path')}")

    # Provenance -----------------------------------------------------------------------------------------------------
    @property
    def provenance(self) -> Dict[str, Any]:
        """The ``run`` block of the summary: tool version, commit, argv, seed, threads, times, host, complete."""
        return self.summary.get("run", {}) if isinstance(self.summary, dict) else {}

    @property
    def complete(self) -> bool:
        """Whether the run finished (``run.complete`` of the summary; True when not recorded)."""
        return bool(self.provenance.get("complete", True))

    def __repr__(self) -> str:
        return (f"Run({self.path!r}, command={self.command!r}, arrays={len(self.array_names)}, "
                f"jsons={sorted(self.jsons)}, svgs={len(self.svgs)})")


def load(path: str) -> Run:
    """The output directory ``path`` of any nntheory command as a :class:`Run`."""
    return Run(path)
