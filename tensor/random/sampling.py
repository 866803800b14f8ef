"""Each distribution as PyTorch's CPU kernels draw it, as NumPy arrays: which raw
outputs a sample takes, and the arithmetic that turns them into the sample.

- 32-bit draws (``random()``) feed float32 uniforms: (u & (2²⁴−1))·2⁻²⁴, and the
  integers of ``randint``/``randperm``: u mod range (+ low).
- 64-bit draws (``random64()``, two outputs, the first high) feed float64
  uniforms: (v & (2⁵³−1))·2⁻⁵³, and everything computed in double: Bernoulli with a
  scalar p (dropout), the exponential (−log1p(−u)/λ), multinomial's uniforms,
  and the Box–Muller pairs of small normals.
- ``normal`` has two paths. Fewer than 16 elements (or a non-contiguous tensor):
  one Box–Muller pair per two samples, in double, the second sample kept in the
  generator for the next call. 16 or more: uniforms for the whole tensor first,
  then Box–Muller on blocks of 16 pairing element i with i + 8, the last partial
  block redrawn as 16 fresh uniforms written over the tensor's last 16 elements.
"""

from __future__ import annotations

import math

import numpy as np

from . import avx32, libm_log
from .generator import Generator
from .scratch import scratch
from .vecmath import fma32, fma64, libm, sin_cos

f32, f64 = np.float32, np.float64
TWO_PI = 2.0 * math.pi
_DRAWS = 1 << 15  # 64-bit draws per slice in bernoulli_(p): 256 KiB
_ROWS = avx32.CHUNK // 8  # blocks of 16 transformed per slice


def uniform01(gen: Generator, n: int, dtype) -> np.ndarray:
    """``n`` uniforms in [0, 1): (u & (2²⁴−1))·2⁻²⁴ from 32-bit draws for float32,
    (v & (2⁵³−1))·2⁻⁵³ from 64-bit draws for float64."""
    # in place, in the draws' own memory (same width): one array per call, as
    # NumPy's own generator makes; the integer fits the float exactly
    if np.dtype(dtype) == f32:
        bits, signed, scale = gen.random(n), np.int32, f32(2.0**-24)
        bits &= np.uint32(0xFFFFFF)
    else:
        bits, signed, scale = gen.random64(n), np.int64, 2.0**-53
        bits &= np.uint64(2**53 - 1)
    out = bits.view(dtype)
    np.copyto(out, bits.view(signed), casting="unsafe")  # signed: NumPy's fast cast loop
    out *= scale
    return out


def uniform(gen: Generator, n: int, dtype, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """U(low, high) as x·(high − low) + low, one FMA, in the tensor's dtype."""
    x = uniform01(gen, n, dtype)
    if low == 0.0 and high == 1.0:
        return x
    if np.dtype(dtype) == f32:
        lo, hi = f32(low), f32(high)
        return fma32(x, hi - lo, lo)
    return fma64(x, float(high) - float(low), float(low))


# --- normal ---------------------------------------------------------------------------
def normal(gen: Generator, n: int, dtype, mean: float = 0.0, std: float = 1.0,
           contiguous: bool = True) -> np.ndarray:
    if n >= 16 and contiguous:
        fill = _fill16_float if np.dtype(dtype) == f32 else _fill16_double
        out = uniform01(gen, n, dtype)  # transformed in place, block by block
        blocks = out[: n - n % 16].reshape(-1, 16)
        for start in range(0, len(blocks), _ROWS):  # a cache-sized slice at a time: faster
            fill(blocks[start:start + _ROWS])
        if n % 16:  # the tail: 16 fresh uniforms over the last 16 elements
            tail = uniform01(gen, 16, dtype).reshape(1, 16)
            fill(tail)
            out[n - 16:] = tail.ravel()
        if mean == 0.0 and std == 1.0:
            out += out.dtype.type(0.0)  # torch's fma(n, 1, 0): a −0 becomes +0
            return out
        if out.dtype == f32:
            return fma32(out, f32(std), f32(mean))
        return fma64(out, float(std), float(mean))
    return _box_muller_serial(gen, n, mean, std).astype(dtype)


def _fill16_float(u: np.ndarray) -> None:
    """torch's AVX2 block, in place on rows of 16 float32 uniforms (avx32.py)."""
    avx32.fill16(u)


def _fill16_double(u: np.ndarray) -> None:
    """The same block in double, with glibc's log, sin and cos."""
    rows, n = len(u), u.size // 2
    one_minus = np.subtract(1.0, u[:, :8], out=scratch("1-u", n, f64).reshape(rows, 8))
    radius = libm_log.log(one_minus, out=scratch("radius", n, f64).reshape(rows, 8))
    radius *= -2.0
    np.sqrt(radius, out=radius)
    theta = np.multiply(u[:, 8:], TWO_PI, out=scratch("theta", n, f64).reshape(rows, 8))
    sin, cos = sin_cos(theta, scratch("sin", n, f64).reshape(rows, 8),
                       scratch("cos", n, f64).reshape(rows, 8))
    np.multiply(radius, cos, out=u[:, :8])
    np.multiply(radius, sin, out=u[:, 8:])


def _box_muller_serial(gen: Generator, n: int, mean: float, std: float) -> np.ndarray:
    """``at::normal_distribution<double>`` n times: each new pair (u1, u2) gives
    r·cos θ now and r·sin θ on the next call (cached in the generator)."""
    values = []
    if n and gen.normal_cache is not None:
        values.append(np.array([gen.normal_cache]))
        gen.normal_cache = None
    pairs = (n - len(values) + 1) // 2
    if pairs:
        u1, u2 = uniform01(gen, 2 * pairs, f64).reshape(pairs, 2).T
        r = np.sqrt(-2.0 * libm(math.log1p, -u2))
        theta = TWO_PI * u1
        sin, cos = libm(math.sin, theta), libm(math.cos, theta)
        values.append(np.stack([r * cos, r * sin], axis=1).ravel())
    z = np.concatenate(values) if values else np.empty(0)
    if len(z) > n:
        gen.normal_cache = float(z[n])
    return fma64(z[:n], float(std), float(mean))


# --- integers ---------------------------------------------------------------------------
def randint(gen: Generator, n: int, low: int, high: int) -> np.ndarray:
    """Integers in [low, high) as int64: draw mod range, plus low (64-bit draws for
    ranges of 2²⁸ or more, where torch 2.13 switches, measured)."""
    span = int(high) - int(low)
    if span <= 0:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    if span >= 2**28:
        return (gen.random64(n) % np.uint64(span)).astype(np.int64) + np.int64(low)
    return (gen.random(n) % np.uint32(span)).astype(np.int64) + np.int64(low)


def random_full(gen: Generator, n: int, dtype) -> np.ndarray:
    """``random_()`` without bounds: [0, 2^mantissa] for floats, [0, max] for integers."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return (gen.random(n) & np.uint32(1)).astype(bool)
    if dtype == np.int64:
        return (gen.random64(n) % np.uint64(2**63)).astype(np.int64)
    if dtype == f64:
        return (gen.random64(n) % np.uint64(2**53 + 1)).astype(f64)
    if dtype == f32:
        return (gen.random(n) % np.uint32(2**24 + 1)).astype(f32)
    return (gen.random(n).astype(np.uint64) % np.uint64(np.iinfo(dtype).max + 1)).astype(dtype)


def randperm(gen: Generator, n: int) -> np.ndarray:
    """Fisher–Yates as torch runs it: for i = 0 … n−2, swap i with i + (draw mod (n − i))."""
    if n >= 2**32 // 20:  # torch's other branch, 64-bit draws "inside out"; never met here
        raise NotImplementedError(f"randperm: n = {n} is beyond what this engine draws")
    targets = np.arange(n - 1) + gen.random(n - 1) % np.arange(n, 1, -1, dtype=np.uint32)
    perm = list(range(n))
    for i, j in enumerate(targets.tolist()):  # each swap sees the previous ones: a loop
        perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm, np.int64)


# --- Bernoulli, exponential, multinomial --------------------------------------------------
def bernoulli_scalar(gen: Generator, n: int, p: float) -> np.ndarray:
    """1 where a double uniform < p (``bernoulli_(p)``, dropout's mask).

    u = k·2⁻⁵³ < p  ⇔  k < ⌈p·2⁵³⌉ for the 53-bit integer k: an integer comparison,
    no float uniforms made."""
    limit = math.ceil(float(p) * 2.0**53)
    if limit > 2**53 - 1:  # p = 1 (or rounds to it): every draw is below
        gen.skip(2 * n)
        return np.ones(n, bool)
    keep = np.empty(n, bool)
    for start in range(0, n, _DRAWS):  # slices: the 64-bit draws reuse one memory
        draws = gen.random64(min(_DRAWS, n - start))
        draws &= np.uint64(2**53 - 1)
        np.less(draws, np.uint64(limit), out=keep[start:start + _DRAWS])
    return keep


def bernoulli_tensor(gen: Generator, p: np.ndarray) -> np.ndarray:
    """One draw per element of p, in p's precision (float32 p: a 24-bit uniform)."""
    u = uniform01(gen, p.size, f64 if p.dtype == f64 else f32).reshape(p.shape)
    return u < p


def exponential(gen: Generator, n: int, dtype, lambd: float = 1.0) -> np.ndarray:
    """−log1p(−u)/λ in double, then the tensor's dtype. float32 takes NumPy's log1p
    (its last-bit differences from glibc vanish in the rounding to float32)."""
    u = uniform01(gen, n, f64)
    log = np.log1p(-u) if np.dtype(dtype) == f32 else libm(math.log1p, -u)
    return ((-1.0 / lambd) * log).astype(dtype)


def multinomial(gen: Generator, probs: np.ndarray, num_samples: int,
                replacement: bool) -> np.ndarray:
    """With replacement: a double uniform per sample, found by binary search in the
    row's normalised cumulative sum. Without (or one sample): argmax/top-k of
    p / q with q ~ Exp(1) drawn for the whole tensor (the Gumbel trick)."""
    rows = probs.reshape(-1, probs.shape[-1])
    if not replacement or num_samples == 1:
        q = exponential(gen, rows.size, rows.dtype).reshape(rows.shape)
        keys = rows / q
        idx = np.argsort(-keys, axis=-1, kind="stable")[:, :num_samples]
    else:
        idx = np.empty((len(rows), num_samples), np.int64)
        for i, row in enumerate(rows):
            cum = np.cumsum(row)  # sequential, in the row's dtype, as torch sums
            cum /= cum[-1]
            cum[-1] = 1
            idx[i] = np.searchsorted(cum.astype(f64), uniform01(gen, num_samples, f64))
    return idx.astype(np.int64).reshape(probs.shape[:-1] + (num_samples,))
