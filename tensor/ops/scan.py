"""Products and running totals along one axis: prod, cumsum, cumprod, forward and
backward side by side. A zero in the input has no quotient to divide by, so the
product gradients are written as products of the *other* elements.

Under create_graph (g a Tensor) the gradients are PyTorch's differentiable forms:
where the input holds a zero, products of the other elements built from cumprod and
prod themselves (never the NumPy-only shortcuts, whose derivative would be wrong)."""

from __future__ import annotations

import numpy as np

from ..function import Function
from .either import constant, flip, is_tensor
from .shape import Cat


def _cumsum(x: np.ndarray, axis: int, dtype=None) -> np.ndarray:
    """np.cumsum as PyTorch's CPU kernel: float32 accumulated in float64, rounded once
    per element (a running float32 total drifts from PyTorch's in the last bits)."""
    out = dtype or x.dtype
    wide = np.float64 if out == np.float32 else out
    return np.cumsum(x, axis=axis, dtype=wide).astype(out, copy=False)


def _cumprod(x: np.ndarray, axis: int, dtype=None) -> np.ndarray:
    """np.cumprod, float32 accumulated in float64 as PyTorch's (and so not overflowing
    where a partial product passes float32's range but the result does not)."""
    out = dtype or x.dtype
    wide = np.float64 if out == np.float32 else out
    return np.cumprod(x, axis=axis, dtype=wide).astype(out, copy=False)


def _others_product(x: np.ndarray, axis: int) -> np.ndarray:
    """∏_{k≠i} x_k along ``axis`` for every i: the product to the left of i times
    the product to its right (exact with zeros, unlike y / x)."""
    ones = np.ones_like(np.take(x, [0], axis=axis))
    left = _cumprod(np.concatenate([ones, x], axis=axis), axis)
    flipped = np.flip(x, axis=axis)
    right = np.flip(_cumprod(np.concatenate([ones, flipped], axis=axis), axis), axis=axis)
    n = x.shape[axis]
    return np.take(left, range(n), axis=axis) * np.take(right, range(1, n + 1), axis=axis)


class Prod(Function):
    """y = ∏ x along an axis (all of x when axis is None);  dx = g·∏_{k≠i} x_k"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, axis, keepdim, dtype):
        y = np.asarray(np.prod(x, axis=axis, keepdims=keepdim, dtype=dtype))
        ctx.save_for_backward(x, y)  # y itself, the output: create_graph knows it
        ctx.axis = axis
        return y

    def backward_name(self) -> str:
        return "ProdBackward0" if self.axis is None else "ProdBackward1"

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        axis = ctx.axis
        if x.size == 0:
            return constant(np.zeros(x.shape, g.dtype)) if is_tensor(g) else \
                np.zeros(x.shape, g.dtype)
        if x.ndim == 0:
            return g  # one factor: y = x, as PyTorch
        keep = (1,) * x.ndim if axis is None else \
            tuple(1 if i == axis else n for i, n in enumerate(x.shape))
        g, y = g.reshape(keep), y.reshape(keep)
        zeros = (_value(x) == 0).any()
        if is_tensor(g):  # PyTorch's differentiable forms, also with two zeros or more
            if not zeros:
                return g * (y / x)
            if axis is None:
                return (g * _others_product_graph(x.reshape(-1), 0)).reshape(x.shape)
            return g * _others_product_graph(x, axis)
        if not zeros:  # PyTorch's g·y/x, NaN and inf included
            return g * y / x
        # a zero: the product of the others, computed without dividing (as PyTorch);
        # prod() of all elements with two zeros or more: 0 everywhere (PyTorch's rule)
        if axis is None:
            if (x == 0).sum() > 1:
                return np.zeros(x.shape, g.dtype)
            return g * _others_product(x.reshape(-1), 0).reshape(x.shape)
        return g * _others_product(x, axis)


def _value(a):
    return a.data if is_tensor(a) else a


def _take(x, axis: int, start: int, stop=None):
    """x[start:stop] along axis, on an array or (a recorded slice) a Tensor."""
    return x[(slice(None),) * axis + (slice(start, stop),)]


def _ones(x, axis: int):
    shape = tuple(1 if i == axis else n for i, n in enumerate(x.shape))
    return constant(np.ones(shape, x.data.dtype))


def _others_product_graph(x, axis: int):
    """∏_{k≠i} x_k along axis, in recorded ops (PyTorch's prod_safe_zeros_backward):
    the exclusive running product from the left times the one from the right."""
    n = x.shape[axis]
    ones = _ones(x, axis)
    left = Cumprod.apply(Cat.apply(ones, _take(x, axis, 0, n - 1), dim=axis), axis=axis,
                         dtype=None)
    right = Cumprod.apply(Cat.apply(ones, flip(_take(x, axis, 1), axis), dim=axis),
                          axis=axis, dtype=None)
    return left * flip(right, axis)


class Cumsum(Function):
    """yᵢ = Σ_{k≤i} x_k;  dxᵢ = Σ_{j≥i} g_j (the running total of g from the end)"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, axis, dtype):
        ctx.axis = axis
        return _cumsum(x, axis, dtype)

    @staticmethod
    def backward(ctx, g):
        return _reversed_cumsum(g, ctx.axis)


def _reversed_cumsum(g, axis: int):
    if is_tensor(g):
        return flip(Cumsum.apply(flip(g, axis), axis=axis, dtype=None), axis)
    return np.flip(_cumsum(np.flip(g, axis), axis), axis)


class Cumprod(Function):
    """yᵢ = ∏_{k≤i} x_k;  dxᵢ = Σ_{j≥i} g_j·∏_{k≤j, k≠i} x_k"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, axis, dtype):
        y = _cumprod(x, axis, dtype)
        ctx.save_for_backward(x, y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        axis = ctx.axis
        if x.shape[axis] == 1:
            return g
        if not (_value(x) == 0).any():  # then ∏_{k≤j, k≠i} x_k = y_j / x_i
            return _reversed_cumsum(g * y, axis) / x
        if is_tensor(g):
            return _cumprod_grad_graph(x, g, axis)
        # a zero (as PyTorch): before the first zero k the formula above holds (its sum
        # stopped at k: y is 0 from there on), after it the gradient is 0, and at k it
        # is Σ_{j≥k} g_j·∏_{l≤j, l≠k} x_l, up to the second zero
        dx = np.zeros_like(x, dtype=g.dtype)
        n = x.shape[axis]
        xs, gs, ys = (np.moveaxis(a, axis, -1).reshape(-1, n) for a in (x, g, y))
        out = np.moveaxis(dx, axis, -1).reshape(-1, n)  # a copy if not contiguous
        for r in range(xs.shape[0]):
            zeros = np.flatnonzero(xs[r] == 0)
            k = zeros[0] if zeros.size else n
            with np.errstate(divide="ignore", invalid="ignore"):
                out[r, :k] = _cumsum((gs[r, :k] * ys[r, :k])[::-1], 0)[::-1] / xs[r, :k]
            if k < n:  # the product before k, times the sum from k to the second zero
                stop = zeros[1] + 1 if zeros.size > 1 else n
                after = _cumprod(np.concatenate([[1], xs[r, k + 1:stop]]).astype(x.dtype), 0)
                before = _cumprod(xs[r, :k], 0)[-1] if k else 1
                out[r, k] = before * (gs[r, k:stop] * after).sum()
        shape = np.moveaxis(dx, axis, -1).shape
        return np.moveaxis(out.reshape(shape), -1, axis)


def _cumprod_grad_graph(x, g, axis: int):
    """dxₖ = Σ_{j≥k} g_j·∏_{l≤j, l≠k} x_l with a zero in x, in recorded ops and without
    dividing (PyTorch's O(n²) differentiable form): for each k, the product before k
    times the running product after it."""
    n = x.shape[axis]
    parts = []
    for k in range(n):
        after = Cumprod.apply(_take(x, axis, k + 1), axis=axis, dtype=None) \
            if k < n - 1 else None
        if k == 0:
            omitted = Cat.apply(_ones(x, axis), after, dim=axis)
        else:
            before = Prod.apply(_take(x, axis, 0, k), axis=axis, keepdim=True, dtype=None)
            omitted = before if after is None else Cat.apply(before, before * after, dim=axis)
        parts.append((_take(g, axis, k) * omitted).sum(axis=axis, keepdims=True))
    return Cat.apply(*parts, dim=axis)
