"""Matrix products and the fused ops that are faster and more stable than their
compositions: ``linear``, ``softmax``, ``log_softmax``, ``cross_entropy``.
Each fused VJP is checked against the composed ops in the tests."""

from __future__ import annotations

import numpy as np

from .function import Function


def _mT(a):
    return a.swapaxes(-1, -2)


class MatMul(Function):
    """z = x @ y;  dx = g @ yᵀ,  dy = xᵀ @ g  (1-D operands as in numpy/PyTorch)"""

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

    @staticmethod
    def forward(ctx, x, w, b=None):
        ctx.save_for_backward(x, w)
        y = x @ w.T
        if b is not None:
            y += b
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        need = ctx.needs_input_grad
        dx = g @ w if need[0] else None
        dw = None
        if need[1]:
            if x.ndim == 2:
                dw = g.T @ x
            else:  # leading batch dims fold into one
                dw = g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if len(need) == 2:
            return dx, dw
        db = g.reshape(-1, g.shape[-1]).sum(axis=0) if need[2] else None
        return dx, dw, db

    @classmethod
    def error(cls, arrays, exc):
        x, w = arrays[:2]
        return RuntimeError(
            f"linear: input of shape {x.shape} cannot be multiplied by weight of shape "
            f"{w.shape} (expected input's last dimension {w.shape[-1]})"
        )


def _log_softmax(x, axis):
    z = x - np.amax(x, axis=axis, keepdims=True)  # max subtracted: e^z never overflows
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


class LogSoftmax(Function):
    """y = x − max − log Σ e^(x − max);  dx = g − softmax(x)·Σ g"""

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

    @staticmethod
    def forward(ctx, x, dim):
        e = np.exp(x - np.amax(x, axis=dim, keepdims=True))
        y = e / e.sum(axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved[0]
        return y * (g - (g * y).sum(axis=ctx.dim, keepdims=True))


class CrossEntropy(Function):
    """ℓₙ = −log softmax(xₙ)[tₙ], reduced;  dxₙ = (softmax(xₙ) − one_hot(tₙ))·g (/ N for mean)"""

    @staticmethod
    def forward(ctx, x, target, reduction):
        n = x.shape[0]
        logp = _log_softmax(x, 1)
        rows = np.arange(n)
        losses = -logp[rows, target]
        ctx.save_for_backward(logp)
        ctx.target, ctx.reduction = target, reduction
        if reduction == "mean":
            return losses.mean()
        if reduction == "sum":
            return losses.sum()
        return losses

    @staticmethod
    def backward(ctx, g):
        logp = ctx.saved[0]
        n = logp.shape[0]
        dx = np.exp(logp)
        dx[np.arange(n), ctx.target] -= 1
        if ctx.reduction == "none":
            dx *= g[:, None]
        else:
            dx *= g / n if ctx.reduction == "mean" else g
        return dx
