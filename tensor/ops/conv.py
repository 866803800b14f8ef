"""2-D convolution and pooling over (N, C, H, W) arrays, as im2col plus one GEMM.

A convolution copies every kernel-sized patch of the padded input into one
matrix (im2col: NumPy's ``sliding_window_view``, copied once) and multiplies it
with the weights: one GEMM. The patches are in channels-last order, so the
adjoint in backward, adding the patches' gradients back into the input, moves
contiguous runs of channels, one kernel position at a time (kh·kw slice adds,
never a loop over pixels). Pools take the max or mean over the same strided
slices.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..function import Function
from ..grad_mode import grad_mode


def out_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def positions(kernel, stride, dilation, out_hw):
    """(i, j, rows, cols) per kernel position: the slices of the padded input that
    position reads for every output pixel."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    for i in range(kh):
        for j in range(kw):
            yield (i, j, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                   slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def pad(x: np.ndarray, padding, value=0.0, axes=(2, 3)) -> np.ndarray:
    ph, pw = padding
    if not (ph or pw):
        return x
    widths = [(0, 0)] * x.ndim
    widths[axes[0]], widths[axes[1]] = (ph, ph), (pw, pw)
    return np.pad(x, widths, constant_values=value)


def unpad(dxp: np.ndarray, padding, axes=(2, 3)) -> np.ndarray:
    (ph, pw), key = padding, [slice(None)] * dxp.ndim
    key[axes[0]] = slice(ph, dxp.shape[axes[0]] - ph)
    key[axes[1]] = slice(pw, dxp.shape[axes[1]] - pw)
    return dxp[tuple(key)]


# Images per im2col block. The patches of a whole batch are large (42 MB for the
# official example's second convolution at batch 64), and a fresh array that size
# costs as much in page faults as the copy itself (malloc maps arrays over 32 MB
# afresh every time); blocks of 16 images are a few MB each, which malloc reuses.
BLOCK = 16


def im2col(xp: np.ndarray, kernel, stride, dilation, out_hw, out: np.ndarray) -> np.ndarray:
    """The patches of a padded channels-last input (N, H, W, C), written into ``out``
    and returned as (N, OH·OW, kh·kw·C)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    n = xp.shape[0]
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    # every patch at once, as a view (N, OH, OW, C, kh, kw), copied in one call
    patches = sliding_window_view(xp, span, axis=(1, 2))[:, ::sh, ::sw, :, ::dh, ::dw]
    cols = out[:n]
    np.copyto(cols, patches.transpose(0, 1, 2, 4, 5, 3))
    return cols.reshape(n, out_hw[0] * out_hw[1], -1)


def group(cols: np.ndarray, groups: int, gi: int, cg: int) -> np.ndarray:
    """Group ``gi``'s part of (N, L, kh·kw·C) patches (C = groups·cg): itself when
    groups == 1, else a copy."""
    if groups == 1:
        return cols
    n, length = cols.shape[:2]
    return cols.reshape(n, length, -1, groups, cg)[:, :, :, gi].reshape(n, length, -1)


class Conv2d(Function):
    """y[n,o] = Σ_c,i,j x[n,c,s·h+d·i,s·w+d·j]·W[o,c,i,j] + b[o]: per group, W times the
    im2col patches;  dW = g·cols,  dcols = gᵀ·W (added back into dx),  db = Σ g"""

    torch_name = "ConvolutionBackward0"
    broadcasts = False

    @staticmethod
    def forward(ctx, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        n, c, h, wd = x.shape
        o, cg, kh, kw = w.shape
        og = o // groups
        out_hw = tuple(out_size(*a) for a in zip((h, wd), (kh, kw), stride, padding, dilation))
        xp = pad(x.transpose(0, 2, 3, 1), padding, axes=(1, 2))  # channels last: (N, H, W, C)
        wm = _weight_matrix(w, groups)
        y = np.empty((n, o, out_hw[0] * out_hw[1]), x.dtype)
        # dW needs the patches again: each block's are kept for backward (a few MB
        # each, so malloc recycles them), else one buffer serves every block
        keep = grad_mode.enabled and ctx.needs_input_grad[1]
        shape = (min(n, BLOCK), *out_hw, kh, kw, c)
        buffer, ctx.blocks = np.empty(shape, x.dtype), []
        for start in range(0, n, BLOCK):
            if keep and start:
                buffer = np.empty(shape, x.dtype)
            cols = im2col(xp[start:start + BLOCK], (kh, kw), stride, dilation, out_hw, buffer)
            if keep:
                ctx.blocks.append(cols)
            for gi in range(groups):  # (O/groups, K) @ (K, OH·OW) per image: NCHW out
                np.matmul(wm[gi], group(cols, groups, gi, cg).transpose(0, 2, 1),
                          out=y[start:start + BLOCK, gi * og:(gi + 1) * og])
        if b is not None:
            y += b[:, None]
        ctx.save_for_backward(xp, w)
        ctx.geometry = (x.shape, stride, padding, dilation, groups, out_hw)
        return y.reshape(n, o, *out_hw)

    @staticmethod
    def backward(ctx, g):
        xp, w = ctx.saved
        x_shape, stride, padding, dilation, groups, out_hw = ctx.geometry
        n, c = x_shape[:2]
        o, cg, kh, kw = w.shape
        og, length = o // groups, out_hw[0] * out_hw[1]
        gm = g.reshape(n, o, length)
        needs = ctx.needs_input_grad
        wm = _weight_matrix(w, groups)
        dwm = np.zeros(wm.shape, g.dtype) if needs[1] else None
        dxp = np.zeros(xp.shape, g.dtype) if needs[0] else None
        buffer = None if ctx.blocks else np.empty((min(n, BLOCK), *out_hw, kh, kw, c),
                                                  g.dtype)
        for k, start in enumerate(range(0, n, BLOCK)):
            block = slice(start, start + BLOCK)
            if ctx.blocks:  # the patches forward kept; after dW, this block's buffer
                buffer = ctx.blocks[k]
                cols = buffer.reshape(len(buffer), length, -1)
            if needs[1]:  # dW = Σ over images of g (O/g, L) @ patches (L, K)
                if not ctx.blocks:
                    cols = im2col(xp[block], (kh, kw), stride, dilation, out_hw, buffer)
                for gi in range(groups):
                    gg = gm[block, gi * og:(gi + 1) * og].transpose(1, 0, 2).reshape(og, -1)
                    dwm[gi] += gg @ group(cols, groups, gi, cg).reshape(-1, kh * kw * cg)
            if needs[0]:  # dpatches = gᵀ (L, O/g) @ W (O/g, K), added back where read
                m = len(gm[block])
                dcols = buffer[:m].reshape(m * length, kh * kw, groups, cg)
                for gi in range(groups):  # one GEMM per group: (m·L, O/g) @ (O/g, K)
                    gt = gm[block, gi * og:(gi + 1) * og].transpose(0, 2, 1).reshape(-1, og)
                    if groups == 1:  # straight into the buffer
                        np.matmul(gt, wm[0], out=dcols.reshape(m * length, -1))
                    else:
                        dcols[:, :, gi] = (gt @ wm[gi]).reshape(-1, kh * kw, cg)
                dcols = dcols.reshape(m, *out_hw, kh, kw, c)
                for i, j, rows, cs in positions((kh, kw), stride, dilation, out_hw):
                    dxp[block, rows, cs] += dcols[:, :, :, i, j]
        dx = unpad(dxp, padding, axes=(1, 2)).transpose(0, 3, 1, 2) if needs[0] else None
        dw = dwm.reshape(o, kh, kw, cg).transpose(0, 3, 1, 2).copy() if needs[1] else None
        ctx.blocks = None
        db = g.sum(axis=(0, 2, 3)) if len(needs) > 2 and needs[2] else None
        return dx, dw, db


def _weight_matrix(w: np.ndarray, groups: int) -> np.ndarray:
    """(O, C/groups, kh, kw) → (groups, O/groups, kh·kw·C/groups), the patches' order."""
    o, cg, kh, kw = w.shape
    return w.transpose(0, 2, 3, 1).reshape(groups, o // groups, kh * kw * cg)


class MaxPool2d(Function):
    """y = max of each window (padding is −∞; NaN wins, as PyTorch);  dx = g routed to
    each window's first maximum"""

    torch_name = "MaxPool2DWithIndicesBackward0"
    broadcasts = False

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation):
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = pad(x, padding, low)
        out_hw = tuple(out_size(*a) for a in zip(x.shape[2:], kernel, stride, padding,
                                                  dilation))
        (_, _, rows, cs), *rest = positions(kernel, stride, dilation, out_hw)
        y = xp[:, :, rows, cs].copy()
        for _, _, rows, cs in rest:
            np.maximum(y, xp[:, :, rows, cs], out=y)  # NaN propagates, as in PyTorch
        ctx.save_for_backward(xp, y)
        ctx.geometry = (x.shape, kernel, stride, padding, dilation)
        return y

    @staticmethod
    def backward(ctx, g):
        xp, y = ctx.saved
        x_shape, kernel, stride, padding, dilation = ctx.geometry
        dxp = np.zeros(xp.shape, g.dtype)
        free = np.ones(y.shape, bool)  # windows whose maximum is still to be found
        nan = np.isnan(y) if y.dtype.kind == "f" and np.isnan(y).any() else None
        # windows that don't overlap (the usual 2×2, stride 2) write each input once
        disjoint = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
        for _, _, rows, cs in positions(kernel, stride, dilation, y.shape[2:]):
            s = xp[:, :, rows, cs]
            first = s == y if nan is None else (s == y) | (nan & np.isnan(s))
            first &= free
            free &= ~first
            if disjoint:
                np.multiply(g, first, out=dxp[:, :, rows, cs])
            else:
                dxp[:, :, rows, cs] += g * first
        return unpad(dxp, padding)


class AvgPool2d(Function):
    """y = mean of each window (zero padding counted, as PyTorch's default);
    dx = g / (kh·kw) added to every element of its window"""

    torch_name = "AvgPool2DBackward0"
    broadcasts = False

    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        xp = pad(x, padding)
        oh, ow = (out_size(*args) for args in zip(x.shape[2:], kernel, stride, padding,
                                                   (1, 1)))
        y = np.zeros((*x.shape[:2], oh, ow), x.dtype)
        for _, _, rows, cs in positions(kernel, stride, (1, 1), (oh, ow)):
            y += xp[:, :, rows, cs]
        ctx.geometry = (x.shape, kernel, stride, padding)
        return y / x.dtype.type(kernel[0] * kernel[1])

    @staticmethod
    def backward(ctx, g):
        x_shape, kernel, stride, padding = ctx.geometry
        n, c, h, w = x_shape
        share = g / g.dtype.type(kernel[0] * kernel[1])
        dxp = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), g.dtype)
        for _, _, rows, cs in positions(kernel, stride, (1, 1), g.shape[2:]):
            dxp[:, :, rows, cs] += share
        return unpad(dxp, padding)
