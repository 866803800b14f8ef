"""Products and running totals along one axis: prod, cumsum, cumprod, forward and
backward side by side. A zero in the input has no quotient to divide by, so the
product gradients are written as products of the *other* elements."""

from __future__ import annotations

import numpy as np

from ..function import Function


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

    @staticmethod
    def forward(ctx, x, axis, keepdim, dtype):
        y = np.asarray(np.prod(x, axis=axis, keepdims=True, dtype=dtype))
        ctx.save_for_backward(x, y)
        ctx.axis = axis
        return y if keepdim else y.reshape(() if axis is None else np.delete(y.shape, axis))

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        if x.size == 0:
            return np.zeros(x.shape, g.dtype)
        g = g.reshape(y.shape)
        if x.ndim == 0:
            return g  # one factor: y = x, as PyTorch
        if not (x == 0).any():  # PyTorch's g·y/x, NaN and inf included
            return g * y / x
        # a zero: the product of the others, computed without dividing (as PyTorch);
        # prod() of all elements with two zeros or more: 0 everywhere (PyTorch's rule)
        if ctx.axis is None:
            if (x == 0).sum() > 1:
                return np.zeros(x.shape, g.dtype)
            return g * _others_product(x.reshape(-1), 0).reshape(x.shape)
        return g * _others_product(x, ctx.axis)


class Cumsum(Function):
    """yᵢ = Σ_{k≤i} x_k;  dxᵢ = Σ_{j≥i} g_j (the running total of g from the end)"""

    broadcasts = False

    @staticmethod
    def forward(ctx, x, axis, dtype):
        ctx.axis = axis
        return _cumsum(x, axis, dtype)

    @staticmethod
    def backward(ctx, g):
        return np.flip(_cumsum(np.flip(g, ctx.axis), ctx.axis), ctx.axis)


class Cumprod(Function):
    """yᵢ = ∏_{k≤i} x_k;  dxᵢ = Σ_{j≥i} g_j·∏_{k≤j, k≠i} x_k"""

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
        if not (x == 0).any():  # then ∏_{k≤j, k≠i} x_k = y_j / x_i
            return np.flip(_cumsum(np.flip(g * y, axis), axis), axis) / x
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
