"""linspace to the last bit, as PyTorch's kernel computes it: start + step·i in the
first half and end − step·k in the second, each one fused multiply-add (one
rounding); integer dtypes take the ends cast to the integer first. Before, the
product was rounded on its own: 650 of linspace(−π, π, 2000)'s float32 points (the
tutorials' x) were an ulp off."""

import math

import numpy as np
import pytest

import tensor

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8"])
def test_linspace_is_torchs_to_the_bit(dtype):
    r = np.random.default_rng(0)
    cases = [(-1, 1, 7), (-math.pi, math.pi, 2000), (-3, 0, 1000), (0, 1, 11), (2, 2, 5),
             (5, -5, 2), (0.5, 9.5, 1)]
    cases += [(*r.normal(0, 20, 2), int(r.integers(2, 3000))) for _ in range(60)]
    total = wrong = 0
    for start, end, steps in cases:
        if dtype == "uint8":
            start, end = abs(start), abs(end)
        ours = tensor.linspace(start, end, steps, dtype=getattr(tensor, dtype)).numpy()
        theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        total, wrong = total + steps, wrong + int((ours != theirs).sum())
    # float64's fused multiply-add is emulated in long double: an ulp off at a few
    # points in 100 000 (double rounding); every other dtype is exact
    assert wrong <= (total // 10_000 if dtype == "float64" else 0), (wrong, total)
