"""Writing through an index, out of place: index_put, index_add, scatter,
scatter_add. Each forward copies x and writes into the copy, so x's gradient is g
where x survived; the written values' gradient is g read back at their positions.
The in-place forms (``index_put_``, …, in ``indexing.py``) call the same writers
on the tensor's own array. Each backward is written in recorded ops too (`through`
the indexing ops of ``shape.py``), for gradients of gradients."""

from __future__ import annotations

import numpy as np

from ..function import Function
from . import shape
from .either import is_tensor, through


def put(a: np.ndarray, key, values, accumulate: bool) -> None:
    """a[key] = values, or a[key] += values with repeated positions all counted."""
    if accumulate:
        np.add.at(a, key, values)
    else:
        a[key] = values


def add_along(a: np.ndarray, dim: int, index: np.ndarray, source) -> None:
    """a.index_add_(dim, index, source): source's slice i added at a's slice index[i]."""
    np.add.at(np.moveaxis(a, dim, 0), index, np.moveaxis(np.asarray(source), dim, 0))


def _positions(index: np.ndarray, dim: int) -> tuple:
    """The full positions scatter writes: index along dim, the element's own
    coordinates along the others."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def scatter_into(a: np.ndarray, dim: int, index: np.ndarray, src, add: bool) -> None:
    """a.scatter_(dim, index, src) or a.scatter_add_(…); src is cut to index's shape
    (a 0-d ``a`` is written as its 1-element view, with a 1-element index)."""
    if index.size == 0:
        return
    view = a.reshape(1) if a.ndim == 0 else a
    src = np.asarray(src)
    if src.ndim:
        src = src[tuple(slice(0, n) for n in index.shape)]
    if add:
        np.add.at(view, _positions(index, dim), src)
    else:
        view[_positions(index, dim)] = src


def zeroed(g, write):
    """g with 0 where ``write(array, value)`` writes: on a copy of an array, through a
    constant mask on a Tensor (recorded, for create_graph)."""
    if is_tensor(g):
        mask = np.zeros(g.shape, bool)
        write(mask, True)
        return shape.where(mask, 0, g)
    dx = g.copy()
    write(dx, 0)
    return dx


class IndexPut(Function):
    """y = x with y[key] = v (accumulate: y[key] += v);  dx = g, 0 at key unless
    accumulating;  dv = g[key]"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, v, key, accumulate):
        ctx.key, ctx.accumulate = key, accumulate
        y = x.copy()
        put(y, key, v, accumulate)
        return y

    @staticmethod
    def backward(ctx, g):
        dx = dv = None
        if ctx.needs_input_grad[0]:
            dx = g if ctx.accumulate else zeroed(g, lambda a, v: a.__setitem__(ctx.key, v))
        if ctx.needs_input_grad[1]:
            dv = through(shape.Index, g, key=ctx.key)
        return dx, dv


class IndexAdd(Function):
    """y = x with s's slice i added at slice index[i] along dim;  dx = g,
    ds = α·g's slices at index"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, s, dim, index, alpha):
        ctx.dim, ctx.index, ctx.alpha = dim, index, alpha
        y = x.copy()
        add_along(y, dim, index, s if alpha == 1 else s * alpha)
        return y

    @staticmethod
    def backward(ctx, g):
        key = (slice(None),) * ctx.dim + (ctx.index,)
        ds = through(shape.Index, g if g.ndim else g.reshape(1), key=key)
        return g, (ds * ctx.alpha if ctx.alpha != 1 else ds)


class Scatter(Function):
    """y = x with y[…index[i]…] = s[i] along dim (add: += s[i]);  dx = g, 0 where
    written unless adding;  ds = g gathered at index (0 beyond index's shape)"""

    twice_differentiable = True

    def backward_name(self) -> str:
        return "ScatterAddBackward0" if self.add else "ScatterBackward0"

    @staticmethod
    def forward(ctx, x, s, dim, index, add):
        ctx.shape, ctx.dim, ctx.index, ctx.add = s.shape, dim, index, add
        y = x.copy()
        scatter_into(y, dim, index, s, add)
        return y

    @staticmethod
    def backward(ctx, g):
        dx = ds = None
        if ctx.needs_input_grad[0]:
            dx = g if ctx.add else zeroed(
                g, lambda a, v: scatter_into(a, ctx.dim, ctx.index, v, add=False))
        if ctx.needs_input_grad[1]:
            picked = through(shape.Index, g.reshape(1) if g.ndim == 0 else g,
                             key=_positions(ctx.index, ctx.dim))
            ds = picked if tuple(picked.shape) == ctx.shape else through(
                shape.IndexAdd, picked.reshape(ctx.index.shape), shape=ctx.shape,
                key=tuple(slice(0, n) for n in ctx.index.shape) if ctx.shape else ())
        return dx, ds
