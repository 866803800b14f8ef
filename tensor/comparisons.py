"""Comparisons and logical/bitwise operators of `Tensor`: no gradient, PyTorch's
promotion (``_operands``, in methods.py) and its errors for float bitwise ops."""

from __future__ import annotations

import numpy as np

from .ops import nograd


def _is_tensor(x) -> bool:
    return hasattr(x, "_ctx")


class ComparisonMethods:
    __slots__ = ()

    def _compare(self, other, fn):
        # in the promoted dtype, as PyTorch: float32 vs a 0-d float64 compares in float32
        try:
            a, b = self._operands(other, op=fn.__name__)
        except TypeError:  # x == None is False, as in PyTorch, not an error
            return NotImplemented
        return nograd.Compare.apply(a, b, fn=fn)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def equal(self, other) -> bool:
        """True when both have the same shape and the same elements (compared in the
        promoted dtype; NaN equals nothing), as ``torch.equal``."""
        if not _is_tensor(other):
            raise TypeError(f"equal: argument 'other' must be Tensor, not {type(other).__name__}")
        return self.data.shape == other.data.shape and bool((self == other).all())

    # ----- logical/bitwise (no gradient; bool and integer tensors) ---------------------
    def _bitwise(self, other, fn, op):
        a, b = self._operands(other, op=op)
        if a.data.dtype.kind == "f":
            raise RuntimeError(f"{op}: not implemented for floating point tensors")
        return nograd.Compare.apply(a, b, fn=fn)

    def __and__(self, other):
        return self._bitwise(other, np.bitwise_and, "bitwise_and")

    def __or__(self, other):
        return self._bitwise(other, np.bitwise_or, "bitwise_or")

    def __xor__(self, other):
        return self._bitwise(other, np.bitwise_xor, "bitwise_xor")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__  # all three commute

    def __invert__(self):
        if self.data.dtype.kind == "f":
            raise RuntimeError("bitwise_not: not implemented for floating point tensors")
        return nograd.Predicate.apply(self, fn=np.invert)  # an op: tensor.compile records it
