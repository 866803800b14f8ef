"""More movement primitives: flip, roll, repeat and the diagonal (a writable view),
each self-adjoint or paired with its adjoint, so every backward is a recorded op
under ``create_graph=True``. (split, narrow, movedim, … are views composed from
``shape.py``'s Index, Permute and Reshape; see ``reshaping.py``.)"""

from __future__ import annotations

import numpy as np

from ..function import Function
from .either import expand, through, value, zeros_like
from .shape import Index


class Flip(Function):
    """y = x reversed along dims (a copy, as PyTorch's);  dx = g reversed along dims"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x, dims).copy()

    @staticmethod
    def backward(ctx, g):
        return through(Flip, g, dims=ctx.dims)


class Roll(Function):
    """y = x shifted cyclically by shifts along dims (flattened if dims is None);
    dx = g shifted back by −shifts"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return np.roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return through(Roll, g, shifts=back, dims=ctx.dims)


class Repeat(Function):
    """y = x tiled reps[i] times along dim i (x.repeat);  dx = g cut into its tiles and
    the tiles summed"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape, ctx.reps = x.shape, reps
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        padded = (1,) * (len(ctx.reps) - len(ctx.shape)) + tuple(ctx.shape)
        pairs = tuple(n for r, s in zip(ctx.reps, padded) for n in (r, s))
        tiles = tuple(range(0, len(pairs), 2))  # the axes that count the copies
        return g.reshape(pairs).sum(axis=tiles).reshape(ctx.shape)


def _writable_diagonal(x, offset, dim1, dim2):
    d = np.diagonal(x, offset, dim1, dim2)  # NumPy's is read-only; PyTorch's is writable
    d.flags.writeable = x.flags.writeable
    return d


class Diagonal(Function):
    """y = the diagonal of x over (dim1, dim2), a view, as its last dim;
    dx = zeros with g written on that diagonal"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.shape, ctx.where = x.shape, (offset, dim1, dim2)
        return _writable_diagonal(x, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, g):
        offset, dim1, dim2 = ctx.where
        return through(DiagonalScatter, g, shape=ctx.shape, offset=offset, dim1=dim1,
                       dim2=dim2)


class DiagonalCopy(Diagonal):
    """y = a copy of the diagonal of a matrix (torch.diag);  dx = g on the diagonal"""

    torch_name = "DiagonalBackward0_copy"

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        return Diagonal.forward(ctx, x, offset, dim1, dim2).copy()


class DiagonalScatter(Function):
    """y = zeros(shape) with x written on the diagonal over (dim1, dim2) (the adjoint of
    diagonal);  dx = g's diagonal"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, shape, offset, dim1, dim2):
        ctx.where = (offset, dim1, dim2)
        y = np.zeros(shape, x.dtype)
        _writable_diagonal(y, offset, dim1, dim2)[...] = x
        return y

    @staticmethod
    def backward(ctx, g):
        offset, dim1, dim2 = ctx.where
        return through(Diagonal, g, offset=offset, dim1=dim1, dim2=dim2)


class Trace(Function):
    """y = Σᵢ xᵢᵢ (integers summed in int64, as torch.sum);  dx = g on the diagonal"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x):
        ctx.shape = x.shape
        return np.asarray(np.trace(x, dtype=np.int64 if x.dtype.kind in "iu" else x.dtype))

    @staticmethod
    def backward(ctx, g):
        n = min(ctx.shape)
        return through(DiagonalScatter, expand(g, (n,)), shape=ctx.shape, offset=0, dim1=0,
                       dim2=1)


class DiagEmbed(DiagonalScatter):
    """y = a square matrix with the vector x on its offset diagonal (torch.diag of a
    vector);  dx = g's diagonal"""

    torch_name = "DiagEmbedBackward0"


class Sign(Function):
    """y = sign(x) (−1, 0 or 1; 0 for NaN, as PyTorch);  dx = 0"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x):
        if x.dtype == bool:
            return x.copy()
        return np.where(np.isnan(x), 0, np.sign(x)).astype(x.dtype) if x.dtype.kind == "f" \
            else np.sign(x)

    @staticmethod
    def backward(ctx, g):
        return zeros_like(g)


class NanToNum(Function):
    """y = x with NaN, +inf, −inf replaced by numbers;  dx = g where x is finite, else 0"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.finite = np.isfinite(x)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.finite.astype(value(g).dtype)


class Split(Index):
    """y = one piece of x cut along a dim (split, chunk: a view);  dx = g in its place"""

    torch_name = "SplitBackward0"
    backward_name = Function.backward_name


class SplitWithSizes(Split):
    """y = one piece of x cut along a dim at given sizes;  dx = g in its place"""

    torch_name = "SplitWithSizesBackward0"


class IndexSelect(Split):
    """y = x's slices at index along a dim (a copy);  dx = g added back at index"""

    torch_name = "IndexSelectBackward0"


class MaskedSelect(Split):
    """y = x's elements where mask, as a 1-d tensor;  dx = g put back where mask"""

    torch_name = "MaskedSelectBackward0"
