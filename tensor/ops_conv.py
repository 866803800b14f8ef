"""2-D convolution and pooling over (N, C, H, W) arrays, as im2col plus one GEMM.

``windows`` views every kernel-sized patch of the padded input at once
(NumPy's ``sliding_window_view``, no copy): shape (N, C, OH, OW, kh, kw). A
convolution is then one matrix product of those patches with the weights,
and a pool is a max or mean over the last two axes. Backward adds each
kernel position's share back into the input: a loop over the kh·kw kernel
positions (9 for a 3×3 kernel), never over pixels.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .function import Function


def out_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def windows(xp: np.ndarray, kernel, stride, dilation) -> np.ndarray:
    """Every patch of the padded input ``xp``: (N, C, OH, OW, kh, kw), a view."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    v = sliding_window_view(xp, span, axis=(2, 3))
    return v[:, :, ::sh, ::sw, ::dh, ::dw]


def pad(x: np.ndarray, padding, value=0.0) -> np.ndarray:
    ph, pw = padding
    if not (ph or pw):
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def add_windows(dxp: np.ndarray, dwin: np.ndarray, stride, dilation) -> np.ndarray:
    """The adjoint of `windows`: add ``dwin`` (N, C, OH, OW, kh, kw) into ``dxp``
    at the positions each patch element was read from."""
    _, _, oh, ow, kh, kw = dwin.shape
    (sh, sw), (dh, dw) = stride, dilation
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                j * dw:j * dw + sw * (ow - 1) + 1:sw] += dwin[:, :, :, :, i, j]
    return dxp


def unpad(dxp: np.ndarray, padding) -> np.ndarray:
    ph, pw = padding
    return dxp[:, :, ph:dxp.shape[2] - ph, pw:dxp.shape[3] - pw]


class Conv2d(Function):
    """y[n,o] = Σ_c,i,j x[n,c,s·h+d·i,s·w+d·j]·W[o,c,i,j] + b[o], one GEMM per group of
    the im2col patches;  dW = gᵀ·cols,  dcols = g·W (added back into dx),  db = Σ g"""

    torch_name = "ConvolutionBackward0"
    broadcasts = False

    @staticmethod
    def forward(ctx, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        n, c = x.shape[:2]
        o, cg, kh, kw = w.shape
        win = windows(pad(x, padding), (kh, kw), stride, dilation)
        oh, ow = win.shape[2:4]
        # cols: (groups, N·OH·OW, C/groups·kh·kw), a copy laid out for the GEMM
        cols = win.reshape(n, groups, cg, oh, ow, kh, kw).transpose(1, 0, 3, 4, 2, 5, 6)
        cols = cols.reshape(groups, n * oh * ow, cg * kh * kw)
        wm = w.reshape(groups, o // groups, cg * kh * kw)
        y = np.matmul(cols, wm.transpose(0, 2, 1))  # (groups, N·OH·OW, O/groups)
        y = y.reshape(groups, n, oh, ow, o // groups).transpose(1, 0, 4, 2, 3)
        y = y.reshape(n, o, oh, ow)
        if b is not None:
            y = y + b.reshape(1, o, 1, 1)
        ctx.save_for_backward(cols, w)
        ctx.geometry = (x.shape, stride, padding, dilation, groups)
        return np.ascontiguousarray(y)

    @staticmethod
    def backward(ctx, g):
        cols, w = ctx.saved
        x_shape, stride, padding, dilation, groups = ctx.geometry
        n, c, h, wd = x_shape
        o, cg, kh, kw = w.shape
        oh, ow = g.shape[2:]
        # g as (groups, N·OH·OW, O/groups), the layout of the forward GEMM's output
        gm = g.reshape(n, groups, o // groups, oh, ow).transpose(1, 0, 3, 4, 2)
        gm = gm.reshape(groups, n * oh * ow, o // groups)
        needs = ctx.needs_input_grad
        dx = dw = db = None
        if needs[1]:
            dw = np.matmul(gm.transpose(0, 2, 1), cols).reshape(w.shape)
        if len(needs) > 2 and needs[2]:
            db = g.sum(axis=(0, 2, 3))
        if needs[0]:
            dcols = np.matmul(gm, w.reshape(groups, o // groups, cg * kh * kw))
            dwin = dcols.reshape(groups, n, oh, ow, cg, kh, kw).transpose(1, 0, 4, 2, 3, 5, 6)
            dwin = dwin.reshape(n, c, oh, ow, kh, kw)
            dxp = np.zeros((n, c, h + 2 * padding[0], wd + 2 * padding[1]), g.dtype)
            dx = unpad(add_windows(dxp, dwin, stride, dilation), padding)
        return dx, dw, db


class MaxPool2d(Function):
    """y = max of each window (padding is −∞);  dx = g routed to each window's
    first maximum"""

    torch_name = "MaxPool2DWithIndicesBackward0"
    broadcasts = False

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation):
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        win = windows(pad(x, padding, low), kernel, stride, dilation)
        flat = win.reshape(*win.shape[:4], -1)
        arg = flat.argmax(axis=-1)
        ctx.arg, ctx.geometry = arg, (x.shape, kernel, stride, padding, dilation)
        return np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]

    @staticmethod
    def backward(ctx, g):
        x_shape, (kh, kw), stride, padding, dilation = ctx.geometry
        n, c, h, w = x_shape
        onehot = ctx.arg[..., None] == np.arange(kh * kw)  # (N, C, OH, OW, kh·kw)
        dwin = (onehot * g[..., None]).reshape(*g.shape, kh, kw)
        dxp = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), g.dtype)
        return unpad(add_windows(dxp, dwin, stride, dilation), padding)


class AvgPool2d(Function):
    """y = mean of each window (zero padding counted, as PyTorch's default);
    dx = g / (kh·kw) added to every element of its window"""

    torch_name = "AvgPool2DBackward0"
    broadcasts = False

    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        win = windows(pad(x, padding), kernel, stride, (1, 1))
        ctx.geometry = (x.shape, kernel, stride, padding)
        return win.mean(axis=(4, 5)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x_shape, (kh, kw), stride, padding = ctx.geometry
        n, c, h, w = x_shape
        share = np.broadcast_to((g / (kh * kw))[..., None, None], (*g.shape, kh, kw))
        dxp = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), g.dtype)
        return unpad(add_windows(dxp, share, stride, (1, 1)), padding)
