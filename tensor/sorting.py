"""Order statistics of `Tensor`: ``sort argsort msort topk kthvalue median
nanmedian mode``, with PyTorch's (values, indices) named tuples. The indices are
found in NumPy (no gradient) and the values gathered at them, so the gradient of
the values is gather's: g put back where each value came from, as PyTorch's."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .dims import normalize_dims
from .ops import nograd as N
from .ops.reduce import PickValue

# the names PyTorch's torch.return_types give these results
sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])
kthvalue_result = namedtuple("kthvalue", ["values", "indices"])
median_result = namedtuple("median", ["values", "indices"])
nanmedian_result = namedtuple("nanmedian", ["values", "indices"])
mode_result = namedtuple("mode", ["values", "indices"])


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


def _index(array: np.ndarray):
    return N.Full.apply(shape=(), fill_value=0, dtype=np.dtype(np.int64)) if array is None \
        else _tensor(array)


def _tensor(array):
    from .function import Tensor

    return Tensor._make(np.asarray(array, dtype=np.int64), None)


class SortingMethods:
    __slots__ = ()

    def _one_dim(self, dim, op: str) -> int:
        (d,) = normalize_dims(dim, self.ndim, op)
        return d

    def _no_bool(self, op: str):
        if self.data.dtype.kind == "b":
            raise NotImplementedError(f'"{op}_cpu" not implemented for \'Bool\'')

    def _values_at(self, idx: np.ndarray, d: int):
        """(values gathered at idx along d, idx as a tensor); 0-d inputs as themselves."""
        if self.ndim == 0:
            return self.clone(), _index(None)
        index = _tensor(idx)
        return self.gather(d, index), index

    def sort(self, dim=-1, descending=False, stable=False):
        """(values, indices) sorted along dim; NaN sorts as the largest value."""
        d = self._one_dim(dim, "sort")
        if self.ndim == 0:
            return sort_result(*self._values_at(None, 0))
        return sort_result(*self._values_at(stable_argsort(self.data, d, descending), d))

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
            return topk_result(*self._values_at(None, 0))
        order = stable_argsort(self.data, d, descending=largest)
        return topk_result(*self._values_at(np.take(order, range(k), axis=d), d))

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The k-th smallest element along dim (k counts from 1), as (values, indices)."""
        if self.ndim:
            self._no_bool("kthvalue")
        d = self._one_dim(dim, "kthvalue")
        n = self.shape[d] if self.ndim else 1
        if not 1 <= k <= n:
            raise RuntimeError(f"kthvalue: selected number k={k} out of range for dimension "
                               f"{d} of size {n} (shape {tuple(self.shape)})")
        return kthvalue_result(*self._pick(d, keepdim, lambda s, nan, n: k - 1, "kthvalue"))

    def _pick(self, d, keepdim, position, op):
        """(values, indices) of the element at ``position(sorted, nan_count, n)`` along d
        of the stably sorted input."""
        if self.ndim == 0:
            return self._values_at(None, 0)
        n = self.shape[d]
        if n == 0:
            raise IndexError(f"{op}(): expected reduction dim {d} to have non-zero size "
                             f"(shape {tuple(self.shape)})")
        order = stable_argsort(self.data, d, descending=False)
        nans = np.isnan(self.data).sum(axis=d, keepdims=True) if self.data.dtype.kind == "f" \
            else np.zeros_like(np.take(order, [0], axis=d))
        pos = np.asarray(position(order, nans, n), dtype=np.int64)
        pos = np.broadcast_to(pos, nans.shape)
        values, idx = self._values_at(np.take_along_axis(order, pos, axis=d), d)
        if not keepdim:
            values, idx = values.squeeze(d), idx.squeeze(d)
        return values, idx

    def median(self, dim=None, keepdim=False):
        """The lower median (the ((n−1)//2)-th smallest); NaN if a NaN is present.
        Without dim: the value only, its gradient shared among the equal elements."""
        self._no_bool("median")
        if dim is None:
            if self.data.size == 0:
                return PickValue.apply(self, value=np.asarray(np.nan, self.data.dtype))
            flat = np.sort(self.data.reshape(-1), kind="stable")
            nan = flat.dtype.kind == "f" and np.isnan(flat[-1])
            value = flat[-1] if nan else flat[(flat.size - 1) // 2]
            return PickValue.apply(self, value=np.asarray(value))
        d = self._one_dim(dim, "median")
        return median_result(*self._pick(d, keepdim, lambda s, nan, n: np.where(
            nan > 0, n - nan, (n - 1) // 2), "median"))

    def nanmedian(self, dim=None, keepdim=False):
        """The lower median of the elements that are not NaN (NaN if all are)."""
        self._no_bool("nanmedian")
        if dim is None:
            flat = self.data.reshape(-1)
            valid = np.sort(flat[~np.isnan(flat)]) if flat.dtype.kind == "f" else np.sort(flat)
            value = valid[(valid.size - 1) // 2] if valid.size else np.nan
            return PickValue.apply(self, value=np.asarray(value, self.data.dtype))
        d = self._one_dim(dim, "nanmedian")
        return nanmedian_result(*self._pick(d, keepdim, lambda s, nan, n: np.maximum(
            (n - nan - 1) // 2, 0), "nanmedian"))

    def mode(self, dim=-1, keepdim=False):
        """The most frequent value along dim (the smallest of equally frequent ones)
        and the index of its last occurrence, as (values, indices)."""
        d = self._one_dim(dim, "mode")
        if self.ndim == 0:
            return mode_result(*self._values_at(None, 0))
        if self.shape[d] == 0:
            raise IndexError(f"mode(): expected reduction dim {d} to have non-zero size "
                             f"(shape {tuple(self.shape)})")
        rows = np.moveaxis(self.data, d, -1)
        flat = rows.reshape(-1, rows.shape[-1])
        last = np.empty(flat.shape[0], np.int64)
        for r, row in enumerate(flat):
            values, counts = np.unique(row, return_counts=True)
            best = values[np.argmax(counts)]  # argmax: the first, the smallest value
            same = row == best
            if row.dtype.kind == "f" and np.isnan(best):
                same = np.isnan(row)
            last[r] = np.flatnonzero(same)[-1]
        idx = np.expand_dims(last.reshape(rows.shape[:-1]), d)
        values, index = self._values_at(idx, d)
        if not keepdim:
            values, index = values.squeeze(d), index.squeeze(d)
        return mode_result(values, index)
