"""Rounding to integers: floor, ceil, round (also to decimals), trunc, and frac, the
part trunc drops, forward and backward side by side. The rounding ops are flat
between their jumps, so their gradient is 0 everywhere (PyTorch's too, at the jumps
as well); frac = x − trunc x passes g through. Integer tensors are already whole:
they come back as a copy, in their own dtype, as in PyTorch; bool has no kernel."""

from __future__ import annotations

import numpy as np

from ..function import Function
from .either import value, zeros_like


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


# ----- division that rounds: a % b (remainder), fmod, a // b (floor_divide) -------------
def _divisor_checked(a: np.ndarray, b: np.ndarray, op: str) -> None:
    """PyTorch's errors: no bool kernel; an integer division by zero raises."""
    if a.dtype == np.bool_:
        raise NotImplementedError(f'"{op}_cpu" not implemented for \'Bool\'')
    if a.dtype.kind in "iu" and np.broadcast(a, b).size and (b == 0).any():
        raise RuntimeError("ZeroDivisionError")


def remainder(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """PyTorch's a % b: fmod, then b added where the signs differ (a zero keeps fmod's
    sign, where NumPy's remainder takes b's)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mod = np.fmod(a, b)
        return np.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod).astype(mod.dtype)


class Remainder(Function):
    """z = a − b·⌊a/b⌋, with b's sign (Python's %);  da = g,  db = −g·⌊a/b⌋"""

    twice_differentiable = True
    rounded = staticmethod(remainder)  # Fmod reuses all of it with its own
    quotient = staticmethod(np.floor_divide)
    kernel = "remainder"

    @staticmethod
    def forward(ctx, a, b, number=False):
        _divisor_checked(a, b, ctx.kernel)
        ctx.save_for_backward(a, b)
        ctx.number = number
        with np.errstate(divide="ignore", invalid="ignore"):
            return ctx.rounded(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = (value(s) for s in ctx.saved)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            q = ctx.quotient(a, b)  # a constant of the gradient: flat in a and b
        return g, g * -q

    def backward_name(self) -> str:  # PyTorch's: 0 with a number divisor, 1 with a tensor
        return f"{type(self).__name__}Backward{0 if self.number else 1}"


class Fmod(Remainder):
    """z = a − b·trunc(a/b), with a's sign (C's fmod);  da = g,  db = −g·trunc(a/b)"""

    rounded = staticmethod(np.fmod)
    quotient = staticmethod(lambda a, b: np.trunc(a / b))
    kernel = "fmod"


class FloorDivide(Function):
    """z = ⌊a/b⌋ (Python's //; ``fn``: number % tensor too);  no derivative (PyTorch
    raises, and so does this)"""

    torch_name = "NotImplemented"
    kernel = "div_floor"

    @staticmethod
    def forward(ctx, a, b, fn=np.floor_divide, kernel="div_floor"):
        _divisor_checked(a, b, kernel)
        ctx.kernel = kernel
        with np.errstate(divide="ignore", invalid="ignore"):
            return fn(a, b)

    @staticmethod
    def backward(ctx, g):
        name = "floor_divide" if ctx.kernel == "div_floor" else ctx.kernel
        raise RuntimeError(f"derivative for aten::{name} is not implemented")
