"""2-D convolution over (N, C, H, W) arrays: im2col plus one GEMM, channels last.

Inside, images are channels-last, (N, H, W, C). A convolution copies every
kernel-sized patch of the padded input into one row of a matrix (im2col) and
multiplies it by the weights: (N·OH·OW, kh·kw·C) @ (kh·kw·C, O), one GEMM whose
result already is the output, channels last. The op returns it as an (N, O, OH, OW)
view of that memory, so that the next convolution reads it without a copy (NumPy's
elementwise ops keep their input's layout: a ReLU or a pool in between does too).

Backward: the weight gradient is gᵀ·cols, the patches copied again. The input
gradient is a sum over kernel positions (i, j): g (N·OH·OW, O) @ W[:, :, i, j]
(O, C) is what the pixels that position read get back, so each product is added to
dx as one dense slab, shifted by (i, j). kh·kw GEMMs with no im2col, and none of the
zeros a "full" convolution of a padded g would multiply. With stride 1 (float32, NumPy's
BLAS found) the slab is a shift of whole rows: g laid on the input's grid (zeros where
no output is), row r of its product lands on row r + i·W + j of dx, and the GEMM adds
it there itself (``blas.sgemm_add``), with no temporary and no separate add.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import blas
from ..function import Function


def out_size(size: int, kernel: int, stride: int, padding, dilation: int) -> int:
    """Output length along one axis; ``padding``: one int for both sides, or a pair."""
    before, after = (padding, padding) if isinstance(padding, (int, np.integer)) else padding
    return (size + before + after - dilation * (kernel - 1) - 1) // stride + 1


def sides(padding) -> tuple:
    """((top, bottom), (left, right)) from (ph, pw) or from that form itself."""
    return tuple((p, p) if isinstance(p, (int, np.integer)) else tuple(p) for p in padding)


def pad(x: np.ndarray, padding, value=0.0, axes=(2, 3)) -> np.ndarray:
    """x with ``padding`` (see `sides`) rows and columns of ``value`` around ``axes``."""
    (top, bottom), (left, right) = sides(padding)
    if not (top or bottom or left or right):
        return x
    widths = [(0, 0)] * x.ndim
    widths[axes[0]], widths[axes[1]] = (top, bottom), (left, right)
    return np.pad(x, widths, constant_values=value)


def unpad(dxp: np.ndarray, padding, axes=(2, 3)) -> np.ndarray:
    ((top, bottom), (left, right)), key = sides(padding), [slice(None)] * dxp.ndim
    key[axes[0]] = slice(top, dxp.shape[axes[0]] - bottom)
    key[axes[1]] = slice(left, dxp.shape[axes[1]] - right)
    return dxp[tuple(key)]


# Bytes of patches per block: two images of the official example's second convolution
# (1.3 MB of float32), its whole batch for the first, so that a block is still in the
# cache when its GEMM reads it, and one buffer serves every block. (Keeping the whole
# batch's patches for dW costs more than copying them again: 42 MB of fresh pages.)
BLOCK_BYTES = 3 << 19
# With more than one BLAS thread, blocks this many times larger: every GEMM call
# hands work to the other threads and waits for them, and on a busy machine a thread
# that is not running makes that wait a scheduler tick (32 calls of a 1152-row block
# took 7× the time of 4 calls of 9216 rows with two threads at load 10).
THREADED_BLOCKS = 4
# Below this many channels per group, patches are copied one kernel position at a time:
# a channel run too short for a copy loop, a strided row of pixels is long enough
SHORT_RUN = 8


def im2col(xp: np.ndarray, kernel, stride, dilation, groups: int, out: np.ndarray):
    """The patches of a padded channels-last input (m, H, W, C), copied into ``out``
    and returned as (m·OH·OW, kh·kw·C): one row per output pixel, its columns by
    group, then kernel position, then channel (each group's columns side by side)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    m, h, w, c = xp.shape
    oh, ow = (out_size(size, k, s, 0, d) for size, k, s, d in zip((h, w), kernel, stride, dilation))
    cols = out[:m * oh * ow * kh * kw * c].reshape(m, oh, ow, groups, kh, kw, -1)
    if c // groups < SHORT_RUN:
        for i in range(kh):
            for j in range(kw):
                cols[:, :, :, :, i, j] = xp[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                                            j * dw:j * dw + sw * (ow - 1) + 1:sw].reshape(
                                                m, oh, ow, groups, -1)
    else:
        span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
        patches = sliding_window_view(xp, span, axis=(1, 2))[:, ::sh, ::sw, :, ::dh, ::dw]
        patches = patches.reshape(m, oh, ow, groups, c // groups, kh, kw)  # a view
        np.copyto(cols, patches.transpose(0, 1, 2, 3, 5, 6, 4))
    return cols.reshape(m * oh * ow, -1)


def patch_images(xp_shape, kernel, stride, dilation, itemsize: int) -> int:
    """Images per block of patches: BLOCK_BYTES of them (× THREADED_BLOCKS)."""
    _, h, w, c = xp_shape
    oh, ow = (out_size(size, k, s, 0, d) for size, k, s, d in
              zip((h, w), kernel, stride, dilation))
    return max(1, BLOCK_BYTES * _threaded() // max(oh * ow * kernel[0] * kernel[1] * c
                                                  * itemsize, 1))


def blocks(xp: np.ndarray, kernel, stride, dilation, groups: int, images=None):
    """(first row, patches) of each block of ``images`` images of ``xp`` (by default
    `patch_images`), one buffer for all."""
    n, h, w, c = xp.shape
    oh, ow = (out_size(size, k, s, 0, d) for size, k, s, d in
              zip((h, w), kernel, stride, dilation))
    images = images or patch_images(xp.shape, kernel, stride, dilation, xp.itemsize)
    buffer = np.empty(min(images, n) * oh * ow * kernel[0] * kernel[1] * c, xp.dtype)
    for start in range(0, n, images):
        yield start * oh * ow, im2col(xp[start:start + images], kernel, stride, dilation,
                                      groups, buffer)


def convolve(xp: np.ndarray, wm: np.ndarray, kernel, stride, dilation, b=None, out=None,
             images=None) -> np.ndarray:
    """y (N, OH, OW, O) = the convolution of a padded channels-last input (N, H, W, C)
    with ``wm`` (groups, O/groups, kh·kw·C/groups), plus ``b`` (O,): per block of images
    its patches, then per group one GEMM, cols (rows, K) @ Wᵀ (K, O/groups), then the
    bias while the block is still in the cache. In float32 with NumPy's BLAS the block
    holds b first and the GEMM adds cols·Wᵀ to it (``blas.sgemm_add``): the same sum,
    round(round(cols·Wᵀ) + b), one pass over the block fewer. ``out``: the (N·OH·OW,
    O) rows to write y into; ``images``: per block (see `blocks`)."""
    n, h, w, _ = xp.shape
    groups, og, kg = wm.shape
    oh, ow = (out_size(size, k, s, 0, d) for size, k, s, d in
              zip((h, w), kernel, stride, dilation))
    y = np.empty((n * oh * ow, groups * og), np.result_type(xp, wm)) if out is None else out
    add = (b is not None and blas.available and og and kg
           and xp.dtype == wm.dtype == b.dtype == np.float32)
    wt = np.ascontiguousarray(wm.transpose(0, 2, 1)) if add else None  # (groups, K, O/groups)
    for start, cols in blocks(xp, kernel, stride, dilation, groups, images):
        rows = y[start:start + len(cols)]
        if add:
            rows[...] = b
            for gi in range(groups):
                blas.sgemm_add(len(cols), og, kg, blas.address(cols) + 4 * gi * kg, groups * kg,
                               blas.address(wt[gi]), og, blas.address(rows) + 4 * gi * og,
                               groups * og)
            continue
        for gi in range(groups):
            np.matmul(cols[:, gi * kg:(gi + 1) * kg], wm[gi].T, out=rows[:, gi * og:(gi + 1) * og])
        if b is not None:
            rows += b
    return y.reshape(n, oh, ow, groups * og)


# Output rows per block of the input gradient: its kh·kw products (rows, C) and the
# block of dx they are added into stay in the cache (8 images of the official
# example's second convolution).
GRADIENT_ROWS = 4608


def input_gradient_shifted(gl: np.ndarray, w: np.ndarray, xp_shape, dilation, groups: int,
                           out=None, images=None):
    """dxp (N, H, W, C) as `input_gradient` computes it, for stride 1 and float32: per
    block of images, g copied onto the input's grid, gg[n, h, w] = g[n, h, w] where an
    output is, 0 elsewhere (set once); then dxp's rows, flat, are a sum of shifted
    products, dxp[r + d·i·W + d·j] += gg[r]·W_ij, each GEMM adding into rows of dxp
    (``blas.sgemm_add``) up to the block's last output, so that no row past the block
    is written. The zero rows add +0: the same sums, in the same order, as the slabs
    of `input_gradient`. ``out``: the (N·H·W, C) rows to write dxp into."""
    n, oh, ow, o = gl.shape
    _, h, wd, _ = xp_shape
    (dh, dw), (_, cg, kh, kw) = dilation, w.shape
    og, c = o // groups, groups * cg
    wk = np.ascontiguousarray(w.transpose(2, 3, 0, 1))  # (kh, kw, O, C/groups)
    dxp = np.empty((n * h * wd, c), np.float32) if out is None else out
    images = min(n, images or max(1, GRADIENT_ROWS * _threaded() // max(oh * ow, 1)))
    grid = np.zeros((images, h, wd, o), np.float32)
    f = 4  # bytes per float32
    for start in range(0, n, images):
        m = min(images, n - start)
        grid[:m, :oh, :ow] = gl[start:start + m]
        rows = dxp[start * h * wd:(start + m) * h * wd]
        rows[...] = 0
        last = (m - 1) * h * wd + (oh - 1) * wd + ow  # rows of gg up to its last output
        g_at, dx_at = blas.address(grid), blas.address(rows)
        for i in range(kh):
            for j in range(kw):
                shift = (dh * i * wd + dw * j) * c * f
                for gi in range(groups):
                    blas.sgemm_add(last, cg, og, g_at + gi * og * f, o,
                                   blas.address(wk[i, j, gi * og:]), cg,
                                   dx_at + shift + gi * cg * f, c)
    return dxp.reshape(n, h, wd, c)


def weight_products(xp: np.ndarray, gm: np.ndarray, kernel, stride, dilation, groups: int,
                    images=None):
    """gᵀ (O/groups, rows) @ cols (rows, K) of each block of images, per group: the
    terms of dW, (groups, O/groups, K) each, in the blocks' order."""
    o, kg = gm.shape[1], kernel[0] * kernel[1] * xp.shape[3] // groups
    og = o // groups
    for start, cols in blocks(xp, kernel, stride, dilation, groups, images):
        rows, product = gm[start:start + len(cols)], np.empty((groups, og, kg), gm.dtype)
        for gi in range(groups):
            np.matmul(rows[:, gi * og:(gi + 1) * og].T, cols[:, gi * kg:(gi + 1) * kg],
                      out=product[gi])
        yield product


def input_gradient(gl: np.ndarray, w: np.ndarray, xp_shape, stride, dilation, groups: int):
    """dxp (N, H, W, C), the gradient of a padded channels-last input, from g (N, OH,
    OW, O) channels last: per block of images and per kernel position (i, j), one GEMM
    g (rows, O/groups) @ W[:, :, i, j] (O/groups, C/groups) per group, added to the
    pixels that position read, dxp[n, s·h + d·i, s·w + d·j] += g[n, h, w]·W_ij. Each
    sum is a dense slab of the block (a strided one when s > 1), not an index-add: no
    col2im, and no GEMM over the zeros of a padded g."""
    n, oh, ow, o = gl.shape
    (sh, sw), (dh, dw) = stride, dilation
    _, cg, kh, kw = w.shape
    og = o // groups
    gm = gl.reshape(-1, o)
    wk = np.ascontiguousarray(w.transpose(2, 3, 0, 1))  # (kh, kw, O, C/groups)
    dxp = np.empty((*xp_shape[:3], groups * cg), np.result_type(gl, w))
    images = max(1, GRADIENT_ROWS * _threaded() // max(oh * ow, 1))
    product = np.empty((min(images, n) * oh * ow, groups * cg), dxp.dtype)
    for start in range(0, n, images):
        block = dxp[start:start + images]
        block[...] = 0
        rows = gm[start * oh * ow:(start + len(block)) * oh * ow]
        part = product[:len(rows)]
        for i in range(kh):
            for j in range(kw):
                for gi in range(groups):
                    np.matmul(rows[:, gi * og:(gi + 1) * og], wk[i, j, gi * og:(gi + 1) * og],
                              out=part[:, gi * cg:(gi + 1) * cg])
                block[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                      j * dw:j * dw + sw * (ow - 1) + 1:sw] += part.reshape(len(block), oh, ow, -1)
    return dxp


class Conv2d(Function):
    """y[n,o] = Σ_c,i,j x[n,c,s·h+d·i,s·w+d·j]·W[o,c,i,j] + b[o], cols·Wᵀ per group;
    dW = gᵀ·cols,  dx[n,c,s·h+d·i,s·w+d·j] += Σ_o g[n,o,h,w]·W[o,c,i,j] (g·W_ij),  db = Σ g"""

    torch_name = "ConvolutionBackward0"
    broadcasts = False
    twice_differentiable = True  # through conv_grad.py, for a Tensor g

    @staticmethod
    def forward(ctx, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        xp = pad(x.transpose(0, 2, 3, 1), padding, axes=(1, 2))  # (N, H, W, C)
        y = convolve(xp, _weight_matrix(w, groups), w.shape[2:], stride, dilation, b)
        ctx.save_for_backward(xp, w)
        ctx.geometry = (x.shape, stride, sides(padding), dilation, groups)
        return y.transpose(0, 3, 1, 2)  # (N, O, OH, OW), channels last in memory

    @staticmethod
    def backward(ctx, g):
        if not isinstance(g, np.ndarray):  # create_graph: recorded convolutions
            from .conv_grad import conv2d_backward
            return conv2d_backward(ctx, g)
        (xp, w), needs = ctx.saved, ctx.needs_input_grad
        _, stride, _, dilation, groups = ctx.geometry
        gl = np.ascontiguousarray(g.transpose(0, 2, 3, 1))  # free when g is channels last
        dxp = products = None
        if needs[0]:  # Σ over kernel positions of g·W_ij, each at its offset in dxp
            dxp = (input_gradient_shifted(gl, w, xp.shape, dilation, groups)
                   if shifts(gl, w, stride) else
                   input_gradient(gl, w, xp.shape, stride, dilation, groups))
        if needs[1]:  # Σ over blocks of images of gᵀ (O/groups, rows) @ cols (rows, K)
            products = weight_products(xp, gl.reshape(-1, w.shape[0]), w.shape[2:], stride,
                                       dilation, groups)
        return gradients(ctx, gl, dxp, products)


def shifts(gl: np.ndarray, w: np.ndarray, stride) -> bool:
    """Whether the input gradient's GEMMs may add into shifted rows (stride 1, float32)."""
    return (tuple(stride) == (1, 1) and blas.available and gl.size > 0 and w.size > 0
            and gl.dtype == w.dtype == np.float32)


def gradients(ctx, gl: np.ndarray, dxp, products):
    """(dx, dW, db) of a Conv2d node from g (N, OH, OW, O), the padded input's gradient
    and the weight gradient's block products (None where not needed)."""
    w, (_, _, padding, _, groups), needs = ctx.saved[1], ctx.geometry, ctx.needs_input_grad
    o, cg, kh, kw = w.shape
    dx = dw = db = None
    if dxp is not None:
        if any(map(any, padding)):  # cropped, and contiguous again for the next op
            dxp = np.ascontiguousarray(unpad(dxp, padding, axes=(1, 2)))
        dx = dxp.transpose(0, 3, 1, 2)
    if products is not None:
        dwm = np.zeros((groups, o // groups, kh * kw * cg), gl.dtype)
        for product in products:
            dwm += product
        dw = dwm.reshape(groups, o // groups, kh, kw, cg).transpose(0, 1, 4, 2, 3).reshape(w.shape)
    if len(needs) > 2 and needs[2]:  # 1ᵀ·g, a GEMV: 8× a sum over axis 0's rows
        gm = gl.reshape(-1, o)
        db = np.ones(len(gm), gm.dtype) @ gm
    return dx, dw, db


def _threaded() -> int:
    """THREADED_BLOCKS when NumPy's BLAS runs on more than one thread, else 1."""
    return THREADED_BLOCKS if blas.threads() > 1 else 1


def _weight_matrix(w: np.ndarray, groups: int) -> np.ndarray:
    """(O, C/groups, kh, kw) → (groups, O/groups, kh·kw·C/groups), the patches' order."""
    o, cg, kh, kw = w.shape
    return w.transpose(0, 2, 3, 1).reshape(groups, o // groups, kh * kw * cg)
