"""Elementwise ops beyond the basics: erf, logit, and the elementwise maximum and
minimum of two tensors, forward and backward side by side."""

from __future__ import annotations

import math

import numpy as np

from ..function import Function
from .either import exp, value
from .shape import where

# NumPy has no erf; math.erf is exact to the last bit in float64 (speed is not the
# point here: erf is rare in a learner's code)
_erf = np.frompyfunc(math.erf, 1, 1)


class Erf(Function):
    """y = erf x = 2/√π ∫₀ˣ e^(−t²) dt;  dx = g·2/√π·e^(−x²)"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.asarray(_erf(x.astype(np.float64)), dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x = ctx.saved[0]
        return g * (2 / math.sqrt(math.pi)) * exp(-x * x)


class Logit(Function):
    """y = ln(z / (1 − z)), z = x clamped to [eps, 1 − eps];  dx = g / (x(1 − x)),
    0 outside [eps, 1 − eps] (NaN outside [0, 1] without eps, as PyTorch)"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, eps):
        ctx.save_for_backward(x)
        ctx.eps = eps
        z = x if eps is None else np.clip(x, x.dtype.type(eps), x.dtype.type(1 - eps))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(z / (1 - z))

    @staticmethod
    def backward(ctx, g):
        x, eps = ctx.saved[0], ctx.eps
        v = value(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            dx = g / (x * (1 - x) + 0.0)  # + 0.0: −0 becomes +0, as PyTorch's
        if eps is None:
            return where((v < 0) | (v > 1), np.nan, dx)
        return where((v < eps) | (v > 1 - eps), 0, dx)


class Maximum(Function):
    """z = max(a, b) elementwise;  da = g where a > b, db = g where b > a, each g/2
    at a tie (as PyTorch; NaN, which propagates, passes g to both)"""

    twice_differentiable = True
    pick = staticmethod(np.maximum)  # Minimum reuses all of it with np.minimum

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.pick(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = (value(t) for t in ctx.saved)
        half = where(a == b, g / 2, g)
        a_loses = a < b if ctx.pick is np.maximum else a > b
        b_loses = a > b if ctx.pick is np.maximum else a < b
        return where(a_loses, 0, half), where(b_loses, 0, half)


class Atan2(Function):
    """z = atan2(a, b), the angle of the point (b, a);  da = g·b/(a² + b²),
    db = −g·a/(a² + b²) (0 at the origin, as PyTorch's)"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved  # Tensors under create_graph: the formula is differentiated
        d = a * a + b * b
        with np.errstate(divide="ignore", invalid="ignore"):
            r = where(value(d) == 0, 0, 1 / d)
            return g * b * r, g * -a * r


class Minimum(Maximum):
    """z = min(a, b) elementwise;  da = g where a < b, db = g where b < a, each g/2
    at a tie"""

    pick = staticmethod(np.minimum)


class ClampTensors(Function):
    """y = min(max(x, lo), hi) with tensor bounds (either may be missing);  dx = g
    where lo ≤ x ≤ hi,  dlo = g where x < lo < hi,  dhi = g where x > hi or hi < lo
    (as PyTorch; with one bound only, dlo = g where x < lo, dhi = g where x > hi)"""

    twice_differentiable = True
    torch_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, x, *bounds, has_lo, has_hi):
        ctx.save_for_backward(x, *bounds)
        ctx.has_lo, ctx.has_hi = has_lo, has_hi
        y = np.maximum(x, bounds[0]) if has_lo else x
        return np.minimum(y, bounds[-1]) if has_hi else y

    @staticmethod
    def backward(ctx, g):
        x, *bounds = (value(t) for t in ctx.saved)
        if not ctx.has_hi:
            lo = bounds[0]
            return where(x >= lo, g, 0), where(x < lo, g, 0)
        if not ctx.has_lo:
            hi = bounds[0]
            return where(x <= hi, g, 0), where(x > hi, g, 0)
        lo, hi = bounds
        return (where((x >= lo) & (x <= hi), g, 0), where((x < lo) & (lo < hi), g, 0),
                where((x > hi) | (hi < lo), g, 0))



class ClampMinTensor(ClampTensors):
    """y = max(x, lo) with a tensor bound (clamp_min): ClampTensors with lo only"""

    torch_name = "ClampMinBackward1"


class ClampMaxTensor(ClampTensors):
    """y = min(x, hi) with a tensor bound (clamp_max): ClampTensors with hi only"""

    torch_name = "ClampMaxBackward1"

class Lerp(Function):
    """y = a + w·(b − a) (rounded from the nearer end, as PyTorch);  da = g·(1 − w),
    db = g·w,  dw = g·(b − a)"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, a, b, w, number_weight=False):
        if not number_weight:  # PyTorch's node for a tensor weight
            ctx.torch_name = "LerpBackward1"
        ctx.save_for_backward(a, b, w)
        with np.errstate(invalid="ignore", over="ignore"):
            return np.where(np.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))

    @staticmethod
    def backward(ctx, g):
        a, b, w = ctx.saved
        need = ctx.needs_input_grad
        with np.errstate(invalid="ignore", over="ignore"):
            return (g * (1 - w) if need[0] else None, g * w if need[1] else None,
                    g * (b - a) if need[2] else None)
