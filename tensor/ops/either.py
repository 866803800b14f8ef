"""What backward formulas need that NumPy arrays and Tensors spell differently.

A twice-differentiable op's backward runs on arrays (the first-order pass every
training step runs) and on Tensors (``create_graph=True``, when its arithmetic is
recorded so that it can be differentiated again). Operators, ``.reshape``, ``.T``
and ``.sum(axis=…, keepdims=…)`` are the same on both; these are the rest. Masks
and other values that only select or count are computed on arrays either way
(`value`): they are constants of the gradient.
"""

from __future__ import annotations

import numpy as np

from .. import function


def is_tensor(a) -> bool:
    """A Tensor, not an array or a NumPy scalar (what 0-d arithmetic returns)."""
    return isinstance(a, function.Tensor)


def value(a):
    """The array of an array or of a Tensor."""
    return a.data if isinstance(a, function.Tensor) else a


def constant(array):
    """A Tensor without history, for the Tensor side of a formula."""
    return function._make(array, None)


def exp(a):
    return a.exp() if is_tensor(a) else np.exp(a)


def log(a):
    return a.log() if is_tensor(a) else np.log(a)


def sqrt(a):
    return a.sqrt() if is_tensor(a) else np.sqrt(a)


def sin(a):
    return a.sin() if is_tensor(a) else np.sin(a)


def cos(a):
    return a.cos() if is_tensor(a) else np.cos(a)


def sinh(a):
    return a.sinh() if is_tensor(a) else np.sinh(a)


def cosh(a):
    return a.cosh() if is_tensor(a) else np.cosh(a)


def sigmoid(a):
    return a.sigmoid() if is_tensor(a) else 1 / (1 + np.exp(-a))


def softplus(a):
    """log(1 + eᵃ), without overflow."""
    if is_tensor(a):
        return a.relu() + (-a.abs()).exp().log1p()
    return np.logaddexp(0, a)


def expand(a, shape):
    return a.expand(shape) if is_tensor(a) else np.broadcast_to(a, shape)


def permute(a, dims):
    return a.permute(tuple(dims)) if is_tensor(a) else a.transpose(dims)


def flip(a, axis: int):
    """a reversed along axis (a recorded slice on a Tensor)."""
    if is_tensor(a):
        return a[(slice(None),) * axis + (slice(None, None, -1),)]
    return np.flip(a, axis)


def mT(a):
    """The last two axes swapped."""
    return a.transpose(-2, -1) if is_tensor(a) else a.swapaxes(-1, -2)


def astype(a, dtype):
    return a.to(dtype) if is_tensor(a) else a.astype(dtype, copy=False)


def zeros_like(a):
    return constant(np.zeros_like(a.data)) if is_tensor(a) else np.zeros_like(a)


def split(g, sections, dim: int) -> list:
    """g cut along dim before each index in sections (np.split)."""
    if not is_tensor(g):
        return np.split(g, sections, axis=dim)
    bounds = [0, *(int(s) for s in sections), g.shape[dim]]
    lead = (slice(None),) * dim
    return [g[(*lead, slice(a, b))] for a, b in zip(bounds, bounds[1:])]


def through(op, g, **kwargs):
    """The op applied to g: its forward on an array, the recorded op on a Tensor.
    Backward formulas use it for the adjoint of a moving op (scatter for gather)."""
    if is_tensor(g):
        return op.apply(g, **kwargs)
    return op.forward(function._new(op), g, **kwargs)
