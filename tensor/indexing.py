"""Writing through an index, as `Tensor` methods: ``index_put_``/``index_put``,
``index_add_``/``index_add``, ``scatter_add_``/``scatter_add``, ``scatter``, and
``masked_fill``. The out-of-place forms are ops with gradients (``ops/index.py``);
the in-place forms write the tensor's own array with the same writers.

``t[idx] += 1`` with a repeated index adds once, as PyTorch's: Python runs it as
``t[idx] = t[idx] + 1``. ``index_put_(…, accumulate=True)`` counts every repeat."""

from __future__ import annotations

import numpy as np

from .dims import normalize_dims
from .ops import index as I
from .ops import shape as S
from .ops.nograd import Full
from .ops.shape import gather_index, index_key


def _tensor(array):
    from .function import Tensor

    return Tensor._make(np.asarray(array), None)


def _as_source(self, value, op):
    """``value`` as a tensor of self's dtype (PyTorch requires the same dtype; a
    Python number is converted)."""
    if not hasattr(value, "_ctx"):
        if isinstance(value, (bool, int, float)):  # an op: tensor.compile records it
            return Full.apply(shape=(), fill_value=value, dtype=self.data.dtype)
        value = _tensor(np.asarray(value))
    if value.data.dtype != self.data.dtype:
        raise RuntimeError(f"{op}: self ({self.dtype.name}) and source ({value.dtype.name}) "
                           "must have the same dtype")
    return value


def _index_tuple(indices, op):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{op}: indices must be a tuple of tensors, got "
                        f"{type(indices).__name__}")
    key = index_key(tuple(indices))
    for k in key:
        if not isinstance(k, np.ndarray) or k.dtype.kind not in "iub":
            raise IndexError(f"{op}: tensors used as indices must be long, int, byte or bool "
                             "tensors")
    return key


class IndexingMethods:
    __slots__ = ()

    def index_put(self, indices, values, accumulate=False):
        """A copy with copy[indices] = values (+= with accumulate, every repeat counted)."""
        key = _index_tuple(indices, "index_put")
        return I.IndexPut.apply(self, _as_source(self, values, "index_put"), key=key,
                                accumulate=accumulate)

    def index_put_(self, indices, values, accumulate=False):
        key = _index_tuple(indices, "index_put_")
        values = _as_source(self, values, "index_put_")
        return self._inplace("index_put_", lambda a, v: I.put(a, key, v, accumulate), values,
                             graph=lambda t: t.index_put(indices, values, accumulate))

    def _index_add_args(self, dim, index, source, op):
        (d,) = normalize_dims(dim, self.ndim, op)
        idx = np.asarray(getattr(index, "data", index))
        if idx.ndim > 1 or idx.dtype.kind not in "iu":
            raise IndexError(f"{op}: index must be a 1-d integer tensor, got shape "
                             f"{idx.shape} and dtype {idx.dtype.name}")
        idx = idx.reshape(-1)
        source = _as_source(self, source, op)
        expected = self.data.shape[:d] + (idx.size,) + self.data.shape[d + 1:] \
            if self.ndim else (idx.size,) if source.ndim else ()
        if source.data.shape != expected and not (self.ndim == 0 and source.data.size == 1):
            raise RuntimeError(f"{op}: source of shape {tuple(source.shape)} should have shape "
                               f"{expected} for index of length {idx.size} along dim {d} "
                               f"of shape {tuple(self.shape)}")
        size = self.data.shape[d] if self.ndim else 1
        if idx.size and (idx.min() < -size or idx.max() >= size):
            raise IndexError(f"{op}: index out of range for dimension {d} of size {size}")
        return d, idx % max(size, 1), source

    def index_add(self, dim, index, source, *, alpha=1):
        """A copy with source's slice i added at slice index[i] along dim (repeats add)."""
        d, idx, source = self._index_add_args(dim, index, source, "index_add")
        if self.ndim == 0:
            return I.IndexAdd.apply(self.reshape(1), source.reshape(-1), dim=0, index=idx,
                                    alpha=alpha).reshape(())
        return I.IndexAdd.apply(self, source, dim=d, index=idx, alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        d, idx, source = self._index_add_args(dim, index, source, "index_add_")
        scaled = source.data if alpha == 1 else source.data * alpha

        def write(a, v):
            I.add_along(a.reshape(1) if a.ndim == 0 else a, d, idx,
                        np.reshape(v, -1) if a.ndim == 0 else v)

        return self._inplace("index_add_", write, _tensor(scaled.astype(self.data.dtype)),
                             graph=lambda t: t.index_add(d, idx, source, alpha=alpha),
                             operands=(source,))

    def _scatter_args(self, dim, index, src, op):
        (d,) = normalize_dims(dim, self.ndim, op)
        index = np.asarray(getattr(index, "data", index))
        if index.ndim == 0 and self.ndim <= 1:
            index = index.reshape(1)
        index = gather_index(index, self.data.shape, d, op)
        src = _as_source(self, src, op)
        if src.ndim and (src.ndim != index.ndim or any(
                n > m for n, m in zip(index.shape, src.data.shape))):
            raise RuntimeError(f"{op}: index of shape {index.shape} is larger than src of "
                               f"shape {tuple(src.shape)}")
        return d, index, src

    def scatter_add(self, dim, index, src):
        """A copy with src[i] added at index[i] along dim (repeats add up)."""
        d, index, src = self._scatter_args(dim, index, src, "scatter_add")
        return I.Scatter.apply(self, src, dim=d, index=index, add=True)

    def scatter_add_(self, dim, index, src):
        d, index, src = self._scatter_args(dim, index, src, "scatter_add_")
        return self._inplace("scatter_add_",
                             lambda a, v: I.scatter_into(a, d, index, v, add=True), src,
                             graph=lambda t: t.scatter_add(d, index, src))

    def scatter(self, dim, index, src=None, value=None):
        """A copy with src[i] (or value) written at index[i] along dim."""
        if value is not None:
            src = value
        d, index, src = self._scatter_args(dim, index, src, "scatter")
        return I.Scatter.apply(self, src, dim=d, index=index, add=False)

    def masked_fill(self, mask, value):
        """A copy with value where mask (a bool tensor, broadcast) is True."""
        cond = np.asarray(getattr(mask, "data", mask))
        if cond.dtype.kind != "b":
            raise RuntimeError(f"masked_fill: expected a bool mask, got {cond.dtype.name}")
        fill = value if hasattr(value, "_ctx") else Full.apply(
            shape=(), fill_value=value, dtype=self.data.dtype)
        return S.MaskedFill.apply(fill.to(self.dtype), self, cond=cond,
                                  tensor_value=hasattr(value, "_ctx"))

    def masked_fill_(self, mask, value):
        cond = np.asarray(getattr(mask, "data", mask))
        if cond.dtype.kind != "b":
            raise RuntimeError(f"masked_fill_: expected a bool mask, got {cond.dtype.name}")
        return self._inplace("masked_fill_", lambda a, v: np.copyto(
            a, np.asarray(v, a.dtype), where=np.broadcast_to(cond, a.shape)),
            value, graph=lambda t: t.masked_fill(mask, value))
