"""Products and running totals along one axis: prod, cumsum, cumprod, forward and
backward side by side. A zero in the input has no quotient to divide by, so the
product gradients are written as products of the *other* elements."""

from __future__ import annotations

import numpy as np

from ..function import Function


def _others_product(x: np.ndarray, axis: int) -> np.ndarray:
    """∏_{k≠i} x_k along ``axis`` for every i: the product to the left of i times
    the product to its right (exact with zeros, unlike y / x)."""
    ones = np.ones_like(np.take(x, [0], axis=axis))
    left = np.cumprod(np.concatenate([ones, x], axis=axis), axis=axis)
    flipped = np.flip(x, axis=axis)
    right = np.flip(np.cumprod(np.concatenate([ones, flipped], axis=axis), axis=axis),
                    axis=axis)
    n = x.shape[axis]
    return np.take(left, range(n), axis=axis) * np.take(right, range(1, n + 1), axis=axis)


class Prod(Function):
    """y = ∏ x along an axis (all of x when axis is None);  dx = g·∏_{k≠i} x_k"""

    @staticmethod
    def forward(ctx, x, axis, keepdim, dtype):
        ctx.save_for_backward(x)
        ctx.axis, ctx.keepdim = axis, keepdim
        return np.asarray(np.prod(x, axis=axis, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved[0]
        if x.size == 0:
            return np.zeros(x.shape, g.dtype)
        if ctx.axis is None:
            return (g * _others_product(x.reshape(-1), 0)).reshape(x.shape)
        if not ctx.keepdim:
            g = np.expand_dims(g, ctx.axis)
        return g * _others_product(x, ctx.axis)


class Cumsum(Function):
    """yᵢ = Σ_{k≤i} x_k;  dxᵢ = Σ_{j≥i} g_j (the running total of g from the end)"""

    broadcasts = False

    @staticmethod
    def forward(ctx, x, axis, dtype):
        ctx.axis = axis
        return np.cumsum(x, axis=axis, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        return np.flip(np.cumsum(np.flip(g, ctx.axis), axis=ctx.axis), ctx.axis)


class Cumprod(Function):
    """yᵢ = ∏_{k≤i} x_k;  dxᵢ = Σ_{j≥i} g_j·∏_{k≤j, k≠i} x_k"""

    broadcasts = False

    @staticmethod
    def forward(ctx, x, axis, dtype):
        y = np.cumprod(x, axis=axis, dtype=dtype)
        ctx.save_for_backward(x, y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        axis = ctx.axis
        if not (x == 0).any():  # then ∏_{k≤j, k≠i} x_k = y_j / x_i
            return np.flip(np.cumsum(np.flip(g * y, axis), axis=axis), axis) / x
        # a zero: for each i, the running product with x_i replaced by 1
        dx = np.empty_like(x, dtype=g.dtype)
        xs, gs, out = (np.moveaxis(a, axis, -1) for a in (x, g, dx))
        for i in range(xs.shape[-1]):
            others = xs.copy()
            others[..., i] = 1
            running = np.cumprod(others, axis=-1)[..., i:]
            out[..., i] = (gs[..., i:] * running).sum(axis=-1)
        return dx
