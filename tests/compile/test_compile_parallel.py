"""The compiled step's convolutions on two threads (parallel.py) when NumPy's BLAS has
two: every value and gradient equal to eager's bit for bit, with one BLAS thread and
with two, over generated geometries (batches that split anywhere in a block, padding,
stride, dilation, groups, a first layer whose input needs no gradient), and the
BLAS's thread count left as it was."""

from __future__ import annotations

import numpy as np
import pytest

import nn.functional as F
import tensor
from tensor import blas
from tensor.compile import parallel

threadpoolctl = pytest.importorskip("threadpoolctl")
pytestmark = pytest.mark.skipif(not blas.available, reason="NumPy's OpenBLAS not found")


def cases():
    """(batch, channels, size, kernel, stride, padding, dilation, groups), the official
    example's shapes first, then a seeded sweep."""
    rng = np.random.default_rng(11)
    out = [(64, 32, 26, 3, 1, 0, 1, 1), (13, 32, 26, 3, 1, 0, 1, 1)]
    for _ in range(10):
        groups = int(rng.choice([1, 2]))
        out.append((int(rng.integers(2, 40)), groups * int(rng.integers(1, 9)),
                    int(rng.integers(6, 14)), int(rng.integers(1, 4)), int(rng.choice([1, 1, 2])),
                    int(rng.integers(0, 2)), int(rng.choice([1, 1, 2])), groups))
    return out


def _step(stride, padding, dilation, groups):
    def f(x, w1, w2, b2, r):
        h = F.relu(F.conv2d(x, w1, padding=1))  # the input needs no gradient
        y = F.conv2d(h, w2, b2, stride=stride, padding=padding, dilation=dilation, groups=groups)
        loss = (y * r).sum()
        loss.backward()
        return y
    return f


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("case", cases())
def test_two_thread_convolutions_are_eager_bit_for_bit(case, threads):
    n, c, size, k, stride, padding, dilation, groups = case
    rng = np.random.default_rng(abs(hash(case)) % 2**32)
    f = _step(stride, padding, dilation, groups)
    w1 = rng.standard_normal((c, 1, 3, 3)).astype(np.float32)
    w2 = rng.standard_normal((2 * groups, c // groups, k, k)).astype(np.float32)
    b2 = rng.standard_normal(2 * groups).astype(np.float32)
    with threadpoolctl.threadpool_limits(threads, user_api="blas"):
        compiled = tensor.compile(f, fullgraph=True)
        for _ in range(3):  # records, then replays
            x = rng.standard_normal((n, 1, size, size)).astype(np.float32)
            shape = F.conv2d(F.conv2d(tensor.tensor(x), tensor.tensor(w1), padding=1),
                             tensor.tensor(w2), stride=stride, padding=padding,
                             dilation=dilation, groups=groups).shape
            r = rng.standard_normal(tuple(shape)).astype(np.float32)
            runs = []
            for fn in (f, compiled):
                leaves = [tensor.tensor(a, requires_grad=True) for a in (w1, w2, b2)]
                y = fn(tensor.tensor(x), *leaves, tensor.tensor(r))
                runs.append([y.detach().numpy(), *(t.grad.numpy() for t in leaves)])
            for a, b in zip(*runs):
                assert a.dtype == b.dtype and np.array_equal(a, b)
        assert blas.threads() == threads
    assert "Conv2dTwoThreads.forward" in compiled.source


def test_both_runs_each_half_on_one_blas_thread_and_restores_the_count():
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        seen = parallel.both(blas.threads, blas.threads)
        assert seen == (1, 1) and blas.threads() == 2


def test_both_raises_what_a_half_raised_and_restores_the_count():
    def fail():
        raise ValueError("half")

    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        for first, second in ((fail, blas.threads), (blas.threads, fail)):
            with pytest.raises(ValueError, match="half"):
                parallel.both(first, second)
            assert blas.threads() == 2
