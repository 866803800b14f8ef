"""The Tensor methods of the elementwise math in ``ops/math.py`` (``x.sin()``,
``x.log10()``, …), their in-place forms (``x.sin_()``) and PyTorch's aliases
(``arcsin`` for ``asin``). An integer tensor is computed in the default float
dtype, as PyTorch does."""

from __future__ import annotations

import numpy as np

from .ops import math as M

# method name → (op, the NumPy function its in-place form writes with)
OPS = {"sin": (M.Sin, np.sin), "cos": (M.Cos, np.cos), "tan": (M.Tan, np.tan),
       "asin": (M.Asin, np.arcsin), "acos": (M.Acos, np.arccos), "atan": (M.Atan, np.arctan),
       "sinh": (M.Sinh, np.sinh), "cosh": (M.Cosh, np.cosh), "log2": (M.Log2, np.log2),
       "log10": (M.Log10, np.log10), "log1p": (M.Log1p, np.log1p),
       "expm1": (M.Expm1, np.expm1), "rsqrt": (M.Rsqrt, lambda a: 1 / np.sqrt(a))}
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan"}


def _method(name: str, op):
    def method(self):
        return self._float_op(op)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``{op.__doc__.split(';')[0]}``, elementwise (PyTorch's ``{name}``)."
    return method


def _inplace_method(name: str, fn):
    def method(self):
        if self.data.dtype.kind != "f":
            raise RuntimeError(f"{name}_: result type Float can't be cast to the desired "
                               f"output type {self.dtype.name}")
        with np.errstate(all="ignore"):
            return self._inplace(f"{name}_", lambda a, _: np.copyto(a, fn(a)))

    method.__name__ = method.__qualname__ = f"{name}_"
    return method


class PointwiseMethods:
    __slots__ = ()


for _name, (_op, _fn) in OPS.items():
    setattr(PointwiseMethods, _name, _method(_name, _op))
    setattr(PointwiseMethods, f"{_name}_", _inplace_method(_name, _fn))
for _alias, _name in ALIASES.items():
    setattr(PointwiseMethods, _alias, getattr(PointwiseMethods, _name))
    setattr(PointwiseMethods, f"{_alias}_", getattr(PointwiseMethods, f"{_name}_"))
