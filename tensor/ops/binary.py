"""Binary elementwise primitives (unary ones: ``unary.py``): forward and
backward side by side.

Notation in the docstrings: ``g`` is the gradient of the output, ``dx`` the
gradient of input ``x``. Broadcasting is undone by the engine, not here.
"""

from __future__ import annotations

import numpy as np

from ..function import Function
from .either import log, sqrt, value, zeros_like
from .shape import where


# ----- binary ------------------------------------------------------------------------
class Add(Function):
    """z = x + y;  dx = g,  dy = g"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    """z = x − y;  dx = g,  dy = −g"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, y):
        return x - y

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """z = x·y;  dx = g·y,  dy = g·x"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, y):
        nx, ny = ctx.needs_input_grad
        # only what a wanted gradient reads, as PyTorch saves: x·2 may then be
        # followed by an in-place update of x
        ctx.save_for_backward(x if ny else None, y if nx else None)
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        return (g * y if nx else None), (g * x if ny else None)


class Div(Function):
    """z = x / y;  dx = g / y,  dy = −g·z / y"""

    twice_differentiable = True

    # −g·z/y rather than −g·x/y²: y² underflows to 0 for |y| < 1e-19 in float32. z is
    # recomputed from the saved inputs, not saved: PyTorch saves x and y, so updating
    # z in place (z += 1) must not stop the backward.

    @staticmethod
    def forward(ctx, x, y):
        with np.errstate(divide="ignore", invalid="ignore"):  # ±inf and NaN, no warning
            z = x / y
        ctx.save_for_backward(x, y)
        return z

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        if not ny:
            return g / y, None
        with np.errstate(divide="ignore", invalid="ignore"):
            z = x / y
        return (g / y if nx else None), -g * z / y


class Pow(Function):
    """z = xʸ;  dx = g·y·xʸ⁻¹,  dy = g·z·ln x"""

    twice_differentiable = True
    torch_name = "PowBackward1"

    @staticmethod
    def forward(ctx, x, y):
        z = x**y
        ctx.save_for_backward(x, y, z)
        return z

    @staticmethod
    def backward(ctx, g):
        x, y, z = ctx.saved
        nx, ny = ctx.needs_input_grad
        dx = dy = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if nx:  # 0 where y = 0, not 0·x⁻¹ (NaN at x = 0), as PyTorch
                dx = where(value(y) == 0, 0, g * (y * x ** (y - 1)))
            if ny:  # 0 at x = 0 for y ≥ 0 (not 0·log 0), NaN below 0: PyTorch's choices
                dy = where((value(x) == 0) & (value(y) >= 0), 0, g * z * log(x))
        return dx, dy


class PowScalar(Function):
    """z = xᵖ for a constant p;  dx = g·p·xᵖ⁻¹"""

    twice_differentiable = True
    torch_name = "PowBackward0"

    @staticmethod
    def forward(ctx, x, p):
        ctx.save_for_backward(x)
        ctx.p = p
        return x**p

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        p = ctx.p
        if p == 0:  # not 0·x⁻¹, which is NaN at x = 0 (PyTorch gives 0)
            return zeros_like(g)
        if p == 0.5:  # as 1/(2√x), like PyTorch: −inf at −0, NaN at −inf
            return g * (0.5 / sqrt(x))
        return g * (2 * x) if p == 2 else g * (p * x ** (p - 1))
