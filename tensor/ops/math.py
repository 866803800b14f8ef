"""The other elementwise math: trigonometric, hyperbolic, logarithms and
exponentials beyond ``exp``/``log``. Forward and backward side by side; ``g`` is the
output's gradient."""

from __future__ import annotations

import math

import numpy as np

from ..function import Function
from .either import cos, cosh, sin, sinh, sqrt

LN2, LN10 = math.log(2), math.log(10)  # Python floats: they take the array's dtype


class Elementwise(Function):
    """An op of one input whose gradient has the input's shape."""

    broadcasts = False
    twice_differentiable = True


class Sin(Elementwise):
    """y = sin x;  dx = g·cos x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        return g * cos(ctx.saved[0])


class Cos(Elementwise):
    """y = cos x;  dx = −g·sin x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        return -g * sin(ctx.saved[0])


class Tan(Elementwise):
    """y = tan x;  dx = g·(1 + y²)"""

    @staticmethod
    def forward(ctx, x):
        y = np.tan(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved[0]
        return g * (1 + y * y)


class Asin(Elementwise):
    """y = arcsin x;  dx = g / √(1 − x²)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arcsin(x)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            return g / sqrt(1 - x * x)


class Acos(Elementwise):
    """y = arccos x;  dx = −g / √(1 − x²)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore"):
            return np.arccos(x)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            return -g / sqrt(1 - x * x)


class Atan(Elementwise):
    """y = arctan x;  dx = g / (1 + x²)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved[0]
        return g / (1 + x * x)


class Sinh(Elementwise):
    """y = sinh x;  dx = g·cosh x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            return np.sinh(x)

    @staticmethod
    def backward(ctx, g):
        with np.errstate(over="ignore"):
            return g * cosh(ctx.saved[0])


class Cosh(Elementwise):
    """y = cosh x;  dx = g·sinh x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(over="ignore"):
            return np.cosh(x)

    @staticmethod
    def backward(ctx, g):
        with np.errstate(over="ignore"):
            return g * sinh(ctx.saved[0])


class Log2(Elementwise):
    """y = log₂ x;  dx = g / (x·ln 2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log2(x)

    @staticmethod
    def backward(ctx, g):
        return g / (ctx.saved[0] * LN2)


class Log10(Elementwise):
    """y = log₁₀ x;  dx = g / (x·ln 10)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(x)

    @staticmethod
    def backward(ctx, g):
        return g / (ctx.saved[0] * LN10)


class Log1p(Elementwise):
    """y = ln(1 + x);  dx = g / (1 + x)"""

    torch_name = "Log1PBackward0"  # PyTorch's spelling

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        return g / (1 + ctx.saved[0])


class Expm1(Elementwise):
    """y = eˣ − 1;  dx = g·(y + 1)"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            y = np.expm1(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        return g * (ctx.saved[0] + 1)


class Rsqrt(Elementwise):
    """y = 1/√x;  dx = −g·y³/2"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            y = 1 / np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved[0]
        return -0.5 * g * y * y * y
