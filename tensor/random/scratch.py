"""Scratch arrays kept between calls, one set per thread.

On this kind of machine a fresh array of more than 128 KiB is fresh pages from the
kernel, and touching them costs more than the arithmetic done on them; the samplers
write their intermediate results into these instead (``out=``)."""

from __future__ import annotations

import threading

import numpy as np

_local = threading.local()


def scratch(name: str, n: int, dtype) -> np.ndarray:
    """A 1-d array of ``n`` elements of ``dtype``, the same memory on every call with
    this ``name`` (in this thread): its contents are whatever was left there."""
    arrays = _local.__dict__
    a = arrays.get(name)
    if a is None or a.size < n or a.dtype != dtype:
        a = arrays[name] = np.empty(n, dtype)
    return a[:n]
