"""The twin examples start from the same seed and draw the same weights and the same
batch order in both frameworks, so they print the same losses (issue #23): no
weights are copied between them."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _losses(script: str) -> np.ndarray:
    out = subprocess.run([sys.executable, str(EXAMPLES / script), "--limit", "640",
                          "--epochs", "1", "--print-losses", "20"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return np.array([float(x) for x in re.findall(r"step \d+: loss (\S+)", out.stdout)])


def test_train_mnist_twins_print_the_same_first_20_losses():
    pytest.importorskip("torch")
    ours, theirs = _losses("train_mnist.py"), _losses("train_mnist_torch.py")
    assert len(ours) == len(theirs) == 20
    # equal to float32 rounding: the two BLAS round matrix products differently
    np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=0)
    # and not by chance: the first loss, before any update, is the same number
    assert ours[0] == theirs[0]
