"""More elementwise methods of `Tensor`, in front of ``ops/special.py``: ``erf``,
``logit``, ``lerp``, ``maximum``/``minimum`` (and ``max(a, b)``), ``clamp_min``,
``clamp_max``, clamping to tensor bounds, ``isclose``/``allclose``, the one-argument
``where``, and the in-place forms PyTorch has (``erf_``, ``sigmoid_``, …)."""

from __future__ import annotations

import functools

import numpy as np

from . import dtypes
from .ops import special as P
from .ops import unary as U
from .ops.nograd import Compare, Full
from .ops.shape import Where


def _tensor(array):
    from .function import Tensor

    return Tensor._make(np.asarray(array), None)


def _is_tensor(x) -> bool:
    return hasattr(x, "_ctx")


def where_op(condition, a, b):
    """``a`` where ``condition`` holds, else ``b`` (a tensor or a number, promoted as
    PyTorch's operands): the Where op, reached without creation.py (which imports the
    Tensor this module is part of)."""
    cond = np.asarray(getattr(condition, "data", condition))
    if cond.dtype != np.bool_:
        raise TypeError(f"where: expected condition to be a boolean tensor, got {cond.dtype}")
    if not _is_tensor(b):
        b = Full.apply(shape=(), fill_value=b, dtype=dtypes.scalar_dtype(b, a.data.dtype))
    dt = dtypes.result_type(a.data.dtype, b.data.dtype, a.ndim > 0, b.ndim > 0)
    return Where.apply(a.to(dt), b.to(dt), cond=cond)


class ElementwiseMethods:
    __slots__ = ()

    def erf(self):
        """erf x = 2/√π ∫₀ˣ e^(−t²) dt (integers in the default float)."""
        return self._float_op(P.Erf)

    def logit(self, eps=None):
        """ln(x / (1 − x)), x first clamped to [eps, 1 − eps] when eps is given."""
        x = self if self.data.dtype.kind == "f" else self.to(dtypes.DEFAULT_FLOAT)
        return P.Logit.apply(x, eps=eps)

    def _two_tensors(self, other, op):
        if not _is_tensor(other):
            raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor, not "
                            f"{type(other).__name__}")
        return self._operands(other, op=op)

    def maximum(self, other):
        """The larger of the two elementwise (NaN propagates); at a tie each gets g/2."""
        return P.Maximum.apply(*self._two_tensors(other, "maximum"))

    def minimum(self, other):
        return P.Minimum.apply(*self._two_tensors(other, "minimum"))

    def atan2(self, other):
        """The angle of the point (other, self) in (−π, π]; integers in the default float."""
        a, b = self._two_tensors(other, "atan2")
        if a.data.dtype.kind != "f":
            a, b = a.to(dtypes.DEFAULT_FLOAT), b.to(dtypes.DEFAULT_FLOAT)
        return P.Atan2.apply(a, b)

    arctan2 = atan2

    def clamp_min(self, min):  # noqa: A002  (torch's name)
        return self._clamp(min, None, (U.ClampMin, P.ClampMinTensor))

    def clamp_max(self, max):  # noqa: A002
        return self._clamp(None, max, (U.ClampMax, P.ClampMaxTensor))

    def _clamp_tensors(self, lo, hi, op=None):
        """clamp with at least one tensor bound: the bounds get gradients too."""
        if any(b is not None and not _is_tensor(b) for b in (lo, hi)):
            raise TypeError("clamp: min and max must both be tensors or both numbers, got "
                            f"{type(lo).__name__} and {type(hi).__name__}")
        dt = self.data.dtype
        for b in (lo, hi):  # PyTorch's promotion: a number bound is a weak scalar
            if _is_tensor(b):
                dt = dtypes.result_type(dt, b.data.dtype, self.ndim > 0, b.ndim > 0)
            elif b is not None:
                dt = dtypes.scalar_dtype(b, dt)
        bounds = (lo, hi)
        present = [b.to(dt) if _is_tensor(b) else Full.apply(shape=(), fill_value=b, dtype=dt)
                   for b in bounds if b is not None]
        return (op or P.ClampTensors).apply(self.to(dt), *present,
                                            has_lo=bounds[0] is not None,
                                            has_hi=bounds[1] is not None)

    def lerp(self, end, weight):
        """self + weight·(end − self), weight a number or a tensor."""
        if not _is_tensor(end) or end.data.dtype != self.data.dtype:
            got = end.dtype.name if _is_tensor(end) else type(end).__name__
            raise RuntimeError(f"lerp: expected dtype {self.dtype.name} for `end` but got {got}")
        if self.data.dtype.kind != "f":
            raise RuntimeError(f"lerp: not implemented for {self.dtype.name}")
        if _is_tensor(weight) and weight.data.dtype != self.data.dtype:
            raise RuntimeError(f"lerp: expected dtype {self.dtype.name} for `weight` but got "
                               f"{weight.dtype.name}")
        number = not _is_tensor(weight)
        if number:  # an op, not an array: tensor.compile records it
            weight = Full.apply(shape=(), fill_value=weight, dtype=self.data.dtype)
        return P.Lerp.apply(self, end, weight, number_weight=number)

    def lerp_(self, end, weight):
        result = self.detach().lerp(end.detach(),
                                    weight.detach() if _is_tensor(weight) else weight)
        if result.shape != self.shape:
            raise RuntimeError(f"lerp_: the result's shape {tuple(result.shape)} doesn't match "
                               f"the tensor's {tuple(self.shape)}")
        return self._inplace("lerp_", lambda a, v: np.copyto(a, v), result.data,
                             graph=lambda t: t.lerp(end, weight), operands=(end, weight))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """|self − other| ≤ atol + rtol·|other| elementwise (infinities equal only
        themselves; NaN equal to NaN only with equal_nan)."""
        if not _is_tensor(other):
            other = _tensor(np.asarray(other, self.data.dtype))
        if other.data.dtype != self.data.dtype:
            raise RuntimeError(f"isclose: {self.dtype.name} did not match {other.dtype.name}")
        # an op (no gradient), so that tensor.compile records it
        return Compare.apply(self, other, fn=functools.partial(_close, rtol=rtol, atol=atol,
                                                                equal_nan=equal_nan))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        return bool(self.isclose(other, rtol, atol, equal_nan).data.all())

    def nonzero(self, as_tuple=False):
        """The indices of the nonzero elements: an (n, ndim) int64 tensor, or one index
        tensor per dim with as_tuple=True."""
        found = np.nonzero(np.atleast_1d(self.data))
        if as_tuple:
            return tuple(_tensor(i.astype(np.int64)) for i in found)
        if not self.ndim:
            return _tensor(np.zeros((len(found[0]), 0), np.int64))
        return _tensor(np.stack(found, axis=1).astype(np.int64))

    def where(self, condition, other):
        """``torch.where(condition, self, other)``."""
        return where_op(condition, self, other)

    def sigmoid_(self):
        return self._float_inplace("sigmoid_", lambda a: 1 / (1 + np.exp(-a)),
                                   lambda t: t.sigmoid())

    def erf_(self):
        return self._float_inplace("erf_", lambda a: P.Erf.forward(_Ctx(), a), lambda t: t.erf())

    def logit_(self, eps=None):
        return self._float_inplace("logit_", lambda a: P.Logit.forward(_Ctx(), a, eps),
                                   lambda t: t.logit(eps))

    def clip_(self, min=None, max=None):  # noqa: A002
        return self.clamp_(min, max)

    def _float_inplace(self, op, fn, graph):
        if self.data.dtype.kind != "f":
            raise RuntimeError(f"{op}: result type Float can't be cast to the desired output "
                               f"type {self.dtype.name}")
        with np.errstate(all="ignore"):
            return self._inplace(op, lambda a, _: np.copyto(a, fn(a)), graph=graph)


def _close(a, b, rtol, atol, equal_nan):
    if a.dtype.kind != "f":
        a, b = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        close = (a == b) | (np.isfinite(a) & np.isfinite(b)
                            & (np.abs(a - b) <= atol + rtol * np.abs(b)))
    if equal_nan:
        close |= np.isnan(a) & np.isnan(b)
    return close


class _Ctx:
    """A throwaway ctx, to run an op's forward on an array for an in-place form."""

    def save_for_backward(self, *arrays):
        pass
