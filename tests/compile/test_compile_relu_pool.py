"""The compiled step's ReLU moved after a max-pool of non-overlapping windows
(codegen.py): the same values and gradients as eager, bit for bit (signed zeros too),
over generated pool geometries and inputs with ties, all-negative windows, zeros and
NaN; and not moved where windows overlap or the ReLU's output has another reader."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn.functional as F
import tensor

MOVED = "before its ReLU"


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True) and np.array_equal(
        np.signbit(a), np.signbit(b))


def _program(kernel, stride, padding, dilation, second_reader):
    def f(x, w, r):
        h = F.relu(x * w)
        y = F.max_pool2d(h, kernel, stride, padding, dilation)
        loss = (y * r).sum()
        if second_reader:
            loss = loss + (h * h).sum()
        loss.backward()
        return y
    return f


@settings(max_examples=60, deadline=None, derandomize=True)
@given(kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       extra=st.tuples(st.integers(-1, 2), st.integers(-1, 2)),
       dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       pad=st.booleans(), levels=st.integers(2, 6), nan=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_relu_after_pool_is_eager_bit_for_bit(kernel, extra, dilation, pad, levels, nan, dtype,
                                              seed):
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    stride = tuple(max(1, s + e) for s, e in zip(span, extra))  # overlapping when < span
    padding = tuple(k // 2 if pad else 0 for k in kernel)
    rng = np.random.default_rng(seed)
    shape = (2, 3, int(rng.integers(span[0], 9)), int(rng.integers(span[1], 9)))
    f = _program(kernel, stride, padding, dilation, second_reader=False)
    compiled = tensor.compile(f, fullgraph=True)
    for call in range(3):  # records, then replays
        # few levels, most of them ≤ 0: ties, zeros and all-negative windows
        x = (rng.integers(-levels, 2, shape) / 2).astype(dtype)
        if nan and call:
            x.flat[rng.integers(0, x.size, 3)] = np.nan
        w = rng.choice([-1.0, 1.0, 0.5], shape[1:]).astype(dtype)
        out_shape = F.max_pool2d(tensor.tensor(x), kernel, stride, padding, dilation).shape
        r = rng.standard_normal(tuple(out_shape)).astype(dtype)
        runs = []
        for fn in (f, compiled):
            wt = tensor.tensor(w, requires_grad=True)
            y = fn(tensor.tensor(x), wt, tensor.tensor(r))
            runs.append((y.detach().numpy(), wt.grad.numpy()))
        (y0, g0), (y1, g1) = runs
        assert _same(y0, y1) and _same(g0, g1)
    overlap = any(s < sp for s, sp in zip(stride, span))
    assert (MOVED in compiled.source) == (not overlap)


@pytest.mark.parametrize("second_reader", [False, True])
def test_relu_stays_before_the_pool_when_its_output_is_read_again(second_reader, rng):
    f = _program((2, 2), (2, 2), (0, 0), (1, 1), second_reader)
    compiled = tensor.compile(f, fullgraph=True)
    x, w = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((3, 6, 6))
    r = rng.standard_normal((2, 3, 3, 3))
    grads = []
    for fn in (f, compiled, compiled):
        wt = tensor.tensor(w, requires_grad=True)
        fn(tensor.tensor(x), wt, tensor.tensor(r))
        grads.append(wt.grad.numpy())
    assert all(_same(grads[0], g) for g in grads[1:])
    assert (MOVED in compiled.source) == (not second_reader)


@pytest.mark.parametrize("then_conv", [False, True])
def test_pooled_relu_in_c_order_unless_a_convolution_reads_it(then_conv, rng):
    """After a convolution (channels last) → ReLU → max-pool, the pooled ReLU is written
    in C order for a dropout and flatten, and left channels last for a convolution;
    values and gradients equal eager's bit for bit either way."""
    w1 = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    w2 = rng.standard_normal((4, 8, 3, 3)).astype(np.float32)

    def f(x, a, b):
        y = F.max_pool2d(F.relu(F.conv2d(x, a)), 2)
        y = F.conv2d(y, b) if then_conv else F.dropout(y, 0.25).flatten(1)
        loss = (y * y).sum()
        loss.backward()
        return y

    compiled = tensor.compile(f, fullgraph=True)
    for call in range(3):
        x = rng.standard_normal((3, 3, 14, 14)).astype(np.float32)
        runs = []
        for fn in (f, compiled):
            a, b = tensor.tensor(w1, requires_grad=True), tensor.tensor(w2, requires_grad=True)
            tensor.manual_seed(call)  # the same dropout mask in both
            y = fn(tensor.tensor(x), a, b)
            runs.append((y.detach().numpy(), a.grad.numpy(), b.grad.numpy() if then_conv else 0))
        assert all(_same(np.asarray(p), np.asarray(q)) for p, q in zip(*runs))
    assert MOVED in compiled.source
    assert ("out=np.empty" in compiled.source) == (not then_conv)
