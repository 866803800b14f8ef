"""Ops PyTorch records when a Python number is the left operand: ``2 - x`` is
``rsub(x, 2)`` (one input), ``2 / x`` is ``reciprocal(x) * 2``. The number is a
constant, so these nodes have one edge, as PyTorch's ``next_functions`` show."""

from __future__ import annotations

import numpy as np

from ..function import Function
from .either import value
from .shape import where


class Rsub(Function):
    """y = c − x for a constant c;  dx = −g"""

    twice_differentiable = True
    torch_name = "RsubBackward1"
    broadcasts = False

    @staticmethod
    def forward(ctx, x, c):
        return c - x

    @staticmethod
    def backward(ctx, g):
        return -g


class Reciprocal(Function):
    """y = 1/x;  dx = −g·y²"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore", invalid="ignore"):  # ±inf at ±0, as PyTorch
            y = np.reciprocal(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved
        return -g * (y * y)


class RPow(Function):
    """y = cˣ for a constant c;  dx = g·y·ln c  (0 where c = 0 and x ≥ 0, as PyTorch)"""

    twice_differentiable = True
    torch_name = "PowBackward2"
    broadcasts = False

    @staticmethod
    def forward(ctx, x, c):
        y = np.power(c, x)
        ctx.save_for_backward(x, y)
        ctx.c = c
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            dx = g * (y * np.log(ctx.c))
            return where((ctx.c == 0) & (value(x) >= 0), 0, dx)
