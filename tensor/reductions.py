"""The reduction methods of `Tensor`: ``sum mean amax amin max min argmax argmin
softmax log_softmax``, with PyTorch's ``dim``/``keepdim`` forms, in front of the
primitives in ``ops/reduce.py`` and ``ops/nn.py``."""

from __future__ import annotations

import functools

import numpy as np

from . import dtypes, function, return_types
from .dims import normalize_dims
from .ops import nograd as N
from .ops import reduce as R
from .ops import scan as S
from .ops.nn import LogSoftmax, Softmax
from .ops.order import Picked
from .ops.reduce import reduce_dims


def _tensor(array):
    return function.Tensor._make(array, None)


def numpy_names(method):
    """Take NumPy's ``axis=`` and ``keepdims=`` for ``dim`` and ``keepdim``, as PyTorch's
    reductions do (``x.sum(axis=0, keepdims=True)``)."""

    @functools.wraps(method)
    def reduction(self, *args, axis=None, keepdims=None, **kwargs):
        if axis is not None:
            kwargs["dim"] = axis
        if keepdims is not None:
            kwargs["keepdim"] = keepdims
        return method(self, *args, **kwargs)

    return reduction


class ReductionMethods:
    __slots__ = ()

    def _reduce(self, op, dim, keepdim, **kwargs):
        return op.apply(self, axes=reduce_dims(dim, self.ndim, op.name()), keepdim=keepdim,
                        **kwargs)

    @numpy_names
    def sum(self, dim=None, keepdim=False):
        if dim is None:
            return self._reduce(R.Sum, dim, keepdim)
        return self._reduce(R.Sum, dim, keepdim, dim_given=True)

    @numpy_names
    def mean(self, dim=None, keepdim=False):
        if self.data.dtype.kind != "f":
            raise RuntimeError(f"mean: input dtype must be floating point, got {self.dtype.name}")
        if dim is None:
            return self._reduce(R.Mean, dim, keepdim)
        return self._reduce(R.Mean, dim, keepdim, dim_given=True)

    @numpy_names
    def amax(self, dim=None, keepdim=False):
        return self._reduce(R.Amax, dim, keepdim)

    @numpy_names
    def amin(self, dim=None, keepdim=False):
        return self._reduce(R.Amin, dim, keepdim)

    def _extreme(self, op, arg, dim, keepdim):
        if dim is None:
            if self.data.size == 0:
                raise RuntimeError(f"{op.name()[1:]}(): expected a reduction dim for an "
                                   f"empty tensor of shape {tuple(self.shape)}")
            return op.apply(self, axes=tuple(range(self.ndim)), keepdim=False,
                            nan_shares=True)
        name = op.name()[1:]  # max or min
        idx = self._arg(arg, name, dim, True, bool_ok=True)
        if self.ndim == 0:
            values = self.gather(dim, idx) if keepdim else self.gather(dim, idx).squeeze(dim)
        else:
            (d,) = normalize_dims(dim, self.ndim, name)
            values = Picked.apply(self, dim=d, index=idx.data, keepdim=keepdim,
                                  name=f"{name.capitalize()}Backward0")
        if not keepdim:
            idx = idx.squeeze(dim)
        return getattr(return_types, name)(values, idx)

    @numpy_names
    def max(self, dim=None, keepdim=False):
        """Without ``dim``: the largest value. With ``dim``: (values, indices). With a
        tensor: the elementwise maximum (``torch.max(a, b)``)."""
        if hasattr(dim, "_ctx"):
            return self.maximum(dim)
        return self._extreme(R.Amax, np.argmax, dim, keepdim)

    @numpy_names
    def min(self, dim=None, keepdim=False):
        """Without ``dim``: the smallest value. With ``dim``: (values, indices). With a
        tensor: the elementwise minimum."""
        if hasattr(dim, "_ctx"):
            return self.minimum(dim)
        return self._extreme(R.Amin, np.argmin, dim, keepdim)

    def _arg(self, fn, name, dim, keepdim, bool_ok=False):
        if self.data.dtype.kind == "b" and not bool_ok:
            raise RuntimeError(f"{name}(): does not support bool input")
        if dim is None:
            if self.data.size == 0:
                raise IndexError(f"{name}(): expected a reduction dim for an empty tensor")
            return N.ArgReduce.apply(self, fn=fn, axis=None, keepdims=False)
        if self.ndim == 0:
            normalize_dims(dim, 0, name)
            return N.Full.apply(shape=(), fill_value=0, dtype=dtypes.int64)
        (d,) = normalize_dims(dim, self.ndim, name)
        if self.shape[d] == 0:
            raise IndexError(f"{name}(): expected reduction dim {dim} to have non-zero size "
                             f"(shape {tuple(self.shape)})")
        return N.ArgReduce.apply(self, fn=fn, axis=d, keepdims=keepdim)

    @numpy_names
    def argmax(self, dim=None, keepdim=False):
        return self._arg(np.argmax, "argmax", dim, keepdim)

    @numpy_names
    def argmin(self, dim=None, keepdim=False):
        return self._arg(np.argmin, "argmin", dim, keepdim)

    def _softmax(self, op, dim):
        if self.data.dtype.kind != "f":
            raise RuntimeError(f"{op.name()}: not implemented for {self.dtype.name} (needs a "
                               "floating point tensor)")
        if self.ndim == 0:  # one element: softmax 1, log-softmax 0 (as PyTorch)
            normalize_dims(dim, 0, op.name())
            return op.apply(self.reshape(1), dim=0).reshape(())
        (d,) = normalize_dims(dim, self.ndim, op.name())
        return op.apply(self, dim=d)

    def softmax(self, dim):
        return self._softmax(Softmax, dim)

    def log_softmax(self, dim):
        return self._softmax(LogSoftmax, dim)

    @numpy_names
    def all(self, dim=None, keepdim=False):
        """Whether every element (along dim) is nonzero: a bool tensor, no gradient."""
        return self._logical_reduce(np.all, dim, keepdim, "all")

    @numpy_names
    def any(self, dim=None, keepdim=False):
        """Whether any element (along dim) is nonzero."""
        return self._logical_reduce(np.any, dim, keepdim, "any")

    def _logical_reduce(self, fn, dim, keepdim, op):
        # dim=() reduces nothing here (as PyTorch's all/any)
        axis = () if isinstance(dim, (tuple, list)) and not dim else reduce_dims(dim, self.ndim,
                                                                                  op)
        return N.LogicalReduce.apply(self, fn=fn, axis=axis, keepdims=keepdim)

    # ----- products and running totals (ops/scan.py) --------------------------------
    def _scan_dtype(self, dtype, op):
        """PyTorch's: integers and bools accumulate in int64 unless dtype= says."""
        if dtype is not None:
            return dtypes.to_dtype(dtype, op)
        return np.dtype(np.int64) if self.data.dtype.kind in "iub" else self.data.dtype

    def _scan_input(self, dtype, op):
        dt = self._scan_dtype(dtype, op)
        return self if dt == self.data.dtype else self.to(dt)

    @numpy_names
    def prod(self, dim=None, keepdim=False, *, dtype=None):
        """∏ of the elements (along one dim): as PyTorch, its gradient is exact when
        the input holds zeros."""
        x = self._scan_input(dtype, "prod")
        if dim is None:
            return S.Prod.apply(x, axis=None, keepdim=False, dtype=None)
        (d,) = normalize_dims(dim, self.ndim, "prod")
        if self.ndim == 0:
            return S.Prod.apply(x, axis=None, keepdim=False, dtype=None)
        return S.Prod.apply(x, axis=d, keepdim=keepdim, dtype=None)

    def cumsum(self, dim, *, dtype=None):
        """The running total along dim."""
        return self._scan(S.Cumsum, dim, dtype, "cumsum")

    def cumprod(self, dim, *, dtype=None):
        """The running product along dim."""
        return self._scan(S.Cumprod, dim, dtype, "cumprod")

    def _scan(self, op, dim, dtype, name):
        (d,) = normalize_dims(dim, self.ndim, name)
        x = self._scan_input(dtype, name)
        if self.ndim == 0:
            return op.apply(x.reshape(1), axis=0, dtype=None).reshape(())
        return op.apply(x, axis=d, dtype=None)

    def cumsum_(self, dim, *, dtype=None):
        result = self.detach().cumsum(dim, dtype=dtype)
        return self._inplace("cumsum_", lambda a, v: np.copyto(a, v, casting="unsafe"),
                             result.data, graph=lambda t: t.cumsum(dim, dtype=dtype))

    def cumprod_(self, dim, *, dtype=None):
        result = self.detach().cumprod(dim, dtype=dtype)
        return self._inplace("cumprod_", lambda a, v: np.copyto(a, v, casting="unsafe"),
                             result.data, graph=lambda t: t.cumprod(dim, dtype=dtype))
