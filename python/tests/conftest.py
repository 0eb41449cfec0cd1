"""Fixtures: the nntheory binary (NNTHEORY_BIN, else the repository's debug or release build) and a runner."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _binary():
    env = os.environ.get("NNTHEORY_BIN")
    if env:
        return env
    for build in ("debug", "release"):
        path = os.path.join(ROOT, ".build", build, "nntheory")
        if os.path.exists(path):
            return path
    pytest.exit("no nntheory binary: build it (swift build) or set NNTHEORY_BIN", returncode=2)


@pytest.fixture(scope="session")
def nntheory_bin():
    return _binary()


@pytest.fixture
def cli(nntheory_bin, tmp_path):
    """cli(*args, out="name") runs ``nntheory args --out tmp/name`` and returns the output directory."""
    def run(*args, out="run"):
        target = str(tmp_path / out)
        r = subprocess.run([nntheory_bin, *args, "--out", target], capture_output=True, text=True)
        assert r.returncode == 0, f"nntheory {' '.join(args)} failed: {r.stderr}"
        return target
    return run
