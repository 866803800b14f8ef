"""The shape methods of `Tensor`: views, reordering, indexing, gather/scatter,
in front of the primitives in ``ops/shape.py``."""

from __future__ import annotations

import numpy as np

from .dims import normalize_dims
from .ops import shape as S
from .ops import triangle


class ShapeMethods:
    __slots__ = ()

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if shape == self.data.shape:
            return self
        return S.Reshape.apply(self, shape=shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        s, e = normalize_dims((start_dim, end_dim), self.ndim, "flatten")
        if self.ndim == 0:
            return self.reshape(1)
        shape = self.shape
        joined = int(np.prod(shape[s:e + 1]))  # not -1: ambiguous when a size is 0
        return self.reshape(shape[:s] + (joined,) + shape[e + 1:]) if s <= e else self

    def permute(self, *dims):
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        axes = normalize_dims(dims, self.ndim, "permute")
        if sorted(axes) != list(range(self.ndim)):
            raise RuntimeError(f"permute: dims {dims} are not a permutation of the "
                               f"{self.ndim} dimensions of shape {tuple(self.shape)}")
        return S.Permute.apply(self, dims=axes)

    def transpose(self, dim0, dim1):
        d0, d1 = normalize_dims((dim0, dim1), self.ndim, "transpose")
        if self.ndim == 0:
            return self
        axes = list(range(self.ndim))
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return S.Transpose.apply(self, dims=tuple(axes))

    @property
    def T(self):
        return S.Permute.apply(self, dims=tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        if self.ndim == 0:  # as PyTorch: the identity, with its deprecation warning
            import warnings

            warnings.warn("Tensor.mT is deprecated on 0-D tensors. This function is the "
                          "identity in these cases.", UserWarning, stacklevel=2)
            return self
        return self.transpose(-2, -1)

    def unsqueeze(self, dim):
        (d,) = normalize_dims(dim, self.ndim + 1, "unsqueeze")
        return S.Unsqueeze.apply(self, shape=self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim=None):
        axes = normalize_dims(dim, self.ndim, "squeeze")
        if self.ndim == 0:
            return self
        shape = tuple(n for i, n in enumerate(self.shape) if not (i in axes and n == 1))
        given = 0 if dim is None else 1 if isinstance(dim, (int, np.integer)) else 2
        return S.Squeeze.apply(self, shape=shape, given=given)

    def expand(self, *sizes):
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be "
                               f"at least the number of dimensions of shape {tuple(self.shape)}")
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        return S.Expand.apply(self, shape=shape)

    def gather(self, dim, index):
        (d,) = normalize_dims(dim, self.ndim, "gather")
        return S.Gather.apply(self, dim=d, index=S.gather_index(
            np.asarray(getattr(index, "data", index)), self.shape, d))

    def __getitem__(self, index):
        return S.Index.apply(self, key=S.index_key(index))

    def t(self):
        """The transpose of a tensor of at most 2 dims (0-d and 1-d come back as is)."""
        if self.ndim > 2:
            raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, but got shape "
                               f"{tuple(self.shape)}; use transpose(dim0, dim1)")
        return S.TransposeT.apply(self, dims=tuple(reversed(range(self.ndim))))

    def view_as(self, other):
        return self.view(other.shape)

    reshape_as = view_as

    def scatter_(self, dim, index, src=None, value=None, reduce=None):
        """self[…, index[i][j], …] = src[i][j] along ``dim`` (or a number), in place: the
        inverse of `gather`, with the same rules for ``index``."""
        if reduce is not None:
            raise NotImplementedError("scatter_: reduce= is not supported")
        given = (dim, index, src, value)  # for the recorded form, on a graph tensor
        if value is not None:
            if src is not None:
                raise TypeError("scatter_: give src or value, not both")
            src = value
        if src is None:
            raise TypeError("scatter_: missing the src tensor or value")
        (d,) = normalize_dims(dim, self.ndim, "scatter_")
        index = np.asarray(getattr(index, "data", index))
        if index.ndim == 0 and self.ndim == 1:  # one position, as torch allows
            index = index.reshape(1)
        index = S.gather_index(index, self.data.shape, d, "scatter_")
        if isinstance(src, (int, float, bool)):
            values = src
        else:
            src = np.asarray(getattr(src, "data", src))
            if src.ndim != index.ndim or any(n > m for n, m in zip(index.shape, src.shape)):
                raise RuntimeError(f"scatter_: index of shape {index.shape} is larger than src "
                                   f"of shape {src.shape}")
            values = src[tuple(slice(0, n) for n in index.shape)]
        if index.size == 0:
            return self
        if self.ndim == 0:  # one element: a 1-d view of it
            index, values = index.reshape(1), np.reshape(values, 1)
        corner = tuple(slice(0, n) if i != d else slice(None) for i, n in enumerate(index.shape))
        return self._inplace("scatter_", lambda a, v: np.put_along_axis(
            a.reshape(1) if a.ndim == 0 else a[corner], index, v, axis=d), values,
            graph=lambda t: t.scatter(given[0], given[1], given[2], value=given[3]),
            operands=(given[2],))

    def unbind(self, dim=0):
        """The slices along ``dim``, as a tuple (each one is ``x.select(dim, i)``)."""
        (d,) = normalize_dims(dim, self.ndim, "unbind")
        return tuple(self.select(d, i) for i in range(self.data.shape[d]))

    def select(self, dim, index):
        (d,) = normalize_dims(dim, self.ndim, "select")
        n = self.data.shape[d]
        if not -n <= index < n:
            raise IndexError(f"select: index {index} out of range for tensor of size "
                             f"{tuple(self.shape)} at dimension {d}")
        return self[(slice(None),) * d + (index,)]

    def _triangle(self, op, fn, diagonal):
        if self.ndim < 2:
            raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape "
                               f"{tuple(self.shape)}")
        return fn and fn.apply(self, k=int(diagonal))

    def tril(self, diagonal=0):
        return self._triangle("tril", triangle.Tril, diagonal)

    def triu(self, diagonal=0):
        return self._triangle("triu", triangle.Triu, diagonal)

    def tril_(self, diagonal=0):
        self._triangle("tril_", None, diagonal)
        return self._inplace("tril_", lambda a, _: np.copyto(a, np.tril(a, diagonal)),
                             graph=lambda t: t.tril(diagonal))

    def triu_(self, diagonal=0):
        self._triangle("triu_", None, diagonal)
        return self._inplace("triu_", lambda a, _: np.copyto(a, np.triu(a, diagonal)),
                             graph=lambda t: t.triu(diagonal))
