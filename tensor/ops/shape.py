"""Movement and indexing primitives: they move numbers around without changing them,
so each backward moves the gradient back."""

from __future__ import annotations

import numpy as np

from ..function import Function, shapes_of
from .either import constant, is_tensor, permute, split, through


def index_key(index):
    """A ``__getitem__`` key with Tensors replaced by their arrays."""
    if isinstance(index, tuple):
        return tuple(_index_part(i) for i in index)
    return _index_part(index)


def _index_part(i):
    data = getattr(i, "data", None)
    if isinstance(data, np.ndarray):
        return data
    if isinstance(i, list):  # [] is an empty integer index, not a float array
        return np.asarray(i) if i else np.zeros(0, np.intp)
    return i


def _is_basic(key) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return not any(isinstance(p, np.ndarray) for p in parts)


class Reshape(Function):
    """y = x viewed with a new shape;  dx = g reshaped back"""

    twice_differentiable = True
    torch_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape)

    @classmethod
    def error(cls, arrays, exc):
        return RuntimeError(f"reshape: {exc} (input shape {arrays[0].shape})")


class Permute(Function):
    """y = x with axes reordered;  dx = g with the inverse order"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return permute(g, np.argsort(ctx.dims))


class Transpose(Permute):
    """y = x with two axes swapped (transpose, mT);  dx = g swapped back"""

    torch_name = "TransposeBackward0"


class TransposeT(Permute):
    """y = xᵀ of a matrix (t());  dx = gᵀ"""

    torch_name = "TBackward0"


class Unsqueeze(Reshape):
    """y = x with a size-1 axis inserted;  dx = g reshaped back"""

    torch_name = "UnsqueezeBackward0"


class Squeeze(Reshape):
    """y = x without (some of) its size-1 axes;  dx = g reshaped back. PyTorch's node
    name says how the dims were given: none (0), one (1), several (2)"""

    @staticmethod
    def forward(ctx, x, shape, given=0):
        ctx.torch_name = f"SqueezeBackward{given}"
        return Reshape.forward(ctx, x, shape)


class Expand(Function):
    """y = x broadcast to a larger shape;  dx = g summed back (done by the engine)"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g

    @classmethod
    def error(cls, arrays, exc):
        return RuntimeError(f"expand: cannot expand a tensor of shape {arrays[0].shape}: {exc}")


class Index(Function):
    """y = x[key];  dx = zeros with g added back at key (repeated indices add up)"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, key):
        ctx.shape, ctx.dtype, ctx.key = x.shape, x.dtype, key
        y = x[key]
        if not isinstance(y, np.ndarray):  # one element: a 0-d array (a view, as x[0, 1]
            y = x[(*key, ...) if isinstance(key, tuple) else (key, ...)]  # is in PyTorch)
        return y

    def backward_name(self) -> str:
        """PyTorch's name for the last step of the indexing: x[0] selects, x[1:] slices,
        an index array or mask indexes."""
        if not _is_basic(self.key):
            return "IndexBackward0"
        name = "AliasBackward0"
        for part in self.key if isinstance(self.key, tuple) else (self.key,):
            if isinstance(part, (int, np.integer)):
                name = "SelectBackward0"
            elif isinstance(part, slice) and part != slice(None):
                name = "SliceBackward0"
            elif part is None:
                name = "UnsqueezeBackward0"
        return name

    @staticmethod
    def backward(ctx, g):
        return through(IndexAdd, g, shape=ctx.shape, key=ctx.key)

    @classmethod
    def error(cls, arrays, exc):
        return IndexError(f"index: {exc} (tensor of shape {arrays[0].shape})")


class IndexAdd(Function):
    """y = zeros(shape) with x added at key (the adjoint of x[key]);  dx = g[key]"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, shape, key):
        ctx.key = key
        y = np.zeros(shape, x.dtype)
        if _is_basic(key):
            y[key] = x
        else:
            np.add.at(y, key, x)
        return y

    @staticmethod
    def backward(ctx, g):
        return through(Index, g, key=ctx.key)


class Cat(Function):
    """y = [x₀, x₁, …] joined along dim;  dxᵢ = the slice of g that xᵢ became"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, *xs, dim):
        # PyTorch's legacy rule: a 1-d empty tensor joins anything, by being skipped
        skip = [x.shape == (0,) for x in xs]
        if all(skip):
            skip = [False] * len(xs)
        kept = [x for x, s in zip(xs, skip) if not s]
        ctx.dim, ctx.skip = dim, skip
        ctx.splits = np.cumsum([x.shape[dim] for x in kept])[:-1]
        return np.concatenate(kept, axis=dim)

    @staticmethod
    def backward(ctx, g):
        parts = iter(split(g, ctx.splits, ctx.dim))
        empty = np.zeros(0, (g.data if is_tensor(g) else g).dtype)
        grads = [(constant(empty) if is_tensor(g) else empty) if s else next(parts)
                 for s in ctx.skip]
        return grads[0] if len(grads) == 1 else tuple(grads)  # one input: a bare gradient

    @classmethod
    def error(cls, arrays, exc):
        return RuntimeError(f"cat: tensors of shapes {shapes_of(arrays)} cannot be joined: {exc}")


class Stack(Function):
    """y = [x₀, x₁, …] joined along a new dim;  dxᵢ = g's slice i along dim"""

    twice_differentiable = True
    broadcasts = False

    @staticmethod
    def forward(ctx, *xs, dim):
        ctx.dim, ctx.n = dim, len(xs)
        return np.stack(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.dim
        parts = tuple(through(Index, g, key=(*lead, i)) for i in range(ctx.n))
        return parts[0] if ctx.n == 1 else parts  # one input: a bare gradient


class Where(Function):
    """y = cond ? a : b;  da = g·cond,  db = g·¬cond"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, a, b, cond):
        ctx.cond = cond
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad
        return (where(ctx.cond, g, 0) if na else None,
                where(ctx.cond, 0, g) if nb else None)


class MaskedFill(Where):
    """y = value where mask, else x (masked_fill);  dvalue = Σ g·mask,  dx = g·¬mask"""

    @staticmethod
    def forward(ctx, value, x, cond, tensor_value=False):
        # PyTorch's node: MaskedFillBackward0 for a number, 1 for a tensor value
        ctx.torch_name = f"MaskedFillBackward{int(tensor_value)}"
        return Where.forward(ctx, value, x, cond)


def where(cond: np.ndarray, a, b):
    """a where cond, else b, for backward formulas (as ``either.py``'s functions: on
    arrays, or recorded on Tensors); a or b may be a number, cond is an array."""
    if not (is_tensor(a) or is_tensor(b)):
        dtype = (a if hasattr(a, "dtype") else b).dtype
        return np.asarray(np.where(cond, a, b)).astype(dtype, copy=False)
    ref = a if is_tensor(a) else b
    a, b = (t if is_tensor(t) else constant(np.full(ref.data.shape, t, ref.data.dtype))
            for t in (a, b))
    return Where.apply(a, b, cond=np.broadcast_to(cond, np.broadcast_shapes(
        np.shape(cond), a.data.shape, b.data.shape)))


def gather_index(index: np.ndarray, shape: tuple, dim: int, op: str = "gather") -> np.ndarray:
    """Check ``index`` by torch.gather's rules (no broadcasting, no wrapping of
    negative indices) and return it ready for ``take_along_axis``."""
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected an integer index, got {index.dtype.name}")
    if index.ndim != max(len(shape), 1) and not (index.ndim == 0 and not shape):
        raise RuntimeError(f"{op}: index of shape {index.shape} must have as many "
                           f"dimensions as the input of shape {shape}")
    for d, (n, m) in enumerate(zip(index.shape, shape)):
        if d != dim and n > m and index.size:
            raise RuntimeError(f"{op}: index of shape {index.shape} is larger than the input "
                               f"of shape {shape} apart from dimension {dim}")
    size = shape[dim] if shape else 1
    bad = index[(index < 0) | (index >= size)]
    if bad.size:
        raise RuntimeError(f"{op}: index {bad.flat[0]} is out of bounds for dimension {dim} "
                           f"with size {size}")
    return index.astype(np.intp, copy=False)


class Gather(Function):
    """y = x gathered along dim at index (torch.gather);  dx = g added back at index"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.shape, ctx.dim, ctx.index = x.shape, dim, index
        if x.ndim == 0:
            return x.copy()
        if index.size == 0:
            return np.empty(index.shape, x.dtype)
        # the index may be smaller than x in the other dims: gather from that corner
        corner = tuple(slice(0, n) if d != dim else slice(None)
                       for d, n in enumerate(index.shape))
        return np.take_along_axis(x[corner], index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return through(ScatterAdd, g, shape=ctx.shape, dim=ctx.dim, index=ctx.index)


class ScatterAdd(Function):
    """y = zeros(shape) with x added along dim at index (the adjoint of gather);
    dx = g gathered at index"""

    twice_differentiable = True

    @staticmethod
    def forward(ctx, x, shape, dim, index):
        ctx.dim, ctx.index = dim, index
        y = np.zeros(shape, x.dtype)
        if not shape:
            return y + x
        grids = list(np.indices(index.shape, sparse=True))
        grids[dim] = index
        np.add.at(y, tuple(grids), x)
        return y

    @staticmethod
    def backward(ctx, g):
        return through(Gather, g, dim=ctx.dim, index=ctx.index)
