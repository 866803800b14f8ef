"""Opt-in (`pytest --run-slow`): the real datasets in ../shared/data, when present."""

from pathlib import Path

import numpy as np
import pytest

from tinygrad_mnist import cli
from tinygrad_mnist.data.datasets import load_mnist

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not here")]


def test_fashion_mnist_reads_with_checksums():
    d = load_mnist("fashion-mnist", SHARED / "fashion-mnist")
    assert d.x_train.shape == (60000, 28, 28)
    assert np.bincount(d.y_train).tolist() == [6000] * 10
    assert np.bincount(d.y_test).tolist() == [1000] * 10


def test_shared_mnist_equals_the_bundled_copy():
    shared, bundled = load_mnist("mnist", SHARED / "mnist"), load_mnist("mnist")
    for a, b in zip(shared, bundled):
        np.testing.assert_array_equal(a, b)


def test_train_on_fashion_mnist(tmp_path):
    assert cli.main(["train", "--dataset", "fashion-mnist", "--data-dir",
                     str(SHARED / "fashion-mnist"), "--epochs", "1", "--limit", "5000",
                     "--out", str(tmp_path), "--no-progress"]) == 0
    import json

    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["test_accuracy"] > 0.6  # 1 epoch on 5,000 images; chance is 0.1
