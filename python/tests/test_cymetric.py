"""to_cymetric on a real cy sample: the same arrays, bit for bit, as the command line's --cymetric dataset."""
import os

import numpy as np
import pytest

import nntheory


def test_dataset_equals_the_command_lines(cli, tmp_path):
    d = cli("cy", "sample", "--points", "400", "--seed", "5", "--jacobians", "--cymetric")
    data = nntheory.to_cymetric(d, out=str(tmp_path / "cm"))
    with np.load(os.path.join(d, "cymetric", "dataset.npz")) as ref:
        assert set(ref.files) == set(data)
        for k in ref.files:
            assert np.array_equal(ref[k], data[k]), k
    assert os.path.exists(tmp_path / "cm" / "basis.npz")
    with np.load(tmp_path / "cm" / "dataset.npz") as written:
        assert np.array_equal(written["X_val"], data["X_val"])


def test_a_directory_without_a_sample_is_refused(cli):
    d = cli("kernel", "--net", "Dense(1) Erf Dense(1)", "--x", "0.5")
    with pytest.raises(ValueError, match="points.npy"):
        nntheory.to_cymetric(d)
