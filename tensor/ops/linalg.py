"""Matrix products: ``matmul`` and the fused ``linear`` (one node, one GEMM each
way), forward and backward side by side."""

from __future__ import annotations

import numpy as np

from ..function import Function, unbroadcast
from .either import is_tensor
from .either import mT as _mT

# The ufunc's own reduction: ndarray.sum adds a Python frame on every call.
_sum = np.add.reduce


class MatMul(Function):
    """z = x @ y;  dx = g @ yᵀ,  dy = xᵀ @ g  (1-D operands as in numpy/PyTorch)"""

    torch_name = "MmBackward0"
    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        ctx.ndims = (x.ndim, y.ndim)
        return x @ y

    def backward_name(self) -> str:
        """PyTorch's node for the ranks matmul dispatched on (dot, mv, mm, or a batched
        product folded back into shape); dot/mv/bmm themselves keep their names."""
        if type(self) is not MatMul:
            return self.torch_name
        nx, ny = self.ndims
        if nx > 2 or ny > 2:
            return "CloneBackward0" if nx == 2 else "UnsafeViewBackward0"
        return {(1, 1): "DotBackward0", (2, 1): "MvBackward0",
                (1, 2): "SqueezeBackward4"}.get((nx, ny), "MmBackward0")

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
    twice_differentiable = True

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
            db = g.sum(0) if is_tensor(g) else _sum(g, 0)
        else:  # any bias that broadcasts against the output: (), (1, out), (n, out), …
            db = unbroadcast(g, b.shape)
        if w.ndim == 1:  # a weight vector (in,): one output per row, y = x·w
            dx = g[..., None] * w if need[0] else None
            dw = None
            if need[1]:  # Σ over the rows of g·x
                dw = (unbroadcast(g[..., None] * x, w.shape) if is_tensor(g)
                      else np.tensordot(g, x, g.ndim))
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
