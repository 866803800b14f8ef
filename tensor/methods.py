"""The op methods and operators of `Tensor`: argument handling (dims, dtypes,
PyTorch's promotion) in front of the primitives in ``ops*.py``."""

from __future__ import annotations

import numpy as np

from . import dtypes, function
from .counting import CountingMethods
from .device import parse_to
from .elementwise import ElementwiseMethods
from .indexing import IndexingMethods
from .ops import binary, nograd, products, scalar, unary
from .ops.linalg import MatMul
from .pointwise import PointwiseMethods
from .reductions import ReductionMethods
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
                    SortingMethods, CountingMethods, ElementwiseMethods, IndexingMethods):
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

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return _tensor(np.asarray(other)).matmul(self)

    def mm(self, other):
        if self.data.ndim != 2 or getattr(other, "ndim", 0) != 2:
            raise RuntimeError(f"mm: expected 2-D tensors, got shapes {tuple(self.shape)} and "
                               f"{tuple(getattr(other, 'shape', ()))}")
        return self.matmul(other)

    # products of fixed ranks, checked as PyTorch checks them (no broadcasting, one dtype)
    def dot(self, other):
        if self.data.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"dot: 1D tensors expected, but got {self.ndim}D and "
                               f"{other.ndim}D tensors")
        if self.data.shape != other.data.shape:
            raise RuntimeError(f"dot: inconsistent tensor size, shapes {tuple(self.shape)} and "
                               f"{tuple(other.shape)}")
        return products.Dot.apply(*self._same_dtype(other, "dot"))

    def mv(self, vec):
        if self.data.ndim != 2 or vec.ndim != 1:
            raise RuntimeError(f"mv: vector + matrix @ vector expected, got shapes "
                               f"{tuple(self.shape)} and {tuple(vec.shape)}")
        if self.data.shape[1] != vec.data.shape[0]:
            raise RuntimeError(f"mv: size mismatch, mat {tuple(self.shape)}, vec "
                               f"{tuple(vec.shape)}")
        return products.Mv.apply(*self._same_dtype(vec, "mv"))

    def bmm(self, mat2):
        for name, t in (("batch1", self), ("batch2", mat2)):
            if t.ndim != 3:
                raise RuntimeError(f"bmm: {name} must be a 3D tensor, got shape "
                                   f"{tuple(t.shape)}")
        b, _, m = self.data.shape
        if mat2.data.shape[:2] != (b, m):
            raise RuntimeError(f"bmm: expected size for first two dimensions of batch2 tensor "
                               f"to be: [{b}, {m}] but got: {list(mat2.shape[:2])}")
        return products.Bmm.apply(*self._same_dtype(mat2, "bmm"))

    def outer(self, vec2):
        """x ⊗ y = x[:, None]·y[None, :], recorded as PyTorch does: a product."""
        for name, t in (("self", self), ("vec2", vec2)):
            if t.ndim != 1:
                raise RuntimeError(f"outer: expected 1-D argument {name}, but got "
                                   f"{t.ndim}-D")
        return self.unsqueeze(1) * vec2

    ger = outer

    def _same_dtype(self, other, op):
        if self.data.dtype != other.data.dtype:
            raise RuntimeError(f"{op}: expected both tensors to have the same dtype, but found "
                               f"{self.dtype} and {other.dtype}")
        return self, other

    def matmul(self, other):
        if not _is_tensor(other):
            other = _tensor(np.asarray(other))
        if self.data.ndim == 0 or other.data.ndim == 0:
            raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                               f"{tuple(self.shape)} and {tuple(other.shape)}")
        if self.data.dtype != other.data.dtype:
            raise RuntimeError(f"matmul: expected both operands to have the same dtype, got "
                               f"{self.dtype.name} and {other.dtype.name}")
        if self.data.dtype.kind == "b":
            raise RuntimeError("matmul: not implemented for bool tensors")
        return MatMul.apply(self, other)

    # ----- comparisons (no gradient) --------------------------------------------------
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
        return _tensor(np.invert(self.data))

    def logical_not(self):
        return _tensor(np.logical_not(self.data))

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
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        if _is_tensor(min) or _is_tensor(max):  # tensor bounds get gradients too
            return self._clamp_tensors(min, max)
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
        return unary.Clamp.apply(self.to(dt), lo=lo, hi=hi)

    clip = clamp
