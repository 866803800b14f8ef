"""Gradient clipping, as ``torch.nn.utils``: run between ``backward()`` and
``optimizer.step()``, on the parameters' ``.grad``."""

from __future__ import annotations

import math

import numpy as np

import tensor
from tensor.compile.capture import replayable


def _listed(parameters) -> list:
    """A tensor or an iterable of tensors (often a generator: read it once)."""
    return [parameters] if isinstance(parameters, tensor.Tensor) else list(parameters)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> tensor.Tensor:
    """Scale the gradients together so that the norm of all of them, as one vector,
    is at most ``max_norm``: g ← g · min(1, max_norm / (‖g‖ + 1e-6)). Returns that
    norm, as PyTorch (before clipping)."""
    return _clip_norm(_listed(parameters), float(max_norm), float(norm_type),
                      error_if_nonfinite)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to [−clip_value, clip_value], in place."""
    _clip_value(_listed(parameters), float(clip_value))


def _norm(g: np.ndarray, p: float) -> np.ndarray:
    """‖g‖ₚ of the flattened array, in its own dtype."""
    a = np.abs(g.ravel())
    if p == math.inf:
        return a.max(initial=0).astype(g.dtype)
    if p == 2:
        return np.sqrt(np.dot(a, a)).astype(g.dtype)
    return (np.sum(a ** p) ** (1 / p)).astype(g.dtype)


# Replayable: a compiled step calls them again (with the list read at the recording
# call), as it calls an optimizer's step(), instead of refusing the .grad they read.
@replayable
def _clip_norm(params: list, max_norm: float, norm_type: float, error_if_nonfinite: bool):
    grads = [p.grad.data for p in params if p.grad is not None]
    if not grads:
        return tensor.tensor(0.0)
    total = _norm(np.stack([_norm(g, norm_type) for g in grads]), norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           "gradients is non-finite, so it cannot be clipped. To disable this "
                           "error and scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    coef = np.minimum(max_norm / (total + total.dtype.type(1e-6)), total.dtype.type(1.0))
    for g in grads:
        g *= coef.astype(g.dtype)
    return tensor.from_numpy(np.asarray(total))


@replayable
def _clip_value(params: list, clip_value: float) -> None:
    for p in params:
        if p.grad is not None:
            np.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)


__all__ = ["clip_grad_norm_", "clip_grad_value_"]
