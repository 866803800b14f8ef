"""The fast float32 Box–Muller (tensor/random/avx32.py) against a plain transcription
of torch's AVX2 kernel whose every FMA is exact (midpoints corrected), on float32
uniforms: each function depends on one uniform, which takes 2²⁴ values, so a sweep
over all of them (``RANDOM_EXHAUSTIVE=1``) proves the two equal; the default run
takes every 61st value and the edges. The reference agrees with torch itself in
test_random_parity.py."""

import math
import os

import numpy as np
import pytest

from tensor.random import avx32

f32, f64 = np.float32, np.float64


def fma(a, b, c):
    """a·b + c rounded once to float32: the float64 sum, nudged off a float32
    midpoint toward its rounding error when it landed on one inexactly."""
    p = np.asarray(a, f64) * np.asarray(b, f64)
    c = np.broadcast_to(np.asarray(c, f64), p.shape)
    s = p + c
    bb = s - p
    err = (p - (s - bb)) + (c - bb)
    halfway = ((s.view(np.int64) & 0x1FFFFFFF) == 0x10000000) & (err != 0)
    s[halfway] = np.nextafter(s[halfway], s[halfway] + err[halfway])
    return s.astype(f32)


def horner(coefs, x):
    t = fma(x, f32(coefs[0]), f32(coefs[1]))
    for c in coefs[2:]:
        t = fma(t, x, f32(c))
    return t


def log_reference(a):
    m, e = np.frexp(a)
    small = m < avx32._SQRTHF
    e = e.astype(f32) - small
    x = np.where(small, m + m, m) - f32(1)
    z = x * x
    y = horner(avx32._LOG_P, x) * x
    y = fma(y, z, e * avx32._LOG_Q1)
    y = y - z * f32(0.5)
    return (x + y) + e * avx32._LOG_Q2


def sincos_reference(theta):
    j = (theta * avx32._FOPI).astype(np.int32)
    j = (j + 1) & ~1
    jf = j.astype(f32)
    x = (theta - jf * avx32._DP1) - jf * avx32._DP2
    x = fma(jf, -avx32._DP3, x)
    z = x * x
    yc = fma(horner(avx32._COS_P, z) * z, z, -(z * f32(0.5))) + f32(1)
    ys = fma(horner(avx32._SIN_P, z) * z, x, x)
    swap = (j & 2) != 0
    s, c = np.where(swap, yc, ys), np.where(swap, ys, yc)
    s = np.where((j & 4) != 0, -s, s)
    c = np.where(((j - 2) & 4) == 0, -c, c)
    return s, c


def _uniforms():
    k = np.arange(2**24, dtype=np.int64)
    if os.environ.get("RANDOM_EXHAUSTIVE") != "1":
        k = np.unique(np.concatenate([k[::61], k[:4096], k[-4096:]]))
    return k.astype(f32) * f32(2.0**-24)


def _same(a, b):
    return np.array_equal(a.view(np.uint32), b.view(np.uint32))


@pytest.mark.parametrize("chunk", [avx32.CHUNK])
def test_log_and_sincos_equal_the_exact_fma_kernel_on_float32_uniforms(chunk):
    u = _uniforms()
    for start in range(0, len(u), chunk):
        part = u[start:start + chunk]
        work = avx32._work(len(part))
        a = f32(1) - part
        fast_log = avx32.log(a.copy(), work)
        assert _same(fast_log, log_reference(a)), start
        theta = part * avx32.TWO_PI
        fs, fc = avx32.sincos(theta.copy(), work)
        rs, rc = sincos_reference(theta)
        assert _same(fs, rs) and _same(fc, rc), start


def test_the_reference_is_close_to_the_true_functions():
    """A transcription slip in the reference would show as a large error."""
    u = np.random.default_rng(0).integers(1, 2**24, 10_000).astype(f32) * f32(2.0**-24)
    assert np.allclose(log_reference(f32(1) - u), np.log1p(-u.astype(f64)), atol=1e-7, rtol=1e-6)
    theta = u * avx32.TWO_PI
    s, c = sincos_reference(theta)
    assert np.allclose(s, np.sin(theta.astype(f64)), atol=3e-7)
    assert np.allclose(c, np.cos(theta.astype(f64)), atol=3e-7)
    assert math.isfinite(float(log_reference(np.array([f32(2.0**-24)]))[0]))
