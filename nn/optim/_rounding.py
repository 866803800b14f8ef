"""PyTorch's CPU rounding for the fused updates its optimizers use (addcmul_, lerp_,
add_ with alpha): each rounded once, as a fused multiply-add is, so float32 runs
track PyTorch's to the last bit or two rather than drifting apart."""

from __future__ import annotations

import numpy as np


def fma(a, b, c: np.ndarray) -> np.ndarray:
    """a·b + c rounded once, as PyTorch's CPU kernels for addcmul, add(alpha=) and lerp
    compute it (a fused multiply-add): in a wider float, then rounded to c's dtype.
    A number a is first rounded to c's dtype, as PyTorch's scalar arguments are."""
    wide = np.float64 if c.dtype == np.float32 else np.longdouble
    a = np.asarray(a, c.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        return (a.astype(wide) * np.asarray(b).astype(wide) + c.astype(wide)).astype(c.dtype)


def lerp_(a: np.ndarray, b: np.ndarray, w: float) -> None:
    """a ← a + w·(b − a) in place, as PyTorch's lerp_ rounds it (from the nearer end)."""
    w = a.dtype.type(w)
    if abs(w) < 0.5:
        a[...] = fma(w, b - a, a)
    else:
        a[...] = fma(-(b - a), 1 - w, b)


def addcmul_(a: np.ndarray, value: float, b: np.ndarray, c: np.ndarray) -> None:
    """a ← a + value·b·c in place (PyTorch's addcmul_: value·b rounded, then fused)."""
    a[...] = fma(np.asarray(value, a.dtype) * b, c, a)
