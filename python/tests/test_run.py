"""nntheory.load on real command outputs: arrays by name equal to the files, summaries, command, provenance."""
import json
import os

import numpy as np
import pytest

import nntheory

X = "1,0;0,1;0.6,0.8"


def test_kernel_run_loads_with_named_arrays_and_summary(cli):
    d = cli("kernel", "--net", "Dense(1, W_std=1.5, b_std=0.1) Erf Dense(1)", "--x", X)
    run = nntheory.load(d)
    assert run.command == "kernel"
    assert {"nngp", "ntk"} <= set(run.array_names)
    assert np.array_equal(run["ntk"], np.load(os.path.join(d, "ntk.npy")))
    assert run.ntk is run["ntk"]
    assert run.ntk.shape == (3, 3)
    with open(os.path.join(d, "summary.json")) as f:
        assert run.summary == json.load(f)
    assert run.complete and run.provenance["tool"] == "nntheory"
    assert run.shape == [3, 3]               # a summary key through attribute access
    with pytest.raises(KeyError, match="no such array"):
        run["nope"]


def test_nested_arrays_and_the_main_json_of_ntk_drift(cli):
    d = cli("ntk", "drift", "--net", "Dense(1, W_std=1.5) Erf Dense(1)", "--x", "0,0;0.5,1;1,-0.5",
            "--widths", "16,32", "--steps", "20", "--record-every", "10")
    run = nntheory.load(d)
    assert run.command == "ntk drift"
    assert run.summary is run.jsons["drift"]
    assert run["width_16/f_train"].shape == (3, 3, 1)
    assert [w["width"] for w in run.summary["widths"]] == [16, 32]
    assert "drift.svg" in run.svgs and not any(n.startswith("checkpoints") for n in run.array_names)


def test_npz_members_are_arrays(cli):
    d = cli("cy", "sample", "--points", "300", "--seed", "2", "--cymetric")
    run = nntheory.load(d)
    assert run["cymetric/dataset/X_train"].shape == (270, 10)


def test_a_missing_directory_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a directory"):
        nntheory.load(str(tmp_path / "absent"))
