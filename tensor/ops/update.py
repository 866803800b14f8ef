"""``x[key] = v`` recorded on a tensor in a graph (PyTorch's ``CopySlices``): the
result is x with the indexed elements replaced, so x's gradient there is 0 and v's
is the gradient at those elements (the engine sums it back to v's shape)."""

from __future__ import annotations

from ..function import Function
from .either import through
from .index import zeroed
from .shape import Index, _is_basic


class SetItem(Function):
    """y = x with y[key] = v;  dx = g with g[key] = 0,  dv = g[key]"""

    twice_differentiable = True

    def backward_name(self) -> str:
        """PyTorch's: CopySlices for x[0] = v, x[1:] = v; IndexPutBackward0 for an
        index array or mask."""
        return "CopySlices" if _is_basic(self.key) else "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, v, key):
        ctx.key = key
        y = x.copy()
        y[key] = v
        return y

    @staticmethod
    def backward(ctx, g):
        nx, nv = ctx.needs_input_grad
        dx = zeroed(g, lambda a, v: a.__setitem__(ctx.key, v)) if nx else None
        return dx, (through(Index, g, key=ctx.key) if nv else None)
