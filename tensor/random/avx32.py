"""torch's AVX2 float32 Box–Muller (``normal_fill_16_AVX2``), operation for operation.

Its log and sin/cos are ``avx_mathfun.h``'s Cephes polynomials in float32, and GCC
fuses some of their multiply-adds into FMAs. An FMA of float32 values is done here
in float64, where the product is exact, and rounded once to float32 on the way out.
That sum is itself rounded in float64 when it does not fit, and so could in
principle land on a float32 midpoint and round twice; on these kernels it never
does: each function depends on one float32 uniform, which has 2²⁴ values, and all
of them give what an exact FMA gives (``tests/engine/test_random_avx32.py`` checks
all 2²⁴ against an FMA that corrects midpoints).

The speed comes from NumPy doing few, large operations: the two halves of each
block are made contiguous first (``normal_fill16``), results are written into
buffers with ``out=`` rather than new arrays, signs are flipped on the bits.
"""

from __future__ import annotations

import math

import numpy as np

f32, f64, i32, u32 = np.float32, np.float64, np.int32, np.uint32

_LOG_P = [f64(f32(c)) for c in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1,
                                -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
                                2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1)]
_LOG_Q1, _LOG_Q2, _SQRTHF = f32(-2.12194440e-4), f32(0.693359375), f32(0.707106781186547524)
_DP1, _DP2, _DP3 = f32(0.78515625), f32(2.4187564849853515625e-4), f32(3.77489497744594108e-8)
_FOPI = f32(1.27323954473516)  # 4/π
_SIN_P = [f64(f32(c)) for c in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)]
_COS_P = [f64(f32(c)) for c in (2.443315711809948e-5, -1.388731625493765e-3,
                                4.166664568298827e-2)]
TWO_PI = f32(2.0 * math.pi)
_SIGN = u32(29)  # (j & 4) << 29 is float32's sign bit


class _Work:
    """The scratch arrays of one block of ``n`` elements, reused by every step."""

    def __init__(self, n: int):
        self.x64, self.t64 = np.empty(n, f64), np.empty(n, f64)
        self.t32, self.z = np.empty(n, f32), np.empty(n, f32)
        self.j = np.empty(n, i32)


def _fma(a, b, c, out: np.ndarray, w: _Work) -> np.ndarray:
    """a·b + c, float32 in and out, one rounding (see the module's docstring)."""
    np.multiply(a, b, out=w.t64, dtype=f64)
    return np.add(w.t64, c, out=out)


def _horner(coefs, x64: np.ndarray, w: _Work) -> np.ndarray:
    """c₀·xⁿ + … + cₙ by float32 FMAs: each step t·x + c rounded once to float32."""
    t = w.t32
    np.multiply(x64, coefs[0], out=w.t64)
    np.add(w.t64, coefs[1], out=t)
    for c in coefs[2:]:
        np.multiply(t, x64, out=w.t64)
        np.add(w.t64, c, out=t)
    return t


def log(a: np.ndarray, w: _Work) -> np.ndarray:
    """``log256_ps``, in place on float32 a in (0, 1]: log(m·2ᵉ) = e·ln2 + log(m),
    m in [√½, √2), a polynomial for log(m), ln2 = q2 + q1 (q2 exact, q1 the rest)."""
    x, e = np.frexp(a, out=(a, w.j))
    small = x < _SQRTHF  # m in [½, √½): use 2m − 1 and e − 1
    np.add(x, x, out=x, where=small)
    x -= f32(1)  # exact
    e -= small
    ef = e.astype(f32)
    z = np.multiply(x, x, out=w.z)
    np.copyto(w.x64, x)
    y = _horner(_LOG_P, w.x64, w)
    y *= x
    y = _fma(y, z, ef * _LOG_Q1, y, w)
    z *= f32(0.5)  # exact
    y -= z
    x += y
    ef *= _LOG_Q2  # exact: e ≥ −25 and q2 has 9 bits
    x += ef
    return x


def sincos(theta: np.ndarray, w: _Work) -> tuple[np.ndarray, np.ndarray]:
    """``sincos256_ps`` for float32 θ in [0, 2π): θ = j·π/4 + x with j even (π/4 in
    three parts), polynomials for sin x and cos x on [−π/4, π/4], then the octant
    swaps them (j & 2) and sets their signs (j & 4)."""
    j = w.j
    np.multiply(theta, _FOPI, out=w.t32)
    np.copyto(j, w.t32, casting="unsafe")  # truncation, as cvttps
    j += 1
    j &= ~1
    jf = j.astype(f32)
    x = theta
    x -= jf * _DP1  # exact products: jf ≤ 8 and DP1, DP2 are short
    x -= jf * _DP2
    x = _fma(jf, -_DP3, x, x, w)
    z = np.multiply(x, x, out=w.z)
    np.copyto(w.x64, z)
    yc = _horner(_COS_P, w.x64, w) * z
    yc = _fma(yc, z, z * f32(-0.5), yc, w)
    yc += f32(1)
    ys = _horner(_SIN_P, w.x64, w)
    ys *= z
    ys = _fma(ys, x, x, ys, w)
    swap = (j & 2) != 0
    s, c = np.where(swap, yc, ys), np.where(swap, ys, yc)
    octant = j.view(u32)
    s.view(u32)[...] ^= (octant & 4) << _SIGN  # −sin where j & 4
    j -= 2
    np.invert(j, out=j)
    c.view(u32)[...] ^= (octant & 4) << _SIGN  # −cos where (j − 2) & 4 is 0
    return s, c
