"""The in-place ops: ``add_``, ``mul_``, ``x[i] = v``, ``zero_``, ``uniform_``, …
They change a tensor's array and bump its version (``function.bump_version``), so
a backward that saved the old values refuses; on a tensor in a graph they raise,
as PyTorch's do for leaves that require grad."""

from __future__ import annotations

import numpy as np

from . import dtypes
from .function import bump_version
from .grad_mode import grad_mode
from .ops.shape import index_key


class InplaceMethods:
    __slots__ = ()

    def _inplace_operand(self, op: str, value, true_div: bool = False):
        """``value`` checked as PyTorch checks an in-place op's result dtype: it must
        not need a higher category (bool < integer < float) than this tensor's."""
        if isinstance(value, (bool, int, float, np.number)):
            dt = dtypes.scalar_dtype(value, self.data.dtype)
        else:
            value = np.asarray(value)
            dt = dtypes.result_type(self.data.dtype, dtypes.infer_dtype(value),
                                    self.data.ndim > 0, value.ndim > 0)
        if true_div and dt.kind != "f":
            dt = dtypes.DEFAULT_FLOAT
        if dtypes.category(dt) > dtypes.category(self.data.dtype):
            raise RuntimeError(f"{op}: result type {dt.name} can't be cast to the desired "
                               f"output type {self.data.dtype.name}")
        if isinstance(value, (bool, int, float)):
            return dtypes.scalar_array(value, self.data.dtype, op)
        return value

    def _inplace(self, op: str, fn, other=None, arithmetic: bool = False):
        if grad_mode.enabled and (self.requires_grad or getattr(other, "requires_grad", False)):
            if self._ctx is None and self.requires_grad:
                raise RuntimeError(
                    f"{op}: a leaf Variable that requires grad is being used in an in-place "
                    "operation (wrap it in no_grad() or use .data)"
                )
            raise RuntimeError(f"{op}: in-place operations on tensors that are part of a "
                               "graph are not supported; use the out-of-place op")
        value = other.data if hasattr(other, "_ctx") else other  # a Tensor's array
        if arithmetic:
            value = self._inplace_operand(op, value, true_div=op == "div_")
        try:
            fn(self.data, value)
        except (ValueError, TypeError) as exc:
            shape = getattr(value, "shape", ())
            raise RuntimeError(f"{op}: cannot update a tensor of shape {tuple(self.shape)} and "
                               f"dtype {self.dtype.name} with shape {tuple(shape)}: {exc}"
                               ) from None
        bump_version(self.data)
        return self

    def zero_(self):
        return self._inplace("zero_", lambda a, _: a.fill(0))

    def fill_(self, value):
        return self._inplace("fill_", lambda a, v: a.fill(v), value)

    def add_(self, other, alpha=1):
        if alpha != 1:
            other = other * alpha
        return self._inplace("add_", lambda a, v: np.add(a, v, out=a, casting="unsafe"),
                             other, arithmetic=True)

    def sub_(self, other):
        return self._inplace("sub_", lambda a, v: np.subtract(a, v, out=a, casting="unsafe"),
                             other, arithmetic=True)

    def mul_(self, other):
        return self._inplace("mul_", lambda a, v: np.multiply(a, v, out=a, casting="unsafe"),
                             other, arithmetic=True)

    def div_(self, other):
        return self._inplace("div_", lambda a, v: np.divide(a, v, out=a, casting="unsafe"),
                             other, arithmetic=True)

    def copy_(self, other):
        return self._inplace("copy_", lambda a, v: np.copyto(a, v, casting="unsafe"), other)

    def clamp_(self, min=None, max=None):
        return self._inplace("clamp_", lambda a, _: np.clip(a, min, max, out=a))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __setitem__(self, index, value) -> None:
        key = index_key(index)
        self._inplace("__setitem__", lambda a, v: a.__setitem__(key, v), value)
