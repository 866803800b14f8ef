"""``torch.linalg``'s norms: ``vector_norm``, ``matrix_norm`` and ``norm``, which
picks one of the two as PyTorch's does. Built on ``Tensor.norm`` and reductions, so
their gradients are those ops' gradients."""

from __future__ import annotations

import math

from .dims import normalize_dims


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """(Σ|x|ᵒʳᵈ)^(1/ord) over ``dim`` (every element by default); inf: the largest |x|,
    −inf the smallest, 0 the count of nonzero elements."""
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    x = x if dtype is None else x.to(dtype)
    return x.norm(ord, dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: A002
    """The norm of the matrices over the two ``dim``: "fro" √Σ|a|², 1 (−1) the largest
    (smallest) column sum of |A|, inf (−inf) the largest (smallest) row sum."""
    A = A if dtype is None else A.to(dtype)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: the input must have at least 2 dimensions, "
                           f"got shape {tuple(A.shape)}")
    rows, cols = normalize_dims(dim, A.ndim, "linalg.matrix_norm")
    if ord == "fro":
        return A.norm(2, (rows, cols), keepdim)
    sums = {1: (rows, cols), -1: (rows, cols), math.inf: (cols, rows), -math.inf: (cols, rows)}
    if ord in (2, -2, "nuc"):
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} needs singular values, "
                                  "which this engine does not compute (use 'fro', 1, -1, "
                                  "inf or -inf)")
    if ord not in sums:
        raise RuntimeError(f"linalg.matrix_norm: order {ord!r} not supported (a matrix norm "
                           "takes 'fro', 'nuc', 2, -2, 1, -1, inf or -inf)")
    summed, over = sums[ord]
    totals = A.abs().sum(summed, keepdim=True)
    if ord > 0 and totals.shape[over] == 0:  # PyTorch's largest of no sums is 0
        out = totals.sum(over, keepdim=True)
    else:
        out = totals.amax(over, keepdim=True) if ord > 0 else totals.amin(over, keepdim=True)
    return out if keepdim else out.squeeze((rows, cols))


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """A vector norm when ``dim`` is one dimension (or, without ``ord``, when it is not
    given: the 2-norm of every element), a matrix norm when it is two."""
    if dim is None and ord is not None:
        if A.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: with ord={ord!r} and no dim, the input must be "
                               f"1-D or 2-D, got shape {tuple(A.shape)}")
        dim = (-2, -1) if A.ndim == 2 else -1
    if isinstance(dim, (tuple, list)) and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, tuple(dim), keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


__all__ = ["matrix_norm", "norm", "vector_norm"]
