"""Counting the elements of `Tensor`: ``unique``, ``unique_consecutive``,
``bincount``, ``histc``, ``histogram``, as PyTorch defines them. None of them has
a gradient (PyTorch's neither)."""

from __future__ import annotations

import numpy as np

from .dims import normalize_dims
from .return_types import histogram as histogram_result


def _tensor(array):
    from .function import Tensor

    return Tensor._make(np.asarray(array), None)


def _bin_positions(x: np.ndarray, lo, hi, bins: int) -> np.ndarray:
    """The bin of each x in [lo, hi], ``bins`` equal bins: (x − lo)·bins / (hi − lo)
    truncated, the right edge counted in the last bin (PyTorch's formula, in x's
    precision: a float32 x rounds x − lo as PyTorch does)."""
    dt = x.dtype.type
    lo, hi = dt(lo), dt(hi)
    if hi - lo == 0:  # lo ± 1 lost to rounding (|x| ≥ 2⁵³): one bin takes all
        return np.zeros(x.shape, np.int64)
    pos = ((x - lo) * dt(bins) / (hi - lo)).astype(np.int64)
    return np.clip(pos, 0, bins - 1)


class CountingMethods:
    __slots__ = ()

    def unique(self, sorted=True, return_inverse=False, return_counts=False,  # noqa: A002
               dim=None):
        """The distinct elements (or slices along dim), sorted; NaNs each count once.
        With return_inverse/return_counts: a tuple with where each element went and
        how often each distinct one occurs."""
        from .grad_mode import is_grad_enabled

        if self.requires_grad and is_grad_enabled():
            raise NotImplementedError("unique: the derivative for 'unique' is not implemented")
        if dim is None:
            flat = self.data.reshape(-1)
            values, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True,
                                                equal_nan=False)
            inverse = inverse.reshape(self.data.shape)
        else:
            (d,) = normalize_dims(dim, self.ndim, "unique")
            if any(n == 0 for i, n in enumerate(self.data.shape) if i != d):
                raise RuntimeError("unique: there are 0 sized dimensions other than dim "
                                   f"{d}, so unique cannot be applied (shape "
                                   f"{tuple(self.shape)})")
            if self.data.shape[d] == 0 or self.data.size == 0:
                values = self.data
                inverse = np.zeros(self.data.shape[d], np.int64)
                counts = np.zeros(0, np.int64)
            else:
                values, inverse, counts = np.unique(self.data, axis=d, return_inverse=True,
                                                    return_counts=True)
                inverse = inverse.reshape(-1)
        out = [_tensor(values)]
        if return_inverse:
            out.append(_tensor(inverse.astype(np.int64)))
        if return_counts:
            out.append(_tensor(counts.astype(np.int64)))
        return out[0] if len(out) == 1 else tuple(out)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """Each run of equal consecutive elements (or slices along dim) kept once."""
        data = self.data.reshape(-1) if dim is None else np.moveaxis(
            self.data, normalize_dims(dim, self.ndim, "unique_consecutive")[0], 0)
        n = data.shape[0]
        if n == 0:
            starts = np.zeros(0, np.int64)
        else:
            rest = (data[1:] != data[:-1]).reshape(n - 1, -1).any(axis=1)
            starts = np.flatnonzero(np.concatenate([[True], rest]))
        values = data[starts] if dim is None else np.moveaxis(data[starts], 0, dim)
        out = [_tensor(values)]
        if return_inverse:
            inverse = np.cumsum(np.isin(np.arange(n), starts)) - 1
            out.append(_tensor(inverse.reshape(self.data.shape if dim is None else n)
                               .astype(np.int64)))
        if return_counts:
            out.append(_tensor(np.diff(np.append(starts, n)).astype(np.int64)))
        return out[0] if len(out) == 1 else tuple(out)

    def bincount(self, weights=None, minlength=0):
        """How often each value 0, 1, … occurs in a 1-d integer tensor (the sum of
        their weights, given weights): int64, or the weights' float dtype."""
        if self.ndim != 1 or self.data.dtype.kind not in "iub":
            raise RuntimeError(f"bincount: only supports 1-d non-negative integral inputs, "
                               f"got dtype {self.dtype.name} and shape {tuple(self.shape)}")
        if self.data.size and self.data.min() < 0:
            raise RuntimeError("bincount: input must be non-negative")
        if minlength < 0:
            raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
        if weights is None:
            return _tensor(np.bincount(self.data, minlength=minlength).astype(np.int64))
        w = getattr(weights, "data", np.asarray(weights))
        if w.shape != self.data.shape:
            raise RuntimeError(f"bincount: weights of shape {w.shape} should have the "
                               f"input's shape {tuple(self.shape)}")
        out_dtype = w.dtype if w.dtype.kind == "f" else np.float64
        return _tensor(np.bincount(self.data, w, minlength=minlength).astype(out_dtype))

    def _range(self, op: str, lo, hi):
        if self.data.dtype.kind != "f":  # PyTorch's error type
            raise NotImplementedError(f"{op}: not implemented for {self.dtype.name} (a "
                                      "floating point input is needed)")
        lo, hi = float(lo), float(hi)
        if lo > hi:
            raise RuntimeError(f"{op}: max must be larger than min (got min {lo}, max {hi})")
        if lo == hi and self.data.size:  # the data's own range (NaN or inf: an error)
            lo, hi = float(self.data.min()), float(self.data.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"{op}: range of [{lo}, {hi}] is not finite")
        return lo, hi

    def histc(self, bins=100, min=0, max=0):  # noqa: A002  (torch's names)
        """Counts in ``bins`` equal bins over [min, max] (the data's range if both are 0);
        elements outside are ignored. A float tensor of the input's dtype."""
        if bins <= 0:
            raise RuntimeError(f"histc: bins must be > 0, got {bins}")
        lo, hi = self._range("histc", min, max)
        x = self.data.reshape(-1)
        dt = x.dtype.type  # the bounds in the input's precision, as PyTorch compares
        x = x[(x >= dt(lo)) & (x <= dt(hi))]
        counts = np.bincount(_bin_positions(x, lo, hi, bins),
                             minlength=bins)
        return _tensor(counts.astype(self.data.dtype))

    def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
        """(hist, bin_edges): counts (or summed weights) per bin; ``bins`` a number of
        equal bins over ``range`` (the data's by default) or the edges themselves."""
        lo, hi = self._range("histogram", *(range if range is not None else (0, 0)))
        dt = self.data.dtype
        if isinstance(bins, (int, np.integer)):
            if bins <= 0:
                raise RuntimeError(f"histogram: bins must be > 0, got {bins}")
            edges = np.linspace(lo, hi, bins + 1).astype(dt)
        else:
            edges = np.asarray(getattr(bins, "data", bins))
            if edges.dtype != dt:
                raise RuntimeError(f"histogram: input dtype {self.dtype.name} and bins dtype "
                                   f"{edges.dtype.name} must match")
        x = self.data.reshape(-1)
        w = None if weight is None else getattr(weight, "data", np.asarray(weight)).reshape(-1)
        inside = (x >= edges[0]) & (x <= edges[-1])
        pos = np.searchsorted(edges, x[inside], side="right") - 1
        pos = np.minimum(pos, edges.size - 2)  # the right edge belongs to the last bin
        hist = np.bincount(pos, None if w is None else w[inside], minlength=edges.size - 1)
        hist = hist.astype(dt)
        if density:
            total = hist.sum()
            hist = (hist / (total * np.diff(edges))).astype(dt)
        return histogram_result(_tensor(hist), _tensor(edges))
