"""The matrix products of `Tensor` (``@``, ``matmul``, ``mm``, ``dot``, ``mv``, ``bmm``,
``outer``): the shape and dtype checks PyTorch makes, in front of the primitives in
``ops/linalg.py`` and ``ops/products.py``."""

from __future__ import annotations

import numpy as np

from . import function
from .ops import products
from .ops.linalg import MatMul


def _tensor(array):
    return function.Tensor._make(array, None)


def _is_tensor(x) -> bool:
    return hasattr(x, "_ctx")


class ProductMethods:
    __slots__ = ()

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
        if self.dtype != mat2.dtype and 0 in (*self.shape, *mat2.shape):
            # PyTorch's bmm skips its dtype check when a size is 0: the (empty or
            # all-zero) result takes mat2's dtype
            if self.requires_grad and not mat2.dtype.is_floating_point:
                raise RuntimeError(f"bmm: autograd does not support dtype {mat2.dtype}")
            return products.Bmm.apply(self.to(mat2.dtype), mat2)
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
