"""The floating-point arithmetic of PyTorch's random kernels, reproduced in NumPy.

Same numbers need the same roundings, not just the same formulas:

- float32 ``randn`` (≥ 16 contiguous elements) runs torch's AVX2 kernel, whose log
  and sin/cos are ``avx_mathfun.h``'s Cephes polynomials in float32. GCC fuses
  some of their multiply-adds into FMAs; `log_avx` and `sincos_avx` do the same
  float32 operations with the same fusions (an FMA is done in float64, where the
  product is exact, and rounded once to float32).
- the double paths call glibc's ``log``/``log1p``/``sin``/``cos``. NumPy's own
  float64 ``log`` and ``log1p`` differ from glibc's in the last bit now and then, so
  `libm` calls Python's ``math`` (which is glibc) element by element where it must.
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


def sin_cos(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """glibc's sin and cos: NumPy's where they agree with it on this machine (checked
    once on 4096 points), else one element at a time."""
    global _numpy_trig_is_libm
    if _numpy_trig_is_libm is None:
        probe = np.linspace(0.0, 2 * math.pi, 4096)
        _numpy_trig_is_libm = bool((np.sin(probe) == libm(math.sin, probe)).all()
                                   and (np.cos(probe) == libm(math.cos, probe)).all())
    if _numpy_trig_is_libm:
        return np.sin(x), np.cos(x)
    return libm(math.sin, x), libm(math.cos, x)


# --- avx_mathfun.h in float32 -----------------------------------------------------------
_LOG_P = [f32(c) for c in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1,
                            -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
                            2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1)]
_LOG_Q1, _LOG_Q2, _SQRTHF = f32(-2.12194440e-4), f32(0.693359375), f32(0.707106781186547524)
_DP1, _DP2, _DP3 = f32(0.78515625), f32(2.4187564849853515625e-4), f32(3.77489497744594108e-8)
_FOPI = f32(1.27323954473516)  # 4/π
_SIN_P = [f32(c) for c in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)]
_COS_P = [f32(c) for c in (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)]


def _horner_fma(coefs, x64: np.ndarray) -> np.ndarray:
    """c₀·xⁿ + … + cₙ by fused multiply-adds in float32 (returned as float64 values)."""
    t = x64 * f64(coefs[0])
    t += f64(coefs[1])
    r32 = np.empty(t.shape, f32)
    for c in coefs[2:]:
        np.copyto(r32, t, casting="unsafe")  # the FMA's one rounding to float32
        np.copyto(t, r32)
        t *= x64
        t += f64(c)
    np.copyto(r32, t, casting="unsafe")
    return r32


def log_avx(u: np.ndarray) -> np.ndarray:
    """``log256_ps`` for float32 u in (0, 1]: log(m·2ᵉ) = e·ln2 + log(m) with a
    polynomial for log(m), ln2 split in two parts (q2 exact, q1 the rest)."""
    m, e = np.frexp(u)
    small = m < _SQRTHF  # m in [½, √½): use 2m − 1 and e − 1
    e = e.astype(f32) - small
    x = m * (small + f32(1)) - f32(1)  # exact
    z = x * x
    x64 = x.astype(f64)
    y = _horner_fma(_LOG_P, x64) * x
    y = fma32(y, z, e * _LOG_Q1)
    y -= z * f32(0.5)
    x += y
    x += e * _LOG_Q2
    return x


def sincos_avx(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sincos256_ps`` for float32 θ ≥ 0: reduce by multiples of π/4 (π/4 in three
    parts), then a polynomial for sin or cos on [−π/4, π/4] and the octant's signs."""
    j = (theta * _FOPI).astype(np.int32)
    j = (j + 1) & ~1
    jf = j.astype(f32)
    x = theta - jf * _DP1  # exact products: jf ≤ 8 and DP1, DP2 are short
    x -= jf * _DP2
    x = fma32(jf, -_DP3, x)
    z = x * x
    z64, x64 = z.astype(f64), x.astype(f64)
    yc = _horner_fma(_COS_P, z64) * z
    yc = fma32(yc, z, -(z * f32(0.5)))
    yc += f32(1)
    ys = _horner_fma(_SIN_P, z64) * z
    ys = fma32(ys, x64, x)
    use_sin_poly = (j & 2) == 0
    s = np.where(use_sin_poly, ys, yc)
    c = np.where(use_sin_poly, yc, ys)
    np.negative(s, out=s, where=(j & 4) != 0)
    np.negative(c, out=c, where=((j - 2) & 4) == 0)
    return s, c
