"""2-D convolution over (N, C, H, W) arrays: im2col plus one GEMM, channels last.

Inside, images are channels-last, (N, H, W, C). A convolution copies every
kernel-sized patch of the padded input into one row of a matrix (im2col) and
multiplies it by the weights: (N·OH·OW, kh·kw·C) @ (kh·kw·C, O), one GEMM whose
result already is the output, channels last. The op returns it as an (N, O, OH, OW)
view of that memory, so that the next convolution reads it without a copy (NumPy's
elementwise ops keep their input's layout: a ReLU or a pool in between does too).

Backward: the weight gradient is gᵀ·cols, the patches copied again. The input
gradient is itself a convolution, a "full" one: of g, spread out by the stride and
zero-padded by the kernel's span, with the kernel flipped and its in and out
channels swapped. It runs through the same im2col + GEMM: no scatter-adds.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

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


# Rows of patches per block: 1.3 MB of float32 at the official example's second
# convolution (two images), so that a block is still in the cache when its GEMM reads
# it, and one buffer serves every block. (Keeping the whole batch's patches for dW
# costs more than copying them again: 42 MB of fresh pages at batch 64.)
BLOCK_ROWS = 1536


def im2col(xp: np.ndarray, kernel, stride, dilation, groups: int, out: np.ndarray):
    """The patches of a padded channels-last input (m, H, W, C), copied into ``out``
    and returned as (m·OH·OW, kh·kw·C): one row per output pixel, its columns by
    group, then kernel position, then channel (each group's columns side by side)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    m, c = xp.shape[0], xp.shape[3]
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    patches = sliding_window_view(xp, span, axis=(1, 2))[:, ::sh, ::sw, :, ::dh, ::dw]
    oh, ow = patches.shape[1:3]  # (m, OH, OW, C, kh, kw), a view
    patches = patches.reshape(m, oh, ow, groups, c // groups, kh, kw)
    cols = out[:m * oh * ow * kh * kw * c].reshape(m, oh, ow, groups, kh, kw, -1)
    np.copyto(cols, patches.transpose(0, 1, 2, 3, 5, 6, 4))
    return cols.reshape(m * oh * ow, -1)


def blocks(xp: np.ndarray, kernel, stride, dilation, groups: int):
    """(first row, patches) of each block of images of ``xp``, one buffer for all."""
    n, h, w, c = xp.shape
    oh, ow = (out_size(size, k, s, 0, d) for size, k, s, d in
              zip((h, w), kernel, stride, dilation))
    images = max(1, BLOCK_ROWS // (oh * ow))
    buffer = np.empty(min(images, n) * oh * ow * kernel[0] * kernel[1] * c, xp.dtype)
    for start in range(0, n, images):
        yield start * oh * ow, im2col(xp[start:start + images], kernel, stride, dilation,
                                      groups, buffer)


def convolve(xp: np.ndarray, wm: np.ndarray, kernel, stride, dilation) -> np.ndarray:
    """y (N, OH, OW, O) = the convolution of a padded channels-last input (N, H, W, C)
    with ``wm`` (groups, O/groups, kh·kw·C/groups): per block of images its patches,
    then per group one GEMM, cols (rows, K) @ Wᵀ (K, O/groups)."""
    n, h, w, _ = xp.shape
    groups, og, kg = wm.shape
    oh, ow = (out_size(size, k, s, 0, d) for size, k, s, d in
              zip((h, w), kernel, stride, dilation))
    y = np.empty((n * oh * ow, groups * og), np.result_type(xp, wm))
    for start, cols in blocks(xp, kernel, stride, dilation, groups):
        rows = y[start:start + len(cols)]
        for gi in range(groups):
            np.matmul(cols[:, gi * kg:(gi + 1) * kg], wm[gi].T, out=rows[:, gi * og:(gi + 1) * og])
    return y.reshape(n, oh, ow, groups * og)


def spread(g: np.ndarray, stride, before, after) -> np.ndarray:
    """Channels-last g (N, OH, OW, O) with stride − 1 zeros between neighbours and
    ``before``/``after`` zeros above/left and below/right (a negative count crops)."""
    n, oh, ow, o = g.shape
    (sh, sw), (bh, bw), (ah, aw) = stride, before, after
    tall, wide = sh * (oh - 1) + 1, sw * (ow - 1) + 1
    if stride == (1, 1) and min(bh, bw, ah, aw) >= 0:
        return np.pad(g, ((0, 0), (bh, ah), (bw, aw), (0, 0)))
    top, left = max(bh, 0), max(bw, 0)
    out = np.zeros((n, top + tall + max(ah, 0), left + wide + max(aw, 0), o), g.dtype)
    out[:, top:top + tall:sh, left:left + wide:sw] = g
    return out[:, max(-bh, 0):out.shape[1] - max(-ah, 0), max(-bw, 0):out.shape[2] - max(-aw, 0)]


class Conv2d(Function):
    """y[n,o] = Σ_c,i,j x[n,c,s·h+d·i,s·w+d·j]·W[o,c,i,j] + b[o], cols·Wᵀ per group;
    dW = gᵀ·cols,  dx = the full convolution of g with W flipped,  db = Σ g"""

    torch_name = "ConvolutionBackward0"
    broadcasts = False
    twice_differentiable = True  # through conv_grad.py, for a Tensor g

    @staticmethod
    def forward(ctx, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        xp = pad(x.transpose(0, 2, 3, 1), padding, axes=(1, 2))  # (N, H, W, C)
        y = convolve(xp, _weight_matrix(w, groups), w.shape[2:], stride, dilation)
        if b is not None:
            y += b
        ctx.save_for_backward(xp, w)
        ctx.geometry = (x.shape, stride, sides(padding), dilation, groups)
        return y.transpose(0, 3, 1, 2)  # (N, O, OH, OW), channels last in memory

    @staticmethod
    def backward(ctx, g):
        if not isinstance(g, np.ndarray):  # create_graph: recorded convolutions
            from .conv_grad import conv2d_backward
            return conv2d_backward(ctx, g)
        (xp, w), needs = ctx.saved, ctx.needs_input_grad
        x_shape, stride, padding, dilation, groups = ctx.geometry
        o, cg, kh, kw = w.shape
        og, kg = o // groups, kh * kw * cg
        gl = g.transpose(0, 2, 3, 1)  # (N, OH, OW, O): free when g is channels last
        gm = gl.reshape(-1, o)
        dx = dw = db = None
        if needs[0]:  # the full convolution: W[o, c, i, j] flipped, (c, o) swapped
            flipped = w.reshape(groups, og, cg, kh, kw)[:, :, :, ::-1, ::-1]
            wt = flipped.transpose(0, 2, 3, 4, 1).reshape(groups, cg, kh * kw * og)
            spans = [d * (k - 1) for k, d in zip((kh, kw), dilation)]
            before = [span - p for span, (p, _) in zip(spans, padding)]
            after = [size + p - s * (out - 1) - 1 for size, (p, _), s, out in
                     zip(x_shape[2:], padding, stride, g.shape[2:])]
            gp = spread(gl, stride, before, after)
            dx = convolve(gp, wt, (kh, kw), (1, 1), dilation).transpose(0, 3, 1, 2)
        if needs[1]:  # Σ over blocks of images of gᵀ (O/groups, rows) @ cols (rows, K)
            dwm = np.zeros((groups, og, kg), g.dtype)
            for start, cols in blocks(xp, (kh, kw), stride, dilation, groups):
                rows = gm[start:start + len(cols)]
                for gi in range(groups):
                    dwm[gi] += rows[:, gi * og:(gi + 1) * og].T @ cols[:, gi * kg:(gi + 1) * kg]
            dw = dwm.reshape(groups, og, kh, kw, cg).transpose(0, 1, 4, 2, 3).reshape(w.shape)
        if len(needs) > 2 and needs[2]:
            db = gm.sum(axis=0)
        return dx, dw, db


def _weight_matrix(w: np.ndarray, groups: int) -> np.ndarray:
    """(O, C/groups, kh, kw) → (groups, O/groups, kh·kw·C/groups), the patches' order."""
    o, cg, kh, kw = w.shape
    return w.transpose(0, 2, 3, 1).reshape(groups, o // groups, kh * kw * cg)
