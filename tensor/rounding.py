"""Rounding and testing methods of `Tensor`, in front of ``ops/rounding.py``: floor,
ceil, round, trunc (alias fix), frac, the rounding divisions remainder (%), fmod and
floor_divide (//), and their in-place forms; the tests isnan,
isinf, isposinf, isneginf, isfinite and signbit; logical_and/or/xor/not. The tests
and logical ops have no gradient: they are no-grad ops (``ops/nograd.py``), so that
``tensor.compile`` records them (``if torch.isnan(loss).any(): …``)."""

from __future__ import annotations

import numpy as np

from .ops import nograd
from .ops import rounding as R


def _inplace_method(name: str):
    def method(self, *args, **kwargs):
        out = getattr(self.detach(), name)(*args, **kwargs)
        return self._inplace(f"{name}_", lambda a, v: np.copyto(a, v), out.data,
                             graph=lambda t: getattr(t, name)(*args, **kwargs))

    method.__name__ = method.__qualname__ = f"{name}_"
    method.__doc__ = f"``{name}``, in place."
    return method


def _integer_test(fill: bool):
    """For integer and bool tensors, which hold no NaN nor inf: all ``fill``."""
    return lambda x: np.full(np.shape(x), fill)


# name → (float test, integer test): every test is a fixed answer for integers
TESTS = {"isnan": (np.isnan, _integer_test(False)), "isinf": (np.isinf, _integer_test(False)),
         "isposinf": (np.isposinf, _integer_test(False)),
         "isneginf": (np.isneginf, _integer_test(False)),
         "isfinite": (np.isfinite, _integer_test(True)),
         "signbit": (np.signbit, lambda x: np.signbit(x) if x.dtype.kind == "i"
                     else np.zeros(np.shape(x), bool))}
LOGICAL = {"logical_and": np.logical_and, "logical_or": np.logical_or,
           "logical_xor": np.logical_xor}


def _test_method(name: str, on_float, on_integer):
    def method(self):
        fn = on_float if self.data.dtype.kind == "f" else on_integer
        return nograd.Predicate.apply(self, fn=fn)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"A bool tensor: ``{name}`` of each element (no gradient)."
    return method


def _logical_method(name: str, fn):
    def method(self, other):
        if not hasattr(other, "_ctx"):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                            f"{type(other).__name__}")
        a, b = self._operands(other, op=name)  # PyTorch promotes first (uint8 wraps)
        return nograd.Compare.apply(a, b, fn=fn)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"A bool tensor: ``{name}`` of the two, elementwise (nonzero is true)."
    return method


class RoundingMethods:
    __slots__ = ()

    def floor(self):
        return R.Floor.apply(self)

    def ceil(self):
        return R.Ceil.apply(self)

    def trunc(self):
        return R.Trunc.apply(self)

    fix = trunc

    def round(self, decimals=0):
        return R.Round.apply(self, decimals=int(decimals))

    def frac(self):
        return R.Frac.apply(self)

    def logical_not(self):
        return nograd.Predicate.apply(self, fn=np.logical_not)

    # ----- division that rounds -------------------------------------------------------
    def _rounding_division(self, other, op, reverse=False):
        a, b = self._operands(other, reverse, op.kernel)
        number = not hasattr(other, "_ctx")
        if reverse and number and op is not R.FloorDivide:  # 3 % x: no derivative in PyTorch
            return R.FloorDivide.apply(a, b, fn=R.remainder, kernel="remainder")
        if op is R.FloorDivide:
            return R.FloorDivide.apply(a, b)
        return op.apply(a, b, number=number)

    def remainder(self, other):
        """self − other·⌊self/other⌋: Python's %, the sign of other."""
        return self._rounding_division(other, R.Remainder)

    def fmod(self, other):
        """self − other·trunc(self/other): C's fmod, the sign of self."""
        return self._rounding_division(other, R.Fmod)

    def floor_divide(self, other):
        """⌊self/other⌋: Python's //, without a derivative (as PyTorch)."""
        return self._rounding_division(other, R.FloorDivide)

    __mod__, __floordiv__ = remainder, floor_divide

    def __rmod__(self, other):
        return self._rounding_division(other, R.Remainder, reverse=True)

    def __rfloordiv__(self, other):
        return self._rounding_division(other, R.FloorDivide, reverse=True)


for _name in ("floor", "ceil", "trunc", "fix", "round", "frac", "remainder", "fmod",
              "floor_divide"):
    setattr(RoundingMethods, f"{_name}_", _inplace_method(_name))
RoundingMethods.__imod__ = RoundingMethods.remainder_
RoundingMethods.__ifloordiv__ = RoundingMethods.floor_divide_
for _name, (_on_float, _on_integer) in TESTS.items():
    setattr(RoundingMethods, _name, _test_method(_name, _on_float, _on_integer))
for _name, _fn in LOGICAL.items():
    setattr(RoundingMethods, _name, _logical_method(_name, _fn))
