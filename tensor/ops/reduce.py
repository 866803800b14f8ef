"""Reductions: sum, mean, amax and amin over any set of axes, forward and backward
side by side (max/min and their indices are built on these in ``methods.py``)."""

from __future__ import annotations

import numpy as np

from ..dims import normalize_dims
from ..function import Function
from .either import expand, value
from .shape import where


def reduce_dims(dim, ndim: int, op: str) -> tuple:
    """The axes a reduction runs over: ``None``, ``()`` and ``[]`` mean all of them,
    as in PyTorch; a 0-d tensor accepts dim 0 or −1 and has no axis to reduce."""
    if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) == 0:
        dim = None
    axes = normalize_dims(dim, ndim, op)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}: dim {dim} names a dimension more than once")
    return axes if ndim else ()


def _keepdim_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """y = Σ x over axes;  dx = g broadcast back to x's shape"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, axes, keepdim, dim_given=False):
        ctx.shape, ctx.axes = x.shape, axes
        if dim_given:  # PyTorch's node for sum(dim)
            ctx.torch_name = "SumBackward1"
        # integers and bools sum to int64, as PyTorch (NumPy gives uint64 for uint8)
        dtype = None if x.dtype.kind == "f" else np.int64
        return np.asarray(np.sum(x, axis=axes, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, g):
        return expand(g.reshape(_keepdim_shape(ctx.shape, ctx.axes)), ctx.shape)


class Mean(Function):
    """y = Σ x / n over axes;  dx = g / n broadcast back"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, axes, keepdim, dim_given=False):
        ctx.shape, ctx.axes = x.shape, axes
        if dim_given:  # PyTorch's node for mean(dim)
            ctx.torch_name = "MeanBackward1"
        n = 1
        for a in axes:
            n *= x.shape[a]
        if n == 0:
            with np.errstate(invalid="ignore"):  # nan, as PyTorch, without a warning
                return np.asarray(np.sum(x, axis=axes, keepdims=keepdim) / x.dtype.type(0))
        # sum / n rather than np.mean, whose Python wrapper costs more than the sum
        return np.asarray(x.sum(axis=axes, keepdims=keepdim) / x.dtype.type(n))

    @staticmethod
    def backward(ctx, g):
        n = 1
        for a in ctx.axes:
            n *= ctx.shape[a]
        return expand(g.reshape(_keepdim_shape(ctx.shape, ctx.axes)) / n, ctx.shape)


class Amax(Function):
    """y = max x over axes;  dx = g shared evenly among the maxima (as torch.amax)"""

    twice_differentiable = True

    extreme = staticmethod(np.amax)  # Amin reuses all of it with np.amin
    whole = "MaxBackward1"  # PyTorch's node for max() of the whole tensor

    def backward_name(self) -> str:
        return self.whole if self.nan_shares else Function.backward_name(self)

    @staticmethod
    def forward(ctx, x, axes, keepdim, nan_shares=False):
        y = ctx.extreme(x, axis=axes, keepdims=True)
        ctx.save_for_backward(x, y)
        ctx.axes, ctx.nan_shares = axes, nan_shares
        return y if keepdim else y.reshape([n for i, n in enumerate(y.shape) if i not in axes])

    @staticmethod
    def backward(ctx, g):
        x, y = (value(a) for a in ctx.saved)
        # torch.max() of the whole tensor shares a NaN result's gradient among the
        # NaNs; amax/amin (and torch's) give NaN gradients there
        mask = np.asarray(np.isnan(x) if ctx.nan_shares and np.isnan(y).any() else x == y)
        g = g.reshape(y.shape)
        return mask * (g / mask.sum(axis=ctx.axes, keepdims=True))


class Amin(Amax):
    """y = min x over axes;  dx = g shared evenly among the minima (as torch.amin)"""

    extreme = staticmethod(np.amin)
    whole = "MinBackward1"


class VectorNorm(Function):
    """y = √Σ x² over axes;  dx = g·x / y, and 0 where y = 0 (as PyTorch: the
    composed √ would give 0/0 there)"""

    twice_differentiable = True

    broadcasts = False
    torch_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, axes, keepdim, whole=False):
        y = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))
        if whole and y.size == x.size:  # each slice one number, as PyTorch's: |x|, whose
            y = np.abs(x).reshape(y.shape)  # x² could under- or overflow
        ctx.axes = axes
        if not keepdim:
            y = y.reshape([n for i, n in enumerate(y.shape) if i not in axes])
        y = np.asarray(y)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        shape = _keepdim_shape(x.shape, ctx.axes)
        g, y = g.reshape(shape), y.reshape(shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * where(value(y) == 0, 0, x / y)


class Median(Function):
    """y = the lower median of all of x (NaN if x has one; ignoring NaNs: nanmedian);
    dx = g shared evenly among the elements equal to y, as PyTorch's median()"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, skip_nan):
        flat = np.sort(x.reshape(-1), kind="stable")  # NaN sorts last
        if skip_nan and flat.dtype.kind == "f":
            flat = flat[~np.isnan(flat)]
        if flat.size == 0:
            y = np.asarray(np.nan, x.dtype)
        elif not skip_nan and flat.dtype.kind == "f" and np.isnan(flat[-1]):
            y = np.asarray(flat[-1])
        else:
            y = np.asarray(flat[(flat.size - 1) // 2])
        ctx.save_for_backward(x, y)
        ctx.skip_nan = skip_nan
        return y.copy()

    def backward_name(self) -> str:
        return "NanmedianBackward0" if self.skip_nan else "MedianBackward0"

    @staticmethod
    def backward(ctx, g):
        x, y = (value(a) for a in ctx.saved)
        mask = np.asarray(np.isnan(x) if y.dtype.kind == "f" and np.isnan(y) else x == y)
        return mask * (g / max(mask.sum(), 1))
