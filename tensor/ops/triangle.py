"""The triangles of a matrix (of each matrix in a batch): ``tril`` keeps the
elements on and below diagonal ``k``, ``triu`` those on and above it; the
gradient goes through the same mask."""

from __future__ import annotations

import numpy as np

from ..function import Function
from .either import through


class Tril(Function):
    """y = x·1[j − i ≤ k];  dx = g·1[j − i ≤ k]"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return np.tril(x, k)

    @staticmethod
    def backward(ctx, g):
        return through(Tril, g, k=ctx.k)


class Triu(Function):
    """y = x·1[j − i ≥ k];  dx = g·1[j − i ≥ k]"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return np.triu(x, k)

    @staticmethod
    def backward(ctx, g):
        return through(Triu, g, k=ctx.k)
