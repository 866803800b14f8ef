"""Ops whose result carries no gradient: comparisons, arg-reductions, casts to
integers or bools, tensors made from a shape. They are ops all the same, so that
``tensor.compile`` records them like any other and a replay computes them again
(``correct += (out.argmax(1) == y).sum()``, ``y.long()``, ``torch.zeros(n)``)."""

from __future__ import annotations

import numpy as np

from ..function import Function


class NoGrad(Function):
    """An op whose output never requires grad, whatever its inputs."""

    differentiable = False

    @staticmethod
    def backward(ctx, g):  # pragma: no cover - never part of a graph
        raise RuntimeError(f"{type(ctx).__name__} has no gradient")


class Compare(NoGrad):
    """y = fn(a, b): a comparison or bitwise op, elementwise (bool or integer)"""

    @staticmethod
    def forward(ctx, a, b, fn):
        return np.asarray(fn(a, b))  # 0-d operands give a NumPy scalar


class Predicate(NoGrad):
    """y = fn(x) of each element: a test (isnan, isfinite, …), logical or bitwise not"""

    @staticmethod
    def forward(ctx, x, fn):
        return np.asarray(fn(x))


class LogicalReduce(NoGrad):
    """y = whether all (any) elements along the axes are nonzero: bool (uint8 stays uint8)"""

    @staticmethod
    def forward(ctx, x, fn, axis, keepdims):
        out = np.asarray(fn(x, axis=axis, keepdims=keepdims))  # axis=(): each element's
        return out.astype(np.uint8) if x.dtype == np.uint8 else out


class ArgReduce(NoGrad):
    """y = the index of the max (min) along an axis, or in the flattened array"""

    @staticmethod
    def forward(ctx, x, fn, axis, keepdims):
        if axis is None:
            return np.asarray(fn(x), dtype=np.int64)
        return fn(x, axis=axis, keepdims=keepdims).astype(np.int64)


class AsType(NoGrad):
    """y = x converted to an integer or bool dtype (floats: the differentiable Cast)"""

    @staticmethod
    def forward(ctx, x, dtype):
        with np.errstate(invalid="ignore"):  # NaN/inf become INT_MIN, as PyTorch
            return x.astype(dtype)


class Full(NoGrad):
    """y = an array of a shape, every element fill_value"""

    @staticmethod
    def forward(ctx, shape, fill_value, dtype):
        return np.full(shape, fill_value, dtype)


class Arange(NoGrad):
    """y = start, start + step, … up to end (excluded)"""

    @staticmethod
    def forward(ctx, start, end, step, dtype):
        if dtype.kind != "f":
            return np.arange(start, end, step, dtype=dtype)
        # start + i·step in float64, then rounded once (np.arange(dtype=float32) adds the
        # float32 step up and drifts); PyTorch's vectorised kernel may differ in the last bit
        n = max(int(np.ceil((end - start) / step)), 0)
        return (start + np.arange(n) * float(step)).astype(dtype)


class Linspace(NoGrad):
    """y = steps values from start to end, evenly spaced (as PyTorch: the first half
    counted up from start, start + step·i, the second down from end, end − step·k,
    each rounded once: PyTorch's kernel is a fused multiply-add)"""

    @staticmethod
    def forward(ctx, start, end, steps, dtype):
        if steps == 1:
            return np.full(1, start, dtype)
        kind = dtype if dtype.kind == "f" else np.dtype(np.float64)
        if dtype.kind != "f":  # PyTorch casts the ends to the integer type first
            start, end = float(int(start)), float(int(end))
        step = (kind.type(end) - kind.type(start)) / kind.type(steps - 1)
        # the fused multiply-add in a wider type: float64 holds step·i exactly for
        # float32 (one rounding, at the cast back); long double (64-bit mantissa on
        # x86) for float64, off by an ulp in a few points per 100 000
        wide = np.float64 if kind.itemsize < 8 else np.longdouble
        i = np.arange(steps)
        up = wide(kind.type(start)) + wide(step) * i.astype(wide)
        down = wide(kind.type(end)) - wide(step) * (steps - 1 - i).astype(wide)
        y = np.where(i < steps // 2, up, down).astype(kind)
        return y.astype(dtype) if dtype.kind == "f" else np.trunc(y).astype(dtype)


class OneHot(NoGrad):
    """y[…, c] = 1 where x = c, else 0 (int64); num_classes −1: x's max + 1"""

    @staticmethod
    def forward(ctx, x, num_classes):
        if num_classes == -1:
            num_classes = int(x.max()) + 1 if x.size else 0
        if x.size and (x.min() < 0 or x.max() >= num_classes):
            raise ValueError(f"one_hot: class values must be in [0, {num_classes})")
        return np.eye(num_classes, dtype=np.int64)[x]
