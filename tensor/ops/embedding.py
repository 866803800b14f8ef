"""The embedding lookup: row ``i`` of a weight matrix for each index ``i``. Its
gradient adds each output row's gradient into the row it came from, so an index
used twice gets both (``np.add.at``), and the padding row gets none."""

from __future__ import annotations

import numpy as np

from ..function import Function
from .either import is_tensor
from .shape import IndexAdd, where


class Embedding(Function):
    """y[…] = W[idx[…]];  dW[r] = Σ_{idx[…] = r} g[…]  (dW[padding_idx] = 0)"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, weight, idx, padding_idx=None):
        ctx.idx, ctx.rows, ctx.padding_idx = idx, weight.shape[0], padding_idx
        return weight[idx]

    @staticmethod
    def backward(ctx, g):
        if is_tensor(g):  # create_graph: the rows of g added at idx, a recorded op
            if ctx.padding_idx is not None:
                g = where((ctx.idx == ctx.padding_idx)[..., None], 0, g)
            return IndexAdd.apply(g, shape=(ctx.rows, g.shape[-1]), key=ctx.idx)
        dw = np.zeros((ctx.rows, g.shape[-1]), g.dtype)
        np.add.at(dw, ctx.idx, g)
        if ctx.padding_idx is not None:
            dw[ctx.padding_idx] = 0
        return dw
