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
block are made contiguous first (`fill16`), every step writes into reused arrays
(``out=``, scratch.py) rather than new ones, the octant's swap and signs are done
on the bits, and a batch of 64×784 is one slice.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from .scratch import scratch

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


CHUNK = 28672  # elements per slice (measured): each NumPy call costs ~1 µs besides its work
_BUFFERS = dict(x64=f64, t64=f64, a=f32, b=f32, c=f32, d=f32, t32=f32, z=f32, j=i32, k=u32,
                flag=bool)


def _work(n: int) -> SimpleNamespace:
    """The scratch arrays for a slice of ``n`` ≤ CHUNK elements (scratch.py)."""
    return SimpleNamespace(**{name: scratch("avx32." + name, n, dt)
                              for name, dt in _BUFFERS.items()})


def fill16(u: np.ndarray) -> None:
    """The block, in place on rows of 16 float32 uniforms: radius √(−2·log(1 − u[:8])),
    angle 2π·u[8:], out r·cos θ then r·sin θ."""
    rows = len(u)
    w = _work(rows * 8)
    radius = log(np.subtract(f32(1.0), u[:, :8], out=w.a.reshape(rows, 8)).ravel(), w)
    sin, cos = sincos(np.multiply(u[:, 8:], TWO_PI, out=w.b.reshape(rows, 8)).ravel(), w)
    radius *= f32(-2.0)
    np.sqrt(radius, out=radius)
    radius = radius.reshape(rows, 8)
    np.multiply(radius, cos.reshape(rows, 8), out=u[:, :8])
    np.multiply(radius, sin.reshape(rows, 8), out=u[:, 8:])


def _fma(a, b, c, out: np.ndarray, w: SimpleNamespace) -> np.ndarray:
    """a·b + c, float32 in and out, one rounding (see the module's docstring)."""
    np.multiply(a, b, out=w.t64, dtype=f64)
    return np.add(w.t64, c, out=out)


def _horner(coefs, x64: np.ndarray, w: SimpleNamespace) -> np.ndarray:
    """c₀·xⁿ + … + cₙ by float32 FMAs: each step t·x + c rounded once to float32
    (kept in float64 and rounded by two casts: faster than mixed-type ufuncs)."""
    t, t32 = w.t64, w.t32
    np.multiply(x64, coefs[0], out=t)
    t += coefs[1]
    for c in coefs[2:]:
        np.copyto(t32, t, casting="same_kind")
        np.copyto(t, t32)
        t *= x64
        t += c
    np.copyto(t32, t, casting="same_kind")
    return t32


def log(a: np.ndarray, w: SimpleNamespace) -> np.ndarray:
    """``log256_ps``, in place on float32 a in (0, 1]: log(m·2ᵉ) = e·ln2 + log(m),
    m in [√½, √2), a polynomial for log(m), ln2 = q2 + q1 (q2 exact, q1 the rest)."""
    x, e = np.frexp(a, out=(a, w.j))
    small = np.less(x, _SQRTHF, out=w.flag)  # m in [½, √½): use 2m − 1 and e − 1
    np.ldexp(x, small, out=x)  # (np.add(where=) is ten times slower)
    x -= f32(1)  # exact
    e -= small
    ef = w.c
    np.copyto(ef, e, casting="same_kind")
    z = np.multiply(x, x, out=w.z)
    np.copyto(w.x64, x)
    y = _horner(_LOG_P, w.x64, w)
    y *= x
    e_q1 = np.multiply(ef, _LOG_Q1, out=w.b)
    y = _fma(y, z, e_q1, y, w)
    z *= f32(0.5)  # exact
    y -= z
    x += y
    ef *= _LOG_Q2  # exact: e ≥ −25 and q2 has 9 bits
    x += ef
    return x


def sincos(theta: np.ndarray, w: SimpleNamespace) -> tuple[np.ndarray, np.ndarray]:
    """``sincos256_ps`` for float32 θ in [0, 2π): θ = j·π/4 + x with j even (π/4 in
    three parts), polynomials for sin x and cos x on [−π/4, π/4], then the octant
    swaps them (j & 2) and sets their signs (j & 4)."""
    j, jf, tmp = w.j, w.c, w.z
    np.multiply(theta, _FOPI, out=tmp)
    np.copyto(j, tmp, casting="unsafe")  # truncation, as cvttps
    j += 1
    j &= ~1
    np.copyto(jf, j, casting="same_kind")
    x = theta
    x -= np.multiply(jf, _DP1, out=tmp)  # exact products: jf ≤ 8 and DP1, DP2 are short
    x -= np.multiply(jf, _DP2, out=tmp)
    x = _fma(jf, -_DP3, x, x, w)
    z = np.multiply(x, x, out=w.z)
    np.copyto(w.x64, z)
    yc = np.multiply(_horner(_COS_P, w.x64, w), z, out=w.d)
    yc = _fma(yc, z, np.multiply(z, f32(-0.5), out=jf), yc, w)
    yc += f32(1)
    ys = _horner(_SIN_P, w.x64, w)
    ys *= z
    ys = _fma(ys, x, x, ys, w)
    # on the bits (np.where is slower): swap the two where j & 2, then the signs
    octant, bit = j.view(u32), w.k
    s, c = ys.view(u32), yc.view(u32)
    differ = np.bitwise_xor(s, c, out=jf.view(u32))
    np.bitwise_and(octant, 2, out=bit)
    bit <<= u32(30)
    np.right_shift(bit.view(i32), 31, out=bit.view(i32))  # all 32 bits set where j & 2
    differ &= bit
    s ^= differ
    c ^= differ
    np.bitwise_and(octant, 4, out=bit)
    bit <<= _SIGN
    s ^= bit  # −sin where j & 4
    j -= 2
    np.invert(j, out=j)
    np.bitwise_and(octant, 4, out=bit)
    bit <<= _SIGN
    c ^= bit  # −cos where (j − 2) & 4 is 0
    return s.view(f32), c.view(f32)
