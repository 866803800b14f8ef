"""The floating-point arithmetic of PyTorch's random kernels, reproduced in NumPy.

Same numbers need the same roundings, not just the same formulas:

- float32 ``randn`` (≥ 16 contiguous elements) runs torch's AVX2 kernel: that is
  ``avx32.py``.
- the double paths call glibc's ``log``/``log1p``/``sin``/``cos``. NumPy's own
  float64 ``log`` and ``log1p`` differ from glibc's in the last bit now and then:
  ``libm_log.py`` has glibc's log on whole arrays; elsewhere `libm` calls Python's
  ``math`` (which is glibc) element by element.
- ``x·std + mean`` and ``uniform``'s ``x·(b − a) + a`` are FMAs in torch's build;
  `fma64` is an exact FMA from error-free transformations (Boldo & Melquiond's
  emulation through rounding to odd).
"""

from __future__ import annotations

import math

import numpy as np

f32, f64 = np.float32, np.float64


# --- exact FMA ----------------------------------------------------------------------
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    c = a * 134217729.0  # 2²⁷ + 1: Veltkamp's split into two 26-bit halves
    hi = c - (c - a)
    return hi, a - hi


def _round_odd(s, err):
    """``s`` = RN(exact) with exact − s = ``err``: the value rounded to odd instead,
    so that rounding it again (to float64 or to float32) is a single correct rounding.
    An inexact even ``s`` moves one ulp toward the exact value: +1 or −1 on its bits."""
    bits = s.view(np.int64)
    inexact_even = (err != 0) & ((bits & 1) == 0)
    toward = np.where((err > 0) == (s > 0), 1, -1)
    bits += inexact_even * toward
    return s


def fma64(a, b, c) -> np.ndarray:
    """a·b + c rounded once, in float64."""
    a, b, c = (np.asarray(v, f64) for v in (a, b, c))
    a, b, c = np.broadcast_arrays(a, b, c)
    uh = a * b
    (ah, al), (bh, bl) = _split(a), _split(b)
    ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl
    th, tl = _two_sum(c, uh)
    v, v_err = _two_sum(tl, ul)
    return th + _round_odd(np.atleast_1d(v), np.atleast_1d(v_err)).reshape(v.shape)


def fma32(a, b, c) -> np.ndarray:
    """a·b + c rounded once, in float32. The product of two floats is exact in
    float64; the sum's float64 rounding only matters when it lands exactly halfway
    between two floats (about once in 2²⁹), where the rounding error decides."""
    p = np.asarray(a, f64) * np.asarray(b, f64)
    c = np.broadcast_to(np.asarray(c, f64), p.shape)
    s = np.atleast_1d(p + c)
    halfway = (s.view(np.int64) & 0x1FFFFFFF) == 0x10000000
    if halfway.any():
        at = np.nonzero(halfway.reshape(s.shape))
        pp, cc = np.atleast_1d(p)[at], np.atleast_1d(c)[at]
        s[at] = _round_odd(*_two_sum(pp, cc))
    return s.reshape(p.shape).astype(f32)


# --- glibc's double functions -------------------------------------------------------
def libm(fn, x: np.ndarray) -> np.ndarray:
    """``math.fn`` (glibc) on every element: NumPy's SIMD versions differ in the last bit."""
    return np.fromiter(map(fn, x.ravel().tolist()), f64, count=x.size).reshape(x.shape)


_numpy_trig_is_libm = None


def sin_cos(x: np.ndarray, sin=None, cos=None) -> tuple[np.ndarray, np.ndarray]:
    """glibc's sin and cos (into ``sin`` and ``cos`` if given): NumPy's where they
    agree with it on this machine (checked once on 4096 points), else one element at
    a time."""
    global _numpy_trig_is_libm
    if _numpy_trig_is_libm is None:
        probe = np.linspace(0.0, 2 * math.pi, 4096)
        _numpy_trig_is_libm = bool((np.sin(probe) == libm(math.sin, probe)).all()
                                   and (np.cos(probe) == libm(math.cos, probe)).all())
    if _numpy_trig_is_libm:
        return np.sin(x, out=sin), np.cos(x, out=cos)
    s, c = libm(math.sin, x), libm(math.cos, x)
    if sin is not None:
        sin[...], cos[...] = s, c
        return sin, cos
    return s, c
