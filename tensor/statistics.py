"""Statistics over dims, composed from the primitive ops (so their gradients are
the primitives'), except the 2-norm, one op for its gradient at zero: ``var``,
``std``, ``norm``, ``logsumexp``, with PyTorch's arguments."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes
from .dims import normalize_dims
from .ops.reduce import VectorNorm
from .reductions import numpy_names


def _axes(t, dim, op: str) -> tuple:
    """``dim`` checked as PyTorch checks it (a 0-d tensor takes 0 and −1, not both:
    they name one dimension), as axes."""
    axes = normalize_dims(dim, t.ndim, op)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}: dim {dim} names a dimension more than once")
    return axes if t.ndim else ()


class StatisticsMethods:
    __slots__ = ()

    def _float_input(self, op: str):
        if self.data.dtype.kind != "f":
            raise RuntimeError(f"{op}: only supports floating point dtypes, got "
                               f"{self.dtype.name}")

    def _centred(self, op: str, dim, unbiased, correction):
        """(x − mean over ``dim``, the axes, N − correction): var's and std's parts."""
        self._float_input(op)
        if isinstance(dim, (tuple, list)) and not dim:  # dim=() is every dim, as PyTorch's
            dim = None
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        axes = _axes(self, dim, op)
        n = math.prod(self.shape[a] for a in axes)
        centred = self - self.mean(axes, keepdim=True) if axes else self - self
        return centred, axes, max(n - correction, 0)

    @numpy_names
    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Σ(x − mean)² / (N − correction) over ``dim`` (all by default); correction 1
        unless given (``unbiased=False`` is correction 0)."""
        centred, axes, dof = self._centred("var", dim, unbiased, correction)
        return (centred * centred).sum(axes, keepdim=keepdim) / dof

    @numpy_names
    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """√var = ‖x − mean‖ / √(N − correction), with var's arguments: the norm's
        gradient is 0 where the spread is 0, as PyTorch's (√ alone would give 0/0)."""
        centred, axes, dof = self._centred("std", dim, unbiased, correction)
        with np.errstate(divide="ignore", invalid="ignore"):
            return VectorNorm.apply(centred, axes=axes, keepdim=keepdim) / math.sqrt(dof)

    @numpy_names
    def norm(self, p="fro", dim=None, keepdim=False):
        """The p-norm over ``dim`` (all by default): (Σ|x|ᵖ)^(1/p); "fro" and 2 are the
        Euclidean norm, inf the largest |x|, 0 the count of nonzero elements."""
        self._float_input("norm")
        if isinstance(dim, (tuple, list)):
            if p == "fro" and len(dim) > 2:
                raise RuntimeError(f"norm: the Frobenius norm takes one or two dims, got "
                                   f"{tuple(dim)}")
            dim = dim or None  # dim=() is every dim, as PyTorch's
        axes = _axes(self, dim, "norm")
        if not self.ndim:  # a 0-d tensor's reductions take no dims
            axes = None
        if p in ("fro", 2, 2.0):  # one op: its gradient at a zero vector is 0, as PyTorch's
            # a slice of one number has |x| as its norm in PyTorch, except along a dim
            # of a 0-d tensor (where x² overflows there too)
            return VectorNorm.apply(self, axes=axes if axes is not None else (),
                                    keepdim=keepdim, whole=dim is None or self.ndim > 0)
        if not 0 <= p < math.inf:  # a max, min or negative power of no terms has no value
            _nonempty_for_norm(self, dim, axes, p)
        a = self.abs()
        if p == math.inf:
            return a.amax(axes, keepdim=keepdim)
        if p == -math.inf:
            return a.amin(axes, keepdim=keepdim)
        if p == 0:
            return (a != 0).to(self.dtype).sum(axes, keepdim=keepdim)
        if p == 1:
            return a.sum(axes, keepdim=keepdim)
        return (a ** p).sum(axes, keepdim=keepdim) ** (1.0 / p)

    @numpy_names
    def logsumexp(self, dim, keepdim=False):
        """log Σ exp(x) over ``dim``, with the maximum taken out first (stable)."""
        if self.data.dtype.kind != "f":  # integers and bools as the default float
            self = self.to(dtypes.PUBLIC[dtypes.DEFAULT_FLOAT])
        axes = _axes(self, dim, "logsumexp")
        big = float(np.finfo(self.data.dtype).max)
        if not axes:  # log exp x = x, with the gradient exp(x − x): NaN at NaN and ±inf
            top = self.detach().clamp(-big, big)
            with np.errstate(divide="ignore", invalid="ignore"):
                return (self - top).exp().log() + top
        if any(self.shape[a] == 0 for a in axes):  # a sum of no terms: log 0 = −inf
            with np.errstate(divide="ignore"):
                return self.exp().sum(axes, keepdim=keepdim).log()
        # the maximum is a constant (its gradient cancels); an infinite one is kept
        # finite, so that a row of −inf gives −inf, not NaN
        top = self.detach().amax(axes, keepdim=True).clamp(-big, big)
        total = (self - top).exp().sum(axes, keepdim=True).log() + top
        return total if keepdim else total.squeeze(axes)


def _nonempty_for_norm(x, dim, axes, p) -> None:
    """PyTorch's error for a norm whose reduction (min, max or a negative power) has
    no identity, over an empty tensor or an empty dim."""
    if dim is None and x.numel() == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on an empty "
                           "tensor because the operation does not have an identity")
    for d in axes or ():
        if x.shape[d] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {p:g} norm on the "
                               f"dimension {d} because this dimension is empty and the "
                               "operation does not have an identity")
