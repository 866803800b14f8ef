"""glibc's double ``log``, bit for bit, on whole arrays.

NumPy's float64 ``log`` differs from glibc's (which torch calls) in the last bit for
about 0.35 % of values, and calling Python's ``math.log`` (glibc's) per element is
slow. glibc's log is within 0.52 ulp of the true value: the results of it that are
not the correctly rounded one lie within 0.017 ulp of a midpoint between two doubles
(measured on 4·10⁶ values). So wherever the true log is farther than `MARGIN` ulp
from a midpoint, glibc's result is the correctly rounded one; the ~5 % closer values
are asked of ``math.log``. The true log is estimated to within 0.004 ulp (measured
against the long double log), enough to tell:

    x = f·2ᵉ with f in [√½, √2),  c = 1 + i/128 the grid point nearest f,
    ĉ ≈ 1/c to 26 bits,  log x = e·ln2 − log ĉ + log1p(r),  r = f·ĉ − 1,

where f·ĉ − 1 is exact as two doubles (f split in halves of 27 and 26 bits),
−log ĉ is tabulated as two doubles (from ``decimal``), and log1p(r) = r − r²/2 + …
− r⁸/8 with |r| < 2⁻⁷. The sum is kept as a double H and its error L (two-sums):
the correctly rounded log is H, and |L| against half an ulp of H says how near the
true value is to a midpoint. ``tests/engine/test_random_fast_paths.py`` compares
with ``math.log``; 6·10⁷ values were compared once, none differ.
"""

from __future__ import annotations

import decimal
import math

import numpy as np

from .scratch import scratch

f64 = np.float64
MARGIN = 0.025  # ulp: > glibc's 0.017 worst + this estimate's error (< 0.005)
_N = 128  # grid points per unit of f
_I0 = 38  # i runs from −38 to 53 over f in [√½, √2)
_SQRT_HALF = math.sqrt(0.5)
_LOW26 = np.int64((1 << 26) - 1)
_MANTISSA = np.int64((1 << 52) - 1)
_EXPONENT, _53 = np.int64(0x7FF << 52), np.int64(53 << 52)
_table = None
CHUNK = 32768  # elements per slice (measured: a batch of 64×784 in one)


def _make_table():
    """ĉ = 1/c to 26 bits and −log ĉ as a pair of doubles, for c = 1 + i/128; and
    ln 2 as a pair, its first part to 42 bits (so that e·ln2 is exact for any e)."""
    decimal.getcontext().prec = 50
    inv, hi, lo = [], [], []
    for i in range(-_I0, 54):
        ic = round(2**25 / (1 + i / _N)) / 2**25 if i else 1.0
        neg_log = -decimal.Decimal(ic).ln()
        inv.append(ic)
        hi.append(float(neg_log))
        lo.append(float(neg_log - decimal.Decimal(hi[-1])))
    ln2 = decimal.Decimal(2).ln()
    ln2_hi = float((np.array(float(ln2)).view(np.int64) & ~np.int64(2**11 - 1)).view(f64))
    return np.array(inv), np.array(hi), np.array(lo), ln2_hi, float(ln2 - decimal.Decimal(ln2_hi))


_BUFFERS = dict(f=f64, a=f64, b=f64, c=f64, d=f64, s=f64, t=f64, e=np.int32, idx=np.intp,
                flag=bool, flag2=bool)


def _two_sum(a, b, s, tmp):
    """s + err = a + b exactly, s = fl(a + b) (Knuth); err is written over b."""
    np.add(a, b, out=s)
    bb = np.subtract(s, a, out=tmp)
    np.subtract(b, bb, out=b)  # b − bb
    np.subtract(s, bb, out=tmp)
    np.subtract(a, tmp, out=tmp)  # a − (s − bb)
    return s, np.add(tmp, b, out=b)


def log(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """glibc's log(x), for positive float64 x of any shape (into ``out``, contiguous,
    if given). (randn takes it of 1 − u, in (0, 1].)"""
    global _table
    if _table is None:
        _table = _make_table()
    x = np.asarray(x, f64)
    flat = x.ravel()
    result = np.empty(x.shape, f64) if out is None else out
    dest = result.reshape(-1)  # a view: ``out`` is contiguous
    for start in range(0, flat.size, CHUNK):
        part = flat[start:start + CHUNK]
        _log(part, dest[start:start + CHUNK],
             **{k: scratch("log." + k, part.size, dt) for k, dt in _BUFFERS.items()})
    return result


def _log(x, out, f, a, b, c, d, s, t, e, idx, flag, flag2) -> None:
    """glibc's log on a 1-d slice, as the module's docstring says, into ``out``
    (every step writes into a scratch array: ``out=`` throughout)."""
    inv_c, neg_log_hi, neg_log_lo, ln2_hi, ln2_lo = _table
    np.frexp(x, out=(f, e))
    small = np.less(f, _SQRT_HALF, out=flag)
    np.ldexp(f, small, out=f)  # f in [√½, √2)
    e -= small
    np.subtract(f, 1.0, out=a)
    a *= _N
    np.rint(a, out=a)
    np.copyto(idx, a, casting="unsafe")
    idx += _I0
    ic = np.take(inv_c, idx, out=b, mode="clip")
    # r = f·ĉ − 1 exactly, as r1 + r2: f's top 27 bits times ĉ's 26 fit a double, so
    # does the rest of f times ĉ; the first product is near 1, so minus 1 is exact
    f_hi = c
    np.bitwise_and(f.view(np.int64), ~_LOW26, out=f_hi.view(np.int64))
    r1 = np.multiply(f_hi, ic, out=a)
    r1 -= 1.0
    np.subtract(f, f_hi, out=f)
    r2 = np.multiply(f, ic, out=f)
    r1, r2 = _two_sum(r1, r2, s, t)  # r1 in s, r2 in f
    # log1p(r) − r = r²·(−1/2 + r/3 − … − r⁶/8) − r1·r2 (r2's share of r²/2)
    q = np.multiply(r1, -1.0 / 8, out=a)
    for k in range(7, 1, -1):
        q += (1.0 if k % 2 else -1.0) / k
        if k > 2:
            q *= r1
    tail = np.multiply(r1, r1, out=b)
    tail *= q
    tail -= np.multiply(r1, r2, out=c)
    tail += r2  # all of log1p(r) but r1
    # e·ln2 − log ĉ + r1 + tail, as a double and its error
    np.copyto(d, e)
    ef = d
    t1 = np.multiply(ef, ln2_hi, out=a)  # exact: e has ≤ 11 bits, ln2_hi 42
    t2 = np.take(neg_log_hi, idx, out=c, mode="clip")
    ef *= ln2_lo
    tail += ef
    tail += np.take(neg_log_lo, idx, out=d, mode="clip")
    t1, t2 = _two_sum(t1, t2, out, d)  # t1 in out, t2 in c
    tail += t2
    s1, s2 = _two_sum(t1, r1, a, d)  # s1 in a, s2 in s
    tail += s2
    h, err = _two_sum(s1, tail, out, d)  # h in out, err in b
    # near a midpoint (or at a power of two, where the ulp below is half): ask glibc.
    # Half an ulp of h is 2^(exponent − 53): its bits are h's exponent bits minus 53
    half_ulp = d
    np.bitwise_and(h.view(np.int64), _EXPONENT, out=half_ulp.view(np.int64))
    half_ulp.view(np.int64)[...] -= _53
    np.abs(err, out=err)
    err -= half_ulp  # distance from the midpoint …
    np.abs(err, out=err)
    half_ulp *= 2 * MARGIN
    unsure = np.less(err, half_ulp, out=flag)  # … under MARGIN ulp
    mantissa = np.bitwise_and(h.view(np.int64), _MANTISSA, out=d.view(np.int64))
    unsure |= np.equal(mantissa, 0, out=flag2)
    unsure |= np.less(x, 2.2250738585072014e-308, out=flag2)  # ≤ 0, subnormal
    unsure |= ~np.isfinite(x, out=flag2)  # (the ~ of a small bool array is cheap)
    unsure &= np.not_equal(x, 1.0, out=flag2)
    at = np.flatnonzero(unsure)
    h[at] = np.fromiter(map(math.log, x[at].tolist()), f64, count=at.size)
