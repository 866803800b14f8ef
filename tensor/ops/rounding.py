"""Rounding to integers: floor, ceil, round (also to decimals), trunc, and frac, the
part trunc drops, forward and backward side by side. The rounding ops are flat
between their jumps, so their gradient is 0 everywhere (PyTorch's too, at the jumps
as well); frac = x − trunc x passes g through. Integer tensors are already whole:
they come back as a copy, in their own dtype, as in PyTorch; bool has no kernel."""

from __future__ import annotations

import numpy as np

from ..function import Function
from .either import zeros_like


def _whole(x: np.ndarray, fn, op: str) -> np.ndarray:
    if x.dtype == np.bool_:
        raise NotImplementedError(f'"{op}_vml_cpu" not implemented for \'Bool\'')
    return fn(x) if x.dtype.kind == "f" else x.copy()


class Floor(Function):
    """y = ⌊x⌋, the largest whole number ≤ x;  dx = 0"""

    twice_differentiable = True
    broadcasts = False
    rounding = staticmethod(np.floor)  # Ceil and Trunc reuse all of it with their own

    @staticmethod
    def forward(ctx, x):
        return _whole(x, ctx.rounding, type(ctx).__name__.lower())

    @staticmethod
    def backward(ctx, g):
        return zeros_like(g)


class Ceil(Floor):
    """y = ⌈x⌉, the smallest whole number ≥ x;  dx = 0"""

    rounding = staticmethod(np.ceil)


class Trunc(Floor):
    """y = x with its fractional part dropped (towards 0);  dx = 0"""

    rounding = staticmethod(np.trunc)


class Round(Function):
    """y = rint(x·10ᵈ)/10ᵈ, x rounded to d = decimals places, halves to even;  dx = 0
    (for d < 0, rint(x/10⁻ᵈ)·10⁻ᵈ; in x's dtype, as PyTorch)"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, decimals=0):
        ctx.decimals = decimals
        if decimals == 0:
            return _whole(x, np.rint, "round")
        if x.dtype.kind != "f":
            name = {"b": "Bool", "u": "Byte"}.get(x.dtype.kind, "Long")
            raise NotImplementedError(f'"round_cpu" not implemented for \'{name}\'')
        scale = x.dtype.type(10.0 ** abs(decimals))
        with np.errstate(over="ignore", invalid="ignore"):
            if decimals > 0:
                return np.rint(x * scale) / scale
            return np.rint(x / scale) * scale

    @staticmethod
    def backward(ctx, g):
        return zeros_like(g)

    def backward_name(self) -> str:  # PyTorch's node for round(decimals=…)
        return "RoundBackward1" if self.decimals else "RoundBackward0"


class Frac(Function):
    """y = x − trunc x (the sign of x);  dx = g"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            name = {"b": "Bool", "u": "Byte"}.get(x.dtype.kind, "Long")
            raise NotImplementedError(f'"frac_cpu" not implemented for \'{name}\'')
        with np.errstate(invalid="ignore"):
            return x - np.trunc(x)

    @staticmethod
    def backward(ctx, g):
        return g
