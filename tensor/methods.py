"""The op methods and operators of `Tensor`: argument handling (dims, dtypes,
PyTorch's promotion) in front of the primitives in ``ops*.py``."""

from __future__ import annotations

import numpy as np

from . import dtypes, function
from .comparisons import ComparisonMethods
from .counting import CountingMethods
from .device import parse_to
from .elementwise import ElementwiseMethods
from .indexing import IndexingMethods
from .matmul import ProductMethods
from .ops import binary, nograd, scalar, unary
from .pointwise import PointwiseMethods
from .reductions import ReductionMethods
from .rounding import RoundingMethods
from .shapes import ShapeMethods
from .sorting import SortingMethods
from .statistics import StatisticsMethods


def _tensor(array):
    return function.Tensor._make(array, None)


def _is_number(x) -> bool:
    return isinstance(x, (int, float, bool, np.number))


def _is_tensor(x) -> bool:
    return hasattr(x, "_ctx")


class TensorMethods(ShapeMethods, ReductionMethods, PointwiseMethods, StatisticsMethods,
                    SortingMethods, CountingMethods, ElementwiseMethods, IndexingMethods,
                    ProductMethods, ComparisonMethods, RoundingMethods):
    __slots__ = ()

    def element_size(self) -> int:
        """Bytes per element (4 for float32)."""
        return self.data.dtype.itemsize

    @property
    def retains_grad(self) -> bool:
        """Whether this non-leaf keeps its .grad after backward (``retain_grad()``)."""
        return self._retains_grad

    # ----- dtype ----------------------------------------------------------------------
    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``: the device
        must be the CPU; a new dtype makes a converted tensor."""
        _, dtype = parse_to(args, dtype, device)
        dt = self.data.dtype if dtype is None else dtypes.to_dtype(dtype, "to")
        if dt == self.data.dtype:
            return self.clone() if copy else self
        if dt.kind != "f":  # integers and bools carry no gradient (as PyTorch)
            return nograd.AsType.apply(self, dtype=dt)
        return unary.Cast.apply(self, dtype=dt)

    def clone(self):
        """A copy that is still in the graph: y = x;  dx = g."""
        return unary.Clone.apply(self)

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        return self.to("cuda")  # raises: CPU only

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def long(self):
        return self.to(dtypes.int64)

    def int(self):
        return self.to(dtypes.int32)

    def bool(self):
        return self.to(dtypes.bool_)

    def type(self, dtype=None):
        return self.dtype if dtype is None else self.to(dtype)

    # ----- binary arithmetic with PyTorch's promotion ---------------------------------
    def _operands(self, other, reverse=False, op="op"):
        if _is_tensor(other):
            a, b = self, other
            if a.data.dtype != b.data.dtype:
                dt = dtypes.result_type(a.data.dtype, b.data.dtype, a.data.ndim > 0,
                                        b.data.ndim > 0)
                a, b = a.to(dt), b.to(dt)
        elif isinstance(other, np.ndarray):
            return self._operands(_tensor(other.astype(dtypes.infer_dtype(other))), reverse, op)
        elif isinstance(other, (int, float, bool, np.number)):
            dt = dtypes.scalar_dtype(other, self.data.dtype)
            a, b = self.to(dt), _tensor(dtypes.scalar_array(other, dt, op))
        else:
            raise TypeError(f"{op}: unsupported operand type {type(other).__name__}")
        return (b, a) if reverse else (a, b)

    def __add__(self, other):
        return binary.Add.apply(*self._operands(other, op="add"))

    def __radd__(self, other):
        # 2 + x is recorded as add(x, 2), the number second, as PyTorch
        return binary.Add.apply(*self._operands(other, not _is_number(other), "add"))

    def __sub__(self, other):
        return binary.Sub.apply(*self._no_bool_sub(other)._operands(other, op="sub"))

    def __rsub__(self, other):
        a, b = self._no_bool_sub(other)._operands(other, op="sub")
        if _is_number(other):  # rsub(x, 2): one input, as PyTorch records it
            return scalar.Rsub.apply(a, c=b.data)
        return binary.Sub.apply(b, a)

    def _no_bool_sub(self, other):
        if self.data.dtype.kind == "b" or getattr(other, "dtype", type(other)) in (
                bool, dtypes.bool_):
            raise RuntimeError("sub: subtraction with a bool tensor is not supported; "
                               "use ~ or logical_xor() for masks")
        return self

    def __mul__(self, other):
        return binary.Mul.apply(*self._operands(other, op="mul"))

    def __rmul__(self, other):
        return binary.Mul.apply(*self._operands(other, not _is_number(other), "mul"))

    # the named forms, as PyTorch's (alpha scales the other operand)
    def add(self, other, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

    def pow(self, exponent):
        return self ** exponent

    def _div_operands(self, other, reverse):
        # True division of integers happens in the default float, each operand converted
        # from its own value: −3 / uint8 is not 253 / uint8.
        if isinstance(other, np.ndarray):
            other = _tensor(other.astype(dtypes.infer_dtype(other)))
        other_kind = other.data.dtype.kind if _is_tensor(other) else "f" if isinstance(
            other, (float, np.floating)) else "i"
        if self.data.dtype.kind != "f" and other_kind != "f":
            self = self.to(dtypes.DEFAULT_FLOAT)
            if _is_tensor(other):
                other = other.to(dtypes.DEFAULT_FLOAT)
        return self._operands(other, reverse, "div")

    def __truediv__(self, other):
        return binary.Div.apply(*self._div_operands(other, False))

    def __rtruediv__(self, other):
        if _is_number(other):  # reciprocal(x) * 2, as PyTorch computes and records it
            return self.reciprocal() * other
        return binary.Div.apply(*self._div_operands(other, True))

    def reciprocal(self):
        return scalar.Reciprocal.apply(self._float_or_default())

    def _float_or_default(self):
        return self if self.data.dtype.kind == "f" else self.to(dtypes.DEFAULT_FLOAT)

    def __pow__(self, other):
        if self.data.dtype.kind == "b" and getattr(other, "dtype", type(other)) in (
                bool, dtypes.bool_):
            raise RuntimeError("pow: not implemented for two bool operands")
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            dt = dtypes.scalar_dtype(other, self.data.dtype)
            return binary.PowScalar.apply(self.to(dt), p=other)
        return binary.Pow.apply(*self._operands(other, op="pow"))

    def __rpow__(self, other):
        if self.data.dtype.kind == "b" and isinstance(other, bool):
            raise RuntimeError("pow: not implemented for two bool operands")
        a, b = self._operands(other, op="pow")
        if _is_number(other) and a.data.dtype.kind == "f":  # pow(2, x): one input, as PyTorch
            return scalar.RPow.apply(a, c=b.data)
        return binary.Pow.apply(b, a)

    def __neg__(self):
        return unary.Neg.apply(self._no_bool("neg"))

    def _no_bool(self, op):
        if self.data.dtype.kind == "b":
            raise RuntimeError(f"{op}: not supported for bool tensors")
        return self

    # ----- unary ----------------------------------------------------------------------
    def _float_op(self, fn):
        return fn.apply(self if self.data.dtype.kind == "f" else self.to(dtypes.DEFAULT_FLOAT))

    def exp(self):
        return self._float_op(unary.Exp)

    def log(self):
        return self._float_op(unary.Log)

    def sqrt(self):
        return self._float_op(unary.Sqrt)

    def sigmoid(self):
        return self._float_op(unary.Sigmoid)

    def tanh(self):
        return self._float_op(unary.Tanh)

    def relu(self):
        return unary.ReLU.apply(self._no_bool("relu"))

    def abs(self):
        return unary.Abs.apply(self._no_bool("abs"))

    neg = __neg__

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def clamp(self, min=None, max=None):
        return self._clamp(min, max, (unary.Clamp, None))

    def _clamp(self, min, max, ops):
        """x limited to [min, max] (either may be None); ``ops``: the ops for number and
        for tensor bounds (clamp_min and clamp_max have nodes of their own names)."""
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        if _is_tensor(min) or _is_tensor(max):  # tensor bounds get gradients too
            return self._clamp_tensors(min, max, ops[1])
        # the bounds promote like operands (an integer tensor clamped to 0.5 is float)
        # and are then cast to that dtype, as PyTorch's
        bounds = [getattr(b, "data", b) for b in (min, max)]
        dt = self.data.dtype
        for b in bounds:
            if isinstance(b, np.ndarray):
                dt = dtypes.result_type(dt, b.dtype, True, b.ndim > 0)
            elif b is not None:
                dt = dtypes.scalar_dtype(b, dt)
        lo, hi = (b if b is None or isinstance(b, np.ndarray) else
                  dtypes.scalar_array(b, dt, "clamp") for b in bounds)
        return ops[0].apply(self.to(dt), lo=lo, hi=hi)

    clip = clamp
