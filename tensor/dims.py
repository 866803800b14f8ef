"""Dimension arguments: ``dim=`` as PyTorch takes it (an int, a sequence, negative
counts from the end), checked against a tensor's rank."""

from __future__ import annotations

import numpy as np


def normalize_dims(dim, ndim: int, op: str) -> tuple:
    """``dim`` (int, sequence or None) as a tuple of non-negative axes, checked."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    out = []
    for d in dims:
        if not lo <= d <= hi:
            raise IndexError(
                f"{op}: dimension out of range (expected to be in range of [{lo}, {hi}], "
                f"but got {d})"
            )
        out.append(d % max(ndim, 1))
    return tuple(out)
