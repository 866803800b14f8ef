"""The op methods and operators of `Tensor`: argument handling (dims, dtypes,
PyTorch's promotion) in front of the primitives in ``ops*.py``."""

from __future__ import annotations

import numpy as np

from . import dtypes, function
from . import ops as O
from . import ops_fused as F
from . import ops_shape as S
from .ops import normalize_dims
from .reductions import ReductionMethods


def _tensor(array):
    return function.Tensor._make(array, None)


def _is_tensor(x) -> bool:
    return hasattr(x, "_ctx")


class TensorMethods(ReductionMethods):
    __slots__ = ()

    # ----- dtype ----------------------------------------------------------------------
    def to(self, dtype):
        dt = dtypes.to_dtype(dtype, "to")
        if dt == self.data.dtype:
            return self
        if dt.kind != "f":  # integers and bools carry no gradient (as PyTorch)
            with np.errstate(invalid="ignore"):  # NaN/inf become INT_MIN, as PyTorch
                return _tensor(self.data.astype(dt))
        return O.Cast.apply(self, dtype=dt)

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
        return O.Add.apply(*self._operands(other, op="add"))

    def __radd__(self, other):
        return O.Add.apply(*self._operands(other, True, "add"))

    def __sub__(self, other):
        return O.Sub.apply(*self._no_bool_sub(other)._operands(other, op="sub"))

    def __rsub__(self, other):
        return O.Sub.apply(*self._no_bool_sub(other)._operands(other, True, "sub"))

    def _no_bool_sub(self, other):
        if self.data.dtype.kind == "b" or getattr(other, "dtype", type(other)) in (
                bool, dtypes.bool_):
            raise RuntimeError("sub: subtraction with a bool tensor is not supported; "
                               "use ~ or logical_xor() for masks")
        return self

    def __mul__(self, other):
        return O.Mul.apply(*self._operands(other, op="mul"))

    def __rmul__(self, other):
        return O.Mul.apply(*self._operands(other, True, "mul"))

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
        return O.Div.apply(*self._div_operands(other, False))

    def __rtruediv__(self, other):
        return O.Div.apply(*self._div_operands(other, True))

    def __pow__(self, other):
        if self.data.dtype.kind == "b" and getattr(other, "dtype", type(other)) in (
                bool, dtypes.bool_):
            raise RuntimeError("pow: not implemented for two bool operands")
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            dt = dtypes.scalar_dtype(other, self.data.dtype)
            return O.PowScalar.apply(self.to(dt), p=other)
        return O.Pow.apply(*self._operands(other, op="pow"))

    def __rpow__(self, other):
        return O.Pow.apply(*self._operands(other, True, "pow"))

    def __neg__(self):
        return O.Neg.apply(self._no_bool("neg"))

    def _no_bool(self, op):
        if self.data.dtype.kind == "b":
            raise RuntimeError(f"{op}: not supported for bool tensors")
        return self

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return _tensor(np.asarray(other)).matmul(self)

    def matmul(self, other):
        if not _is_tensor(other):
            other = _tensor(np.asarray(other))
        if self.data.ndim == 0 or other.data.ndim == 0:
            raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                               f"{self.shape} and {other.shape}")
        if self.data.dtype != other.data.dtype:
            raise RuntimeError(f"matmul: expected both operands to have the same dtype, got "
                               f"{self.dtype.name} and {other.dtype.name}")
        if self.data.dtype.kind == "b":
            raise RuntimeError("matmul: not implemented for bool tensors")
        return F.MatMul.apply(self, other)

    add, sub, mul, div, pow = __add__, __sub__, __mul__, __truediv__, __pow__

    # ----- comparisons (no gradient) --------------------------------------------------
    def _compare(self, other, fn):
        # in the promoted dtype, as PyTorch: float32 vs a 0-d float64 compares in float32
        try:
            a, b = self._operands(other, op=fn.__name__)
        except TypeError:  # x == None is False, as in PyTorch, not an error
            return NotImplemented
        return _tensor(fn(a.data, b.data))

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

    # ----- unary ----------------------------------------------------------------------
    def _float_op(self, fn):
        return fn.apply(self if self.data.dtype.kind == "f" else self.to(dtypes.DEFAULT_FLOAT))

    def exp(self):
        return self._float_op(O.Exp)

    def log(self):
        return self._float_op(O.Log)

    def sqrt(self):
        return self._float_op(O.Sqrt)

    def sigmoid(self):
        return self._float_op(O.Sigmoid)

    def tanh(self):
        return self._float_op(O.Tanh)

    def relu(self):
        return O.ReLU.apply(self._no_bool("relu"))

    def abs(self):
        return O.Abs.apply(self._no_bool("abs"))

    neg = __neg__

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
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
        return O.Clamp.apply(self.to(dt), lo=lo, hi=hi)

    clip = clamp

    # ----- shape ----------------------------------------------------------------------
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if shape == self.data.shape:
            return self
        return S.Reshape.apply(self, shape=shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        s, e = normalize_dims((start_dim, end_dim), self.ndim, "flatten")
        if self.ndim == 0:
            return self.reshape(1)
        shape = self.shape
        joined = int(np.prod(shape[s:e + 1]))  # not -1: ambiguous when a size is 0
        return self.reshape(shape[:s] + (joined,) + shape[e + 1:]) if s <= e else self

    def permute(self, *dims):
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        axes = normalize_dims(dims, self.ndim, "permute")
        if sorted(axes) != list(range(self.ndim)):
            raise RuntimeError(f"permute: dims {dims} are not a permutation of the "
                               f"{self.ndim} dimensions of shape {self.shape}")
        return S.Permute.apply(self, dims=axes)

    def transpose(self, dim0, dim1):
        d0, d1 = normalize_dims((dim0, dim1), self.ndim, "transpose")
        if self.ndim == 0:
            return self
        axes = list(range(self.ndim))
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return S.Permute.apply(self, dims=tuple(axes))

    @property
    def T(self):
        return S.Permute.apply(self, dims=tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def unsqueeze(self, dim):
        (d,) = normalize_dims(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim=None):
        axes = normalize_dims(dim, self.ndim, "squeeze")
        if self.ndim == 0:
            return self
        shape = tuple(n for i, n in enumerate(self.shape) if not (i in axes and n == 1))
        return self.reshape(shape)

    def expand(self, *sizes):
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be "
                               f"at least the number of dimensions of shape {self.shape}")
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        return S.Expand.apply(self, shape=shape)

    def gather(self, dim, index):
        (d,) = normalize_dims(dim, self.ndim, "gather")
        return S.Gather.apply(self, dim=d, index=S.gather_index(
            np.asarray(getattr(index, "data", index)), self.shape, d))

    def __getitem__(self, index):
        return S.Index.apply(self, key=S.index_key(index))
