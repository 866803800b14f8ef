"""PyTorch's CPU rounding for the fused updates its optimizers use (addcmul_, lerp_,
add_ with alpha): in float32 each rounded once, as a fused multiply-add is, so float32
runs track PyTorch's to the last bit or two rather than drifting apart (float64 rounds
the product too: a last-bit difference there is far below any tolerance, and an exact
emulation in long double costs ten times the update)."""

from __future__ import annotations

import numpy as np


def fma(a, b, c: np.ndarray) -> np.ndarray:
    """a·b + c rounded once in float32, as PyTorch's CPU kernels for addcmul, add(alpha=)
    and lerp compute it (a fused multiply-add). A number a is first rounded to c's
    dtype, as PyTorch's scalar arguments are."""
    a = np.asarray(a, c.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        if c.dtype != np.float32:
            return a * b + c
        wide = np.multiply(a, b, dtype=np.float64)  # exact: 24 + 24 bits fit in 53
        wide += c
        return wide.astype(np.float32)


def fma_(a, b, c: np.ndarray) -> None:
    """c ← a·b + c in place, rounded as fma() (one temporary fewer)."""
    if c.dtype != np.float32:
        c += np.asarray(a, c.dtype) * b
        return
    with np.errstate(over="ignore", invalid="ignore"):
        wide = np.multiply(np.asarray(a, c.dtype), b, dtype=np.float64)
        wide += c
        np.copyto(c, wide, casting="same_kind")


def lerp_(a: np.ndarray, b: np.ndarray, w: float) -> None:
    """a ← a + w·(b − a) in place, as PyTorch's lerp_ rounds it (from the nearer end)."""
    w = a.dtype.type(w)
    if abs(w) < 0.5:
        fma_(w, b - a, a)
    else:
        a[...] = fma(-(b - a), 1 - w, b)


def addcmul_(a: np.ndarray, value: float, b: np.ndarray, c: np.ndarray) -> None:
    """a ← a + value·b·c in place (PyTorch's addcmul_: value·b rounded, then fused)."""
    fma_(np.asarray(value, a.dtype) * b, c, a)
