"""The triangles of a matrix (of each matrix in a batch): ``tril`` keeps the
elements on and below diagonal ``k``, ``triu`` those on and above it; the
gradient goes through the same mask."""

from __future__ import annotations

import numpy as np

from ..function import Function


class Tril(Function):
    """y = x·1[j − i ≤ k];  dx = g·1[j − i ≤ k]"""

    broadcasts = False

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return np.tril(x, k)

    @staticmethod
    def backward(ctx, g):
        return np.tril(g, ctx.k)


class Triu(Function):
    """y = x·1[j − i ≥ k];  dx = g·1[j − i ≥ k]"""

    broadcasts = False

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return np.triu(x, k)

    @staticmethod
    def backward(ctx, g):
        return np.triu(g, ctx.k)
