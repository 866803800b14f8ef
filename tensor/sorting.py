"""Order statistics of `Tensor`: ``sort argsort msort topk kthvalue median
nanmedian mode``, with PyTorch's (values, indices) named tuples. The indices come
from the ops in ``ops/order.py`` (no gradient) and the values are gathered at them, so
their gradient is gather's: g put back where each value came from, as PyTorch's."""

from __future__ import annotations

import numpy as np

from .dims import normalize_dims
from .ops import nograd as N
from .ops.order import ModeIndex, Picked, RankIndex, SortIndices
from .ops.reduce import Median
from .ops.shape import gather_index
from .return_types import kthvalue as kthvalue_result
from .return_types import median as median_result
from .return_types import mode as mode_result
from .return_types import nanmedian as nanmedian_result
from .return_types import sort as sort_result
from .return_types import topk as topk_result


def _zero_index():
    return N.Full.apply(shape=(), fill_value=0, dtype=np.dtype(np.int64))


class SortingMethods:
    __slots__ = ()

    def _one_dim(self, dim, op: str) -> int:
        (d,) = normalize_dims(dim, self.ndim, op)
        return d

    def _no_bool(self, op: str):
        if self.data.dtype.kind == "b":
            raise NotImplementedError(f'"{op}_cpu" not implemented for \'Bool\'')

    def _values_at(self, index, d: int, name: str, keepdim: bool = True):
        """(values gathered at index along d, index), the values' node named ``name``
        as PyTorch's; 0-d inputs as themselves."""
        if self.ndim == 0:
            return self.clone(), _zero_index()
        values = Picked.apply(self, dim=d, index=gather_index(index.data, self.shape, d),
                              keepdim=keepdim, name=name)
        return values, (index if keepdim else index.squeeze(d))

    def sort(self, dim=-1, descending=False, stable=False):
        """(values, indices) sorted along dim; NaN sorts as the largest value."""
        d = self._one_dim(dim, "sort")
        if self.ndim == 0:
            return sort_result(*self._values_at(None, 0, "SortBackward0"))
        return sort_result(*self._values_at(SortIndices.apply(self, dim=d,
                                                              descending=descending), d,
                                            "SortBackward0"))

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending, stable).indices

    def msort(self):
        return self.sort(0).values

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002  (torch's name)
        """The k largest (smallest) elements along dim, as (values, indices)."""
        d = self._one_dim(dim, "topk")
        if self.data.dtype.kind == "b":
            raise RuntimeError("topk does not support bool dtypes on CPU")
        n = self.shape[d] if self.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError(f"topk: selected index k={k} out of range for dimension {d} "
                               f"of size {n} (shape {tuple(self.shape)})")
        if self.ndim == 0:
            return topk_result(*self._values_at(None, 0, "TopkBackward0"))
        return topk_result(*self._values_at(SortIndices.apply(self, dim=d, descending=largest,
                                                              k=k), d, "TopkBackward0"))

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The k-th smallest element along dim (k counts from 1), as (values, indices)."""
        if self.ndim:
            self._no_bool("kthvalue")
        d = self._one_dim(dim, "kthvalue")
        n = self.shape[d] if self.ndim else 1
        if not 1 <= k <= n:
            raise RuntimeError(f"kthvalue: selected number k={k} out of range for dimension "
                               f"{d} of size {n} (shape {tuple(self.shape)})")
        return kthvalue_result(*self._pick(d, keepdim, k - 1, "kthvalue", "KthvalueBackward0"))

    def _pick(self, d, keepdim, rank, op, name):
        """(values, indices) of the element of ``rank`` along d (RankIndex)."""
        if self.ndim == 0:
            return self._values_at(None, 0, name)
        if self.shape[d] == 0:
            raise IndexError(f"{op}(): expected reduction dim {d} to have non-zero size "
                             f"(shape {tuple(self.shape)})")
        return self._values_at(RankIndex.apply(self, dim=d, rank=rank), d, name, keepdim)

    def median(self, dim=None, keepdim=False):
        """The lower median (the ((n−1)//2)-th smallest); NaN if a NaN is present.
        Without dim: the value only, its gradient shared among the equal elements."""
        self._no_bool("median")
        if dim is None:
            return Median.apply(self, skip_nan=False)
        d = self._one_dim(dim, "median")
        return median_result(*self._pick(d, keepdim, "median", "median", "MedianBackward1"))

    def nanmedian(self, dim=None, keepdim=False):
        """The lower median of the elements that are not NaN (NaN if all are)."""
        self._no_bool("nanmedian")
        if dim is None:
            return Median.apply(self, skip_nan=True)
        d = self._one_dim(dim, "nanmedian")
        return nanmedian_result(*self._pick(d, keepdim, "nanmedian", "nanmedian",
                                            "NanmedianBackward1"))

    def mode(self, dim=-1, keepdim=False):
        """The most frequent value along dim (the smallest of equally frequent ones)
        and the index of its last occurrence, as (values, indices)."""
        d = self._one_dim(dim, "mode")
        if self.ndim == 0:
            return mode_result(*self._values_at(None, 0, "ModeBackward0"))
        if self.shape[d] == 0:
            raise IndexError(f"mode(): expected reduction dim {d} to have non-zero size "
                             f"(shape {tuple(self.shape)})")
        return mode_result(*self._values_at(ModeIndex.apply(self, dim=d), d, "ModeBackward0",
                                            keepdim))
