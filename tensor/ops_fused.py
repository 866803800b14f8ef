"""Matrix products and the fused ops that are faster and more stable than their
compositions: ``linear``, ``softmax``, ``log_softmax``, ``cross_entropy``.
Each fused VJP is checked against the composed ops in the tests."""

from __future__ import annotations

import numpy as np

from .dtypes import ONE
from .function import Function, unbroadcast
from .random import generator

# The ufuncs' own reductions: ndarray.sum/max add a Python frame on every call.
_sum = np.add.reduce
_max = np.maximum.reduce
# Without its __array_function__ dispatch (a Python frame per call): the op passes
# plain ndarrays, for which the dispatch never changes the result.
_ravel_multi_index = getattr(np.ravel_multi_index, "_implementation", np.ravel_multi_index)


def _mT(a):
    return a.swapaxes(-1, -2)


class MatMul(Function):
    """z = x @ y;  dx = g @ yᵀ,  dy = xᵀ @ g  (1-D operands as in numpy/PyTorch)"""

    torch_name = "MmBackward0"

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x @ y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        nx, ny = ctx.needs_input_grad
        if x.ndim == 1 and y.ndim == 1:
            return (g * y if nx else None), (g * x if ny else None)
        if x.ndim == 1:  # (n,) @ (…, n, m) -> (…, m)
            dx = (g[..., None, :] @ _mT(y))[..., 0, :] if nx else None
            dy = x[:, None] * g[..., None, :] if ny else None
            return dx, dy
        if y.ndim == 1:  # (…, m, n) @ (n,) -> (…, m)
            dx = g[..., :, None] * y if nx else None
            dy = (_mT(x) @ g[..., :, None])[..., 0] if ny else None
            return dx, dy
        return (g @ _mT(y) if nx else None), (_mT(x) @ g if ny else None)

    @classmethod
    def error(cls, arrays, exc):
        a, b = arrays
        return RuntimeError(f"matmul: shapes {a.shape} and {b.shape} cannot be multiplied")


class Linear(Function):
    """y = x·Wᵀ + b;  dx = g·W,  dW = gᵀ·x,  db = Σₙ g"""

    broadcasts = False  # db is summed here, to b's own shape

    def backward_name(self) -> str:
        return "AddmmBackward0" if len(self.needs_input_grad) == 3 else "MmBackward0"

    @property
    def next_functions(self) -> tuple:
        """In PyTorch's order for addmm: bias, input, weight."""
        edges = Function.next_functions.fget(self)
        return (edges[2], *edges[:2]) if len(edges) == 3 else edges

    # @ (np.matmul), not np.dot: np.dot zeroes its output before the BLAS call, which
    # zeroes it again; for dW of the first layer that is a wasted 400 KB pass per step

    @staticmethod
    def forward(ctx, x, w, b=None):
        ctx.save_for_backward(x, w, b)
        y = x @ w.T
        if b is not None:
            y += b
        return y

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.saved
        need = ctx.needs_input_grad
        if b is None or not need[2]:
            db = None
        elif b.ndim == 1 and g.ndim == 2:  # the usual (out,) bias of a batch
            db = _sum(g, 0)
        else:  # any bias that broadcasts against the output: (), (1, out), (n, out), …
            db = unbroadcast(g, b.shape)
        if w.ndim == 1:  # a weight vector (in,): one output per row, y = x·w
            dx = g[..., None] * w if need[0] else None
            dw = np.tensordot(g, x, g.ndim) if need[1] else None
        else:
            dx = g @ w if need[0] else None
            if x.ndim != 2:  # leading batch dims fold into one
                g, x = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
            # (xᵀ·g)ᵀ rather than gᵀ·x: the product lands in the layout of a column-major
            # weight (see nn.Linear), so the optimizer's update needs no transposing copy
            dw = (x.T @ g).T if need[1] else None
        return (dx, dw) if b is None else (dx, dw, db)

    @classmethod
    def error(cls, arrays, exc):
        x, w = arrays[:2]
        return RuntimeError(
            f"linear: input of shape {x.shape} cannot be multiplied by weight of shape "
            f"{w.shape} (expected input's last dimension {w.shape[-1]})"
        )


def _log_softmax(x, axis):
    if x.size == 0:
        return x.copy()
    z = x - x.max(axis=axis, keepdims=True)  # max subtracted: e^z never overflows
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


class LogSoftmax(Function):
    """y = x − max − log Σ e^(x − max);  dx = g − softmax(x)·Σ g"""

    broadcasts = False

    @staticmethod
    def forward(ctx, x, dim):
        y = _log_softmax(x, dim)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved[0]
        return g - np.exp(y) * g.sum(axis=ctx.dim, keepdims=True)


class Softmax(Function):
    """y = e^(x − max) / Σ e^(x − max);  dx = y·(g − Σ g·y)"""

    broadcasts = False

    @staticmethod
    def forward(ctx, x, dim):
        if x.size == 0:
            ctx.save_for_backward(x)
            ctx.dim = dim
            return x.copy()
        e = np.exp(x - np.amax(x, axis=dim, keepdims=True))
        y = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved[0]
        return y * (g - (g * y).sum(axis=ctx.dim, keepdims=True))


_ARANGE = {}


def _arange(n: int) -> np.ndarray:
    """0…n−1, cached: the same few batch sizes come back every step. At most 8
    sizes are kept, so a sweep over batch sizes cannot grow it without bound."""
    rows = _ARANGE.get(n)
    if rows is None:
        if len(_ARANGE) >= 8:
            _ARANGE.clear()
        rows = _ARANGE[n] = np.arange(n)
        rows.flags.writeable = False
    return rows


def target_positions(target: np.ndarray, shape: tuple, op: str = "cross_entropy") -> np.ndarray:
    """The flat positions of x[n, targetₙ] in an (N, C) x; checks 0 ≤ t < C in the
    same call."""
    n, c = shape
    try:
        return _ravel_multi_index((_arange(n), target), shape)
    except ValueError:
        bad = target[(target < 0) | (target >= c)][0]
        raise IndexError(f"{op}: target {bad} is out of bounds for {c} classes") from None


class CrossEntropy(Function):
    """ℓₙ = −log softmax(xₙ)[tₙ], reduced;  dxₙ = (softmax(xₙ) − one_hot(tₙ))·g (/ N for mean)"""

    torch_name = "NllLossBackward0"
    broadcasts = False

    @staticmethod
    def forward(ctx, x, target, reduction):
        n, c = x.shape
        # an empty batch has no row maximum to take out (NumPy refuses (0, 0))
        z = x - _max(x, 1, keepdims=True) if n else x
        e = np.exp(z)
        s = _sum(e, 1, keepdims=True)
        picked = target_positions(target, x.shape)
        ctx.save_for_backward(e, s)
        ctx.picked, ctx.reduction = picked, reduction
        if reduction == "none":
            return np.log(s).reshape(n) - z.take(picked)
        total = _sum(np.log(s), None) - _sum(z.take(picked))
        if reduction == "mean":
            total = total / n if n else np.nan  # an empty batch's mean is NaN, as PyTorch
        return np.asarray(total, x.dtype)

    @staticmethod
    def backward(ctx, g):
        e, s = ctx.saved
        dx = e / s  # softmax(x), a fresh array
        picked = ctx.picked
        # − one_hot(t); take/put skip fancy indexing
        dx.put(picked, dx.take(picked) - ONE[dx.dtype])
        if ctx.reduction == "none":
            dx *= g[:, None]
        else:
            dx *= float(g) / max(len(dx), 1) if ctx.reduction == "mean" else float(g)
        return dx

    @classmethod
    def error(cls, arrays, exc):
        return exc if isinstance(exc, IndexError) else super().error(arrays, exc)


class Dropout(Function):
    """y = x·m / (1 − p), m ~ Bernoulli(1 − p) drawn from the global generator on every
    call;  dx = g·m / (1 − p)"""

    torch_name = "MulBackward0"  # PyTorch's eager dropout is a multiplication by the mask
    broadcasts = False

    @staticmethod
    def forward(ctx, x, p):
        keep = generator().random(x.shape, dtype=np.float32) >= p  # float32 draws: half the cost
        ctx.mask = keep * np.asarray(1.0 / (1.0 - p), x.dtype)
        return x * ctx.mask

    @staticmethod
    def backward(ctx, g):
        return g * ctx.mask
