"""2-D max- and average-pooling over (N, C, H, W) arrays, one strided slice per
kernel position: the (kh·kw) views ``x[:, :, i::s, j::s]`` (dilated, padded) that
position reads for every output pixel. Outputs and gradients keep the input's
memory layout (a convolution's output is channels last)."""

from __future__ import annotations

import numpy as np

from ..function import Function
from .conv import out_size, pad, unpad


def windows(x: np.ndarray, kernel, stride, dilation, out_hw) -> list:
    """The view of ``x`` each kernel position reads, row by row: (N, C, OH, OW) each."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    return [x[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
            for i in range(kh) for j in range(kw)]


def _pooled_hw(x_shape, kernel, stride, padding, dilation):
    return tuple(out_size(*a) for a in zip(x_shape[2:], kernel, stride, padding, dilation))


def _covers(x_shape, kernel, stride, padding, dilation, out_hw) -> bool:
    """Whether the windows tile the padded input exactly: each element read once."""
    return all((k == 1 or d == 1) and s == k and p == 0 and o * s == size
               for size, k, s, p, d, o in zip(x_shape[2:], kernel, stride, padding, dilation,
                                              out_hw))


class MaxPool2d(Function):
    """y = max of each window (padding is −∞; NaN wins, as PyTorch);  dx = g routed to
    the position ``at`` forward found: the first maximum, or the last NaN"""

    torch_name = "MaxPool2DWithIndicesBackward0"
    broadcasts = False
    twice_differentiable = True  # through conv_grad.py, for a Tensor g

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation):
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        out_hw = _pooled_hw(x.shape, kernel, stride, padding, dilation)
        first, *rest = windows(pad(x, padding, low), kernel, stride, dilation, out_hw)
        y = first.copy(order="K")  # in x's layout, as the ops below keep it
        at = np.zeros_like(y, np.uint8 if len(rest) < 255 else np.int64)
        # PyTorch's scan starts at a window's first element inside the input, so
        # that a window of −∞ routes its gradient there, not to the padding
        inside = windows(pad(np.ones((1, 1, *x.shape[2:]), bool), padding, False), kernel,
                         stride, dilation, out_hw) if any(padding) else None
        seen = None if inside is None else inside[0].copy()
        for k, s in enumerate(rest, 1):  # PyTorch's scan: move on where s > y
            bigger = s > y
            if seen is not None:
                bigger |= inside[k] & ~seen
                seen |= inside[k]
            bigger = np.multiply(bigger, at.dtype.type(k), dtype=at.dtype)
            np.maximum(y, s, out=y)  # NaN propagates, as in PyTorch
            np.maximum(at, bigger, out=at)  # k is larger than any position before it
        if y.dtype.kind == "f" and np.isnan(y).any():  # the last NaN of each window
            for k, s in enumerate([first, *rest]):
                np.copyto(at, k, where=np.isnan(s))
        ctx.save_for_backward(at)
        ctx.geometry = (x.shape, x.strides, kernel, stride, padding, dilation)
        return y

    @staticmethod
    def backward(ctx, g):
        if not isinstance(g, np.ndarray):  # create_graph: a recorded index-add
            from .conv_grad import max_pool2d_backward
            return max_pool2d_backward(ctx, g)
        (at,), (x_shape, strides, kernel, stride, padding, dilation) = ctx.saved, ctx.geometry
        (top, bottom), (left, right) = ((p, p) for p in padding)
        shape = (*x_shape[:2], x_shape[2] + top + bottom, x_shape[3] + left + right)
        # dx in x's memory layout (axes by decreasing stride): channels last stays so
        order = np.argsort(strides, kind="stable")[::-1]
        layout = np.empty([shape[i] for i in order], g.dtype).transpose(np.argsort(order))
        g = _like(g, at)  # in the layout of the windows it is written through
        if _covers(x_shape, kernel, stride, padding, dilation, at.shape[2:]):
            return _tiled(layout, g, at, kernel)
        dxp = np.zeros_like(layout)
        for k, d in enumerate(windows(dxp, kernel, stride, dilation, at.shape[2:])):
            d += g * (at == k)
        return unpad(dxp, padding)


def _tiled(dx: np.ndarray, g: np.ndarray, at: np.ndarray, kernel) -> np.ndarray:
    """dx where the windows tile it (each element read once): the part of dx kernel
    position k reads, dx[n, c, kh·h + i, kw·w + j] for k = kw·i + j, is g·[at = k]."""
    for k, part in enumerate(windows(dx, kernel, kernel, (1, 1), at.shape[2:])):
        np.multiply(g, at == k, out=part)
    return dx


def _like(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a`` in ``b``'s memory layout (elementwise ops on mixed layouts are slow)."""
    if a.strides == tuple(s // b.itemsize * a.itemsize for s in b.strides):
        return a
    out = np.empty_like(b, a.dtype)
    out[...] = a
    return out


class AvgPool2d(Function):
    """y = mean of each window (zero padding counted, as PyTorch's default);
    dx = g / (kh·kw) added to every element of its window"""

    torch_name = "AvgPool2DBackward0"
    broadcasts = False
    twice_differentiable = True  # through conv_grad.py, for a Tensor g

    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        xp = pad(x, padding)
        views = windows(xp, kernel, stride, (1, 1), _pooled_hw(x.shape, kernel, stride,
                                                               padding, (1, 1)))
        y = views[0].copy()
        for s in views[1:]:
            y += s
        ctx.geometry = (x.shape, kernel, stride, padding)
        return y / x.dtype.type(kernel[0] * kernel[1])

    @staticmethod
    def backward(ctx, g):
        if not isinstance(g, np.ndarray):  # create_graph: recorded index-adds
            from .conv_grad import avg_pool2d_backward
            return avg_pool2d_backward(ctx, g)
        x_shape, kernel, stride, padding = ctx.geometry
        n, c, h, w = x_shape
        share = g / g.dtype.type(kernel[0] * kernel[1])
        dxp = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), g.dtype)
        for d in windows(dxp, kernel, stride, (1, 1), g.shape[2:]):
            d += share
        return unpad(dxp, padding)
