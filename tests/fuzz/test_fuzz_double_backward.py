"""The differential fuzzer's ops (test_fuzz_torch.py's tables), differentiated twice:
generated float64 inputs (shapes with 0 to 3 dims, 0-size dims, broadcasting pairs,
every dim form, values with zeros), the first gradient taken with create_graph=True
and the gradient of a weighted sum of it, compared with PyTorch's. Where torch raises,
this engine must too.

CI runs a fixed budget with a fixed seed (``EXAMPLES`` per op); ``pytest --fuzz N``
runs N with fresh randomness.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_fuzz_torch import BINARY, FUZZ_LONG, ONE_DIM, REDUCE, UNARY, dims, fuzz

import tensor

torch = pytest.importorskip("torch")
EXAMPLES = FUZZ_LONG or 25
# the ops of the tables that have a derivative (comparisons, argmax, casts to integers
# have none)
NO_GRADIENT = {"long", "bool", "lt", "eq_int", "argmax_all", "argmin_all", "argmax", "argmin",
               "gt", "float", "item_sum"}

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
values = st.one_of(st.floats(-3, 3), st.sampled_from([0.0, 1.0, -1.0, 0.5]))


def float64_arrays(shape=None):
    return (shapes if shape is None else st.just(shape)).flatmap(
        lambda s: hnp.arrays(np.float64, s, elements=values))


def twice(lib, fn, arrays):
    """(f(x), ∂Σw·f/∂x, ∂Σv·(∂Σw·f/∂x)/∂x) as arrays, or the exception."""
    try:
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = fn(lib, *xs)
        if isinstance(out, tuple):
            out = out[0]
        if not out.requires_grad:
            return None
        n = out.numel()
        w = lib.tensor(np.cos(np.arange(n) + 0.5).reshape(tuple(out.shape)))
        first = lib.autograd.grad((out * w.to(out.dtype)).sum(), xs, create_graph=True,
                                  allow_unused=True)
        total = sum(((g * lib.tensor(np.sin(np.arange(g.numel()) + 1.0).reshape(
            tuple(g.shape)))).sum() for g in first if g is not None), lib.zeros(()))
        second = [None] * len(xs)
        if total.requires_grad:
            second = lib.autograd.grad(total, xs, allow_unused=True)

        def numpy(t, a):
            if t is None:
                return np.zeros(a.shape)
            t = t.detach()
            return t.numpy(force=True) if lib is torch else t.numpy()

        return ([numpy(g, a) for g, a in zip(first, arrays)],
                [numpy(h, a) for h, a in zip(second, arrays)])
    except Exception as exc:  # noqa: BLE001 - any error counts, compared with torch's
        return exc


def deviation(name, arrays) -> bool:
    """Known differences, at points where the second derivative is not defined: pow
    with a base of exactly 0 (torch's NaN or ±inf from 0·log 0 where this engine's
    masks give 0); logit at 0 or where x·(1 − x) squared underflows (torch's division backward
    computes −g·x/y², 0/0 there; this engine's −g·(x/y)/y stays finite); prod and
    cumprod at elements below 1e-20 (torch's second derivative divides by their squares,
    after a cancellation: 256 where the true value is 0, or ±1e75 overflows); x**0.5 at ±0 (an
    infinite curvature whose sign at −0 depends on how 1/√−0 is formed); normalize of one
    tiny element (1e-10: torch's −1.9e-6 is the cancellation of 1/|x| − x²/|x|³, 0 here)."""
    if name.startswith(("var", "std", "norm", "linalg_norm", "F_normalize", "F_layer_norm")):
        # the norms and spreads (and normalize and layer_norm, made of them) are kinked
        # where the elements of a slice are equal (a spread of 0: any repeated value may
        # make one) or
        # the vector is 0, undefined with one element (a variance of N − 1 = 0 terms),
        # and their curvature leaves the float range for elements beyond ~1e100 or
        # below ~1e-20 (1/‖x‖³ and the like)
        a = arrays[0]
        with np.errstate(all="ignore"):
            big = np.abs(a)
            extreme = ((big > 1e100) | ((big > 0) & (big < 1e-20))).any()
        return bool(a.size <= 1 or 1 in a.shape or extreme or np.unique(a).size < a.size
                    or not np.isfinite(a).all() or (a == 0).any())
    if name.startswith("logit"):
        with np.errstate(all="ignore"):
            d = np.abs(arrays[0] * (1 - arrays[0]))
        return bool((d < 1e-150).any())  # at x = ±0 the gradient itself is ±inf
    if name.startswith(("prod", "cumprod")):
        with np.errstate(all="ignore"):
            return bool(((np.abs(arrays[0]) > 0) & (np.abs(arrays[0]) < 1e-20)).any())
    return name in ("pow", "pow_half") and bool((arrays[0] == 0).any())


def assert_second_derivatives_match(name, fn, arrays):
    if deviation(name, arrays):
        return
    with np.errstate(all="ignore"):
        ours = twice(tensor, fn, arrays)
    theirs = twice(torch, fn, arrays)
    case = f"{name} on shapes {[a.shape for a in arrays]}"
    if isinstance(theirs, Exception) or isinstance(ours, Exception):
        assert isinstance(ours, Exception) == isinstance(theirs, Exception), (
            f"{case}: torch {theirs!r}, this engine {ours!r}")
        return
    assert (ours is None) == (theirs is None), f"{case}: differentiable on one side only"
    if ours is None:
        return
    for what, o, t in zip(("gradient", "second derivative"), ours, theirs):
        for i, (a, b) in enumerate(zip(o, t)):
            scale = 1.0 + np.abs(np.nan_to_num(b, posinf=0, neginf=0)).max(initial=0)
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10 * scale, equal_nan=True,
                                       err_msg=f"{case}: {what} of input {i}")


def budget(test):
    return fuzz(test) if FUZZ_LONG else __import__("hypothesis").settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
        suppress_health_check=list(__import__("hypothesis").HealthCheck))(test)


@pytest.mark.parametrize("name", sorted(set(UNARY) - NO_GRADIENT))
@budget
@given(x=float64_arrays())
def test_unary_second_derivatives_match_torch(name, x):
    assert_second_derivatives_match(name, UNARY[name], [x])


@pytest.mark.parametrize("name", sorted(REDUCE))
@budget
@given(data=st.data(), x=float64_arrays(), keep=st.booleans())
def test_reduction_second_derivatives_match_torch(name, data, x, keep):
    dim = data.draw(dims(x.ndim))
    if dim == () and name.startswith(("var", "std")):  # tests/deviations.py: PyTorch's
        return  # backward of var(dim=()) divides by 1 − correction = 0
    assert_second_derivatives_match(name, lambda lib, t: REDUCE[name](lib, t, dim, keep), [x])


@pytest.mark.parametrize("name", sorted(set(ONE_DIM) - NO_GRADIENT))
@budget
@given(data=st.data(), x=float64_arrays(), keep=st.booleans())
def test_dim_op_second_derivatives_match_torch(name, data, x, keep):
    d = data.draw(dims(x.ndim, allow_none=False, allow_tuple=False))
    assert_second_derivatives_match(name, lambda lib, t: ONE_DIM[name](lib, t, d, keep), [x])


@pytest.mark.parametrize("name", sorted(set(BINARY) - NO_GRADIENT))
@budget
@given(data=st.data())
def test_binary_second_derivatives_match_torch(name, data):
    sa, sb = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_side=0,
                                                         max_side=4)).input_shapes
    a, b = data.draw(float64_arrays(sa)), data.draw(float64_arrays(sb))
    assert_second_derivatives_match(name, BINARY[name], [a, b])
