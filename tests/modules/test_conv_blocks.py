"""The convolution's kernel paths at their boundaries, against PyTorch: patches
copied by kernel position (fewer than ``SHORT_RUN`` channels per group) or through a
sliding window (more), and blocks of images (the patches' ``BLOCK_BYTES``, the input
gradient's ``GRADIENT_ROWS``) shrunk so that a small batch spans one image per block,
several, or a partial last block. Values and every gradient, float32 and float64.
With more than one BLAS thread the blocks are ``THREADED_BLOCKS`` times larger."""

from __future__ import annotations

import numpy as np
import pytest
from seeds import seed_of
from test_conv_geometry import check, run_both

from tensor.ops import conv

torch = pytest.importorskip("torch")


def block_cases():
    """(n, channels per group, o per group, groups, size, kernel, stride, padding,
    dilation, block images), a seeded sweep around the short-run threshold."""
    rng = np.random.default_rng(24)
    runs = [1, conv.SHORT_RUN - 1, conv.SHORT_RUN, conv.SHORT_RUN + 1, 2 * conv.SHORT_RUN]
    cases = []
    for k in range(30):
        groups = int(rng.choice([1, 1, 2, 3]))
        kernel = tuple(int(v) for v in rng.integers(1, 4, 2))
        stride = tuple(int(v) for v in rng.integers(1, 4, 2))
        dilation = tuple(int(v) for v in rng.integers(1, 3, 2))
        padding = tuple(int(v) for v in rng.integers(0, 3, 2))
        span = [d * (kk - 1) + 1 for kk, d in zip(kernel, dilation)]
        size = tuple(max(1, s - 2 * p) + int(rng.integers(0, 5)) for s, p in zip(span, padding))
        cases.append((int(rng.integers(1, 6)), runs[k % len(runs)], int(rng.integers(1, 5)),
                      groups, size, kernel, stride, padding, dilation, int(rng.integers(1, 4))))
    return cases


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", block_cases())
def test_conv2d_blocks_match_torch(case, dtype, monkeypatch):
    n, cg, og, groups, size, kernel, stride, padding, dilation, images = case
    out = [conv.out_size(s, k, st, p, d) for s, k, st, p, d in
           zip(size, kernel, stride, padding, dilation)]
    c = cg * groups
    # `images` images of patches (or of output rows) per block, whatever the BLAS threads
    monkeypatch.setattr(conv, "_threaded", lambda: 1)
    monkeypatch.setattr(conv, "BLOCK_BYTES",
                        images * out[0] * out[1] * kernel[0] * kernel[1] * c
                        * np.dtype(dtype).itemsize)
    monkeypatch.setattr(conv, "GRADIENT_ROWS", images * out[0] * out[1])
    rng = np.random.default_rng(seed_of(case))
    x = rng.standard_normal((n, c, *size)).astype(dtype)
    w = rng.standard_normal((og * groups, cg, *kernel)).astype(dtype)
    b = rng.standard_normal(og * groups).astype(dtype)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    check(run_both(lambda lib, *a: lib.nn.functional.conv2d(*a, **kw), [x, w, b]), dtype)


@pytest.mark.parametrize("channels", [1, 3, conv.SHORT_RUN, 32])
def test_official_shapes_in_blocks_match_torch(channels, rng):
    """The official example's 3×3 convolutions (one input channel, then 32), with a
    batch that does not fill its last block."""
    x = rng.standard_normal((5, channels, 14, 13)).astype(np.float32)
    w = rng.standard_normal((16, channels, 3, 3)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    check(run_both(lambda lib, *a: lib.nn.functional.conv2d(*a), [x, w, b]), np.float32)


def test_blocks_grow_with_blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from tensor import blas

    if not blas.available:
        pytest.skip("NumPy's OpenBLAS not found")
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        assert conv._threaded() == 1
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        assert conv._threaded() == conv.THREADED_BLOCKS


def shifted_cases():
    """(n, c per group, o per group, groups, size, kernel, padding, dilation, block
    images): stride 1, where the input gradient's GEMMs add into shifted rows."""
    rng = np.random.default_rng(7)
    cases = []
    for _ in range(24):
        kernel = tuple(int(v) for v in rng.integers(1, 4, 2))
        dilation = tuple(int(v) for v in rng.integers(1, 3, 2))
        padding = tuple(int(v) for v in rng.integers(0, 3, 2))
        span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
        size = tuple(max(1, s - 2 * p) + int(rng.integers(0, 6)) for s, p in zip(span, padding))
        cases.append((int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(1, 6)),
                      int(rng.choice([1, 1, 2, 3])), size, kernel, padding, dilation,
                      int(rng.integers(1, 4))))
    return cases


@pytest.mark.parametrize("with_blas", [True, False])
@pytest.mark.parametrize("case", shifted_cases())
def test_stride_one_input_gradient_matches_torch(case, with_blas, monkeypatch):
    """float32 with stride 1: the GEMMs that add into rows of dx (NumPy's BLAS), or,
    without it, the slabs added by NumPy; both against PyTorch."""
    from tensor import blas

    if with_blas and not blas.available:
        pytest.skip("NumPy's OpenBLAS not found")
    if not with_blas:
        monkeypatch.setattr(blas, "available", False)
    n, cg, og, groups, size, kernel, padding, dilation, images = case
    out = [conv.out_size(s, k, 1, p, d) for s, k, p, d in zip(size, kernel, padding, dilation)]
    monkeypatch.setattr(conv, "_threaded", lambda: 1)
    monkeypatch.setattr(conv, "GRADIENT_ROWS", images * out[0] * out[1])
    rng = np.random.default_rng(seed_of(case))
    x = rng.standard_normal((n, cg * groups, *size)).astype(np.float32)
    w = rng.standard_normal((og * groups, cg, *kernel)).astype(np.float32)
    kw = dict(padding=padding, dilation=dilation, groups=groups)
    check(run_both(lambda lib, *a: lib.nn.functional.conv2d(*a, **kw), [x, w]), np.float32)


def test_shifted_input_gradient_is_the_slabs_sum(rng):
    """At the official example's second convolution the rows added by the GEMMs are the
    slabs' sums bit for bit: the same products added in the same order."""
    from tensor import blas

    if not blas.available:
        pytest.skip("NumPy's OpenBLAS not found")
    g = rng.standard_normal((5, 10, 10, 64)).astype(np.float32)
    g[rng.random(g.shape) < 0.75] = 0  # as after a max-pool
    w = rng.standard_normal((64, 32, 3, 3)).astype(np.float32)
    slabs = conv.input_gradient(g, w, (5, 12, 12, 32), (1, 1), (1, 1), 1)
    shifted = conv.input_gradient_shifted(g, w, (5, 12, 12, 32), (1, 1), 1)
    assert np.array_equal(slabs, shifted)
