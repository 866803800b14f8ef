"""More op methods of `Tensor` from the first programs after the basics: selecting
(index_select, masked_select), new tensors like this one (new_zeros, type_as, …),
sign and square, the fused products (addmm, baddbmm, addcmul, addcdiv), nan_to_num,
diff, and the in-place forms among them. Each is composed of existing ops, so its
gradient, its gradient's gradient and tensor.compile come with them."""

from __future__ import annotations

import numpy as np

from . import dtypes, function
from .dims import normalize_dims
from .ops import movement as M
from .ops.nograd import Full
from .ops.shape import Cat


def _value_for(value, *tensors):
    """PyTorch casts addcmul's value to the integer result type of integer tensors."""
    kinds = {getattr(t, "data", np.asarray(t)).dtype.kind for t in tensors}
    return int(value) if kinds <= set("iub") else value


class MoreMathMethods:
    __slots__ = ()

    # ----- selecting -------------------------------------------------------------------
    def index_select(self, dim, index):
        (d,) = normalize_dims(dim, self.ndim, "index_select")
        idx = np.asarray(getattr(index, "data", index))
        if idx.ndim > 1:
            raise IndexError(f"index_select(): Index is supposed to be a vector, got shape "
                             f"{idx.shape}")
        if idx.dtype not in (np.int32, np.int64):
            raise RuntimeError(f"index_select(): Expected dtype int32 or int64 for index, got "
                               f"{idx.dtype.name}")
        idx = idx.reshape(-1)
        n = self.data.shape[d] if self.ndim else 1
        if self.ndim == 0 and idx.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                               f"{idx.size} value(s)")
        if n == 0 and idx.size and self.ndim > 1:  # (a vector's is an IndexError, below)
            raise RuntimeError(f"index_select(): self indexing axis dim should be positive "
                               f"(size 0 of dim {d} in shape {tuple(self.shape)})")
        if ((idx < 0) | (idx >= n)).any():
            raise IndexError(f"index_select(): index out of range in self (index "
                             f"{idx.tolist()}, size {n} of dim {d})")
        if self.ndim == 0:
            return M.IndexSelect.apply(self.reshape(1), key=(idx,)).reshape(())
        return M.IndexSelect.apply(self, key=(slice(None),) * d + (idx,))

    def masked_select(self, mask):
        m = np.asarray(getattr(mask, "data", mask))
        if m.dtype != bool:
            raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {m.dtype.name}")
        try:
            shape = np.broadcast_shapes(self.data.shape, m.shape)
        except ValueError:
            raise RuntimeError(f"masked_select: shapes {tuple(self.shape)} and {m.shape} cannot "
                               f"be broadcast") from None
        return M.MaskedSelect.apply(self.expand(shape), key=np.broadcast_to(m, shape))

    # ----- new tensors like this one -----------------------------------------------------
    def type_as(self, other):
        return self.to(other.dtype)

    def _new(self, fill, size, dtype, requires_grad):
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        dtype = dtypes.to_dtype(dtype, "new_full") if dtype is not None else self.data.dtype
        t = Full.apply(shape=tuple(int(n) for n in size), fill_value=fill, dtype=dtype)
        return t.requires_grad_(True) if requires_grad else t

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(0, size, dtype, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(1, size, dtype, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new(0, size, dtype, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return self._new(fill_value, (size,), dtype, requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        array = dtypes.as_array(data, dtype if dtype is not None else self.data.dtype, copy=True)
        t = function._make(array, None)
        return t.requires_grad_(True) if requires_grad else t

    # ----- sign, square, negative ------------------------------------------------------
    def sign(self):
        return M.Sign.apply(self)

    sgn = sign

    def square(self):
        return self ** 2

    def negative(self):
        return self.neg()

    # ----- fused products ----------------------------------------------------------------
    def _scaled_sum(self, op, product, beta, alpha):
        """beta·self + alpha·product, with self broadcast to the product's shape only."""
        try:
            shape = np.broadcast_shapes(self.data.shape, product.data.shape)
        except ValueError:
            shape = None
        if shape != product.data.shape:
            raise RuntimeError(f"{op}: the input of shape {tuple(self.shape)} cannot be "
                               f"broadcast to the product's shape {tuple(product.shape)}")
        if alpha != 1:
            product = product * alpha
        if beta == 0:  # as PyTorch: the input is ignored, its NaN and inf too
            return product
        return (self if beta == 1 else self * beta) + product

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta·self + alpha·(mat1 @ mat2)"""
        for name, m in (("mat1", mat1), ("mat2", mat2)):
            if m.ndim != 2:
                raise RuntimeError(f"addmm: {name} must be a matrix, got {m.ndim}-D tensor")
        return self._scaled_sum("addmm", mat1.mm(mat2), beta, alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta·self + alpha·(batch1 @ batch2), batch by batch"""
        for name, m in (("batch1", batch1), ("batch2", batch2)):
            if m.ndim != 3:  # PyTorch reads a missing dim first: an IndexError
                raise (IndexError if m.ndim < 3 else RuntimeError)(
                    f"baddbmm: {name} must be a 3D tensor, got {m.ndim}-D")
        return self._scaled_sum("baddbmm", batch1.bmm(batch2), beta, alpha)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """self + value·tensor1·tensor2"""
        value = _value_for(value, self, tensor1, tensor2)
        if all(getattr(t, "dtype", None) == dtypes.bool_ for t in (self, tensor1, tensor2)):
            raise NotImplementedError("addcmul: not implemented for bool tensors")
        return self + (tensor1 * value if value != 1 else tensor1) * tensor2

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """self + value·tensor1/tensor2 (floats only, as PyTorch)"""
        kinds = {getattr(t, "data", np.asarray(t)).dtype.kind for t in (tensor1, tensor2)}
        if kinds <= set("iub"):
            raise RuntimeError("addcdiv: Integer division with addcdiv is no longer supported; "
                               "use (input + value * tensor1 / tensor2) for float inputs")
        return self + (tensor1 * value if value != 1 else tensor1) / tensor2

    # ----- nan_to_num, diff ------------------------------------------------------------
    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        if self.data.dtype.kind != "f":
            return self.clone()
        return M.NanToNum.apply(self, nan=nan, posinf=posinf, neginf=neginf)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The n-th forward difference along dim: x[i+1] − x[i] (XOR for bools)."""
        if self.ndim == 0:
            raise RuntimeError("diff expects input to be at least one-dimensional")
        if n < 0:
            raise RuntimeError(f"diff: order must be non-negative but got {n}")
        (d,) = normalize_dims(dim, self.ndim, "diff")
        parts = [t for t in (prepend, self, append) if t is not None]
        if any(t.ndim != self.ndim for t in parts):
            raise RuntimeError("diff expects prepend or append to be the same dimension as "
                               "input")
        dt = parts[0].data.dtype
        for t in parts[1:]:  # PyTorch's promotion, as cat's
            dt = dtypes.result_type(dt, t.data.dtype)
        parts = [t if t.data.dtype == dt else t.to(dtypes.PUBLIC[dt]) for t in parts]
        x = Cat.apply(*parts, dim=d) if len(parts) > 1 else self
        for _ in range(n):
            k = x.data.shape[d]
            if k == 0:
                break
            after, before = x.narrow(d, 1, k - 1), x.narrow(d, 0, k - 1)
            x = after ^ before if x.data.dtype == bool else after - before
        return x

    # ----- in place ----------------------------------------------------------------------
    def _update(self, op, compute, *others):
        """self ← compute(self), in place, refused (as PyTorch) when the result's dtype
        is of a higher kind (bool < integer < float) than this tensor's."""
        def checked(t):
            out = compute(t)
            if dtypes.category(out.data.dtype) > dtypes.category(self.data.dtype):
                raise RuntimeError(f"{op}: result type {out.dtype.name} can't be cast to the "
                                   f"desired output type {self.dtype.name}")
            return out

        from .inplace import a_t

        wanted = next((t for t in others if getattr(t, "requires_grad", False)), None)
        return self._inplace(op, lambda a, _: np.copyto(a, checked(a_t(a)).data, casting="unsafe"),
                             wanted, graph=checked)

    def pow_(self, exponent):
        return self._update("pow_", lambda t: t ** exponent, exponent)

    def square_(self):
        return self._update("square_", lambda t: t.square())

    def sign_(self):
        return self._update("sign_", lambda t: t.sign())

    sgn_ = sign_

    def negative_(self):
        return self._update("negative_", lambda t: -t)

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self._update("nan_to_num_", lambda t: t.nan_to_num(nan, posinf, neginf))

    def addcmul_(self, tensor1, tensor2, *, value=1):
        return self._update("addcmul_", lambda t: t.addcmul(tensor1, tensor2, value=value),
                            tensor1, tensor2)

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        return self._update("addcdiv_", lambda t: t.addcdiv(tensor1, tensor2, value=value),
                            tensor1, tensor2)
