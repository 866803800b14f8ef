"""Unary elementwise primitives: forward and backward side by side.

Notation in the docstrings: ``g`` is the gradient of the output, ``dx`` the
gradient of input ``x``. Every backward here also runs on Tensors, for gradients of
gradients (``twice_differentiable``, see ``function.py``); ``either.py`` has the few
functions arrays and Tensors spell differently.
"""

from __future__ import annotations

import numpy as np

from ..dtypes import ZERO
from ..function import Function
from .either import astype, value


class Neg(Function):
    """y = −x;  dx = −g"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(Function):
    """y = eˣ;  dx = g·y"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved[0]


class Log(Function):
    """y = ln x;  dx = g / x"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    @staticmethod
    def backward(ctx, g):
        return g / ctx.saved[0]


class Sqrt(Function):
    """y = √x;  dx = g / (2y)"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        with np.errstate(divide="ignore"):
            return g / (2 * ctx.saved[0])


class ReLU(Function):
    """y = max(x, 0);  dx = g·1[y ≠ 0]"""

    twice_differentiable = True
    torch_name = "ReluBackward0"
    broadcasts = False

    # The gradient at exactly 0 is 0 and a NaN passes it through, as in PyTorch: both
    # are read off the output (y ≥ 0, so y ≠ 0 means y > 0). g·mask, not np.where:
    # np.where has no vectorised float loop and is 7× slower on a 256×128 batch.

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, ZERO[x.dtype])
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved[0]
        return g * (y != ZERO[y.dtype])


class Sigmoid(Function):
    """y = 1 / (1 + e⁻ˣ);  dx = g·y·(1 − y)"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x):
        # exp of a negative argument only, so large |x| neither overflows nor warns
        e = np.exp(-np.abs(x))
        y = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved[0]
        return g * y * (1 - y)


class Tanh(Function):
    """y = tanh x;  dx = g·(1 − y²)"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved[0]
        return g * (1 - y * y)


class Abs(Function):
    """y = |x|;  dx = g·sign(x)  (0 at x = 0 and at NaN, as PyTorch)"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        x = value(ctx.saved[0])
        return g * ((x > 0).astype(x.dtype) - (x < 0))


class Clamp(Function):
    """y = min(max(x, lo), hi);  dx = g·1[lo ≤ x ≤ hi]"""

    twice_differentiable = True
    torch_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        x = value(ctx.saved[0])
        mask = np.ones(x.shape, bool)
        if ctx.lo is not None:
            mask &= x >= ctx.lo
        if ctx.hi is not None:
            mask &= x <= ctx.hi
        return g * mask



class ClampMin(Clamp):
    """y = max(x, lo): clamp_min, PyTorch's own node;  dx = g·1[x ≥ lo]"""

    torch_name = "ClampMinBackward0"


class ClampMax(Clamp):
    """y = min(x, hi): clamp_max, PyTorch's own node;  dx = g·1[x ≤ hi]"""

    torch_name = "ClampMaxBackward0"

class Cast(Function):
    """y = x as another dtype;  dx = g cast back"""

    twice_differentiable = True
    torch_name = "ToCopyBackward0"
    broadcasts = False

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return astype(g, ctx.in_dtype)


class Clone(Cast):
    """y = a copy of x;  dx = g"""

    torch_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.in_dtype = x.dtype
        return x.copy()
