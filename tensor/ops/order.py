"""The indices of order statistics (no gradient: the values are gathered at them,
so their gradient is gather's: `Picked`). Ops rather than NumPy calls in the method,
so that ``tensor.compile`` records them and a replay sorts the new input."""

from __future__ import annotations

import numpy as np

from .nograd import NoGrad
from .shape import Gather


def stable_argsort(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Indices that sort ``a`` along ``axis``, equal elements in their original order
    and NaN as the largest value (as PyTorch's sort with stable=True). Descending:
    the ascending order of the reversed array, reversed back (negating would break
    unsigned and bool dtypes and move NaN to the wrong end)."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    reversed_order = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
    return np.flip(n - 1 - reversed_order, axis)


class SortIndices(NoGrad):
    """y = the indices that sort x along dim (the first k of them, if k is given)"""

    @staticmethod
    def forward(ctx, x, dim, descending, k=None):
        order = stable_argsort(x, dim, descending)
        return order if k is None else np.take(order, range(k), axis=dim)


class RankIndex(NoGrad):
    """y = the index along dim of the element of a given rank (keepdim shape):
    k (0-based), "median" (the lower one; the first NaN if any) or "nanmedian"
    (the lower median of the non-NaN elements)"""

    @staticmethod
    def forward(ctx, x, dim, rank):
        n = x.shape[dim]
        order = stable_argsort(x, dim, descending=False)
        nans = np.isnan(x).sum(axis=dim, keepdims=True) if x.dtype.kind == "f" else \
            np.zeros_like(np.take(order, [0], axis=dim))
        if rank == "median":
            pos = np.where(nans > 0, n - nans, (n - 1) // 2)
        elif rank == "nanmedian":
            pos = np.maximum((n - nans - 1) // 2, 0)
        else:
            pos = np.full(nans.shape, rank)
        return np.take_along_axis(order, pos.astype(np.int64), axis=dim)


class ModeIndex(NoGrad):
    """y = the index of the last occurrence of the most frequent value along dim (the
    smallest of equally frequent values), keepdim shape"""

    @staticmethod
    def forward(ctx, x, dim):
        rows = np.moveaxis(x, dim, -1)
        flat = rows.reshape(-1, rows.shape[-1])
        last = np.empty(flat.shape[0], np.int64)
        for r, row in enumerate(flat):
            values, counts = np.unique(row, return_counts=True)
            best = values[np.argmax(counts)]  # argmax: the first, the smallest value
            same = np.isnan(row) if row.dtype.kind == "f" and np.isnan(best) else row == best
            last[r] = np.flatnonzero(same)[-1]
        return np.expand_dims(last.reshape(rows.shape[:-1]), dim)


class Picked(Gather):
    """y = x gathered along dim at index, dim dropped unless keepdim: the values of
    max(dim), sort, topk, kthvalue, median(dim), mode, one node under PyTorch's name
    for each (``name``);  dx = g added back at index"""

    @staticmethod
    def forward(ctx, x, dim, index, keepdim=True, name=None):
        ctx.torch_name, ctx.keepdim = name, keepdim
        y = Gather.forward(ctx, x, dim, index)
        return y if keepdim else y.squeeze(dim)

    @staticmethod
    def backward(ctx, g):
        return Gather.backward(ctx, g if ctx.keepdim else g.reshape(ctx.index.shape))
