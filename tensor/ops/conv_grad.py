"""The gradients of ``conv2d``, ``max_pool2d`` and ``avg_pool2d`` as recorded ops, for
gradients of gradients (``create_graph=True``; ``function.py``). The first-order pass
keeps the NumPy kernels of ``conv.py`` and ``pool.py``; their backward hands a
Tensor gradient here, and these formulas compute the same numbers with ops that are
differentiable again:

- conv2d:  dx = conv2d(g spread by the stride and padded by the kernel's span, W
  flipped with in and out channels swapped, dilation d): the transposed convolution;
  dW = conv2d(x padded with batch and channels swapped, g with batch and channels
  swapped, stride d, dilation s): the correlation of x with g, cropped to the kernel;
  db = Σ g. Both are convolutions, so the gradient of each is again a convolution.
- max_pool2d: dx = g added at the positions forward routed it to (a recorded
  index-add, whose own gradient gathers from them: PyTorch's double backward).
- avg_pool2d: dx = g / (kh·kw) added at every position of its window.
"""

from __future__ import annotations

import numpy as np

from .either import value
from .shape import IndexAdd

_ALL = slice(None)


def _embed(t, shape: tuple, key: tuple):
    """zeros(shape) with t written at key (basic slices): a recorded op whose gradient
    is the slice of its own gradient at key."""
    return IndexAdd.apply(t, shape=shape, key=key)


def _spread(g, stride, before, after):
    """g (N, O, OH, OW) with stride − 1 zeros between neighbours and before/after
    zeros above/left and below/right (a negative count crops), as conv.spread."""
    n, o, oh, ow = g.shape
    (sh, sw), (bh, bw), (ah, aw) = stride, before, after
    tall, wide = sh * (oh - 1) + 1, sw * (ow - 1) + 1
    top, left = max(bh, 0), max(bw, 0)
    shape = (n, o, top + tall + max(ah, 0), left + wide + max(aw, 0))
    out = _embed(g, shape, (_ALL, _ALL, slice(top, top + tall, sh), slice(left, left + wide, sw)))
    if min(bh, bw, ah, aw) >= 0:
        return out
    return out[:, :, max(-bh, 0):shape[2] - max(-ah, 0), max(-bw, 0):shape[3] - max(-aw, 0)]


def conv2d_backward(ctx, g):
    """(dx, dW, db) of a Conv2d node for a Tensor g, from the node's input tensors and
    geometry, each a recorded convolution (see the module docstring)."""
    conv = type(ctx)
    x, w = ctx.parents[0], ctx.parents[1]
    needs = ctx.needs_input_grad
    (n, c, h, wd), stride, padding, dilation, groups = ctx.geometry
    o, cg, kh, kw = w.shape
    og = o // groups
    oh, ow = g.shape[2:]
    dx = dw = db = None
    if needs[0]:
        spans = [d * (k - 1) for k, d in zip((kh, kw), dilation)]
        before = [span - p for span, (p, _) in zip(spans, padding)]
        after = [size + p - s * (out - 1) - 1 for size, (p, _), s, out in
                 zip((h, wd), padding, stride, (oh, ow))]
        flipped = w.reshape(groups, og, cg, kh, kw)[:, :, :, ::-1, ::-1]
        wt = flipped.permute(0, 2, 1, 3, 4).reshape(groups * cg, og, kh, kw)
        dx = conv.apply(_spread(g, stride, before, after), wt, stride=(1, 1), padding=(0, 0),
                        dilation=dilation, groups=groups)
    if needs[1]:
        (top, bottom), (left, right) = padding
        xp = x
        if top or bottom or left or right:
            xp = _embed(x, (n, c, h + top + bottom, wd + left + right),
                        (_ALL, _ALL, slice(top, top + h), slice(left, left + wd)))
        hp, wp = xp.shape[2:]
        # batch ↔ channels: the images' sum becomes the convolution's channel sum
        xs = xp.reshape(n, groups, cg, hp, wp).permute(2, 1, 0, 3, 4).reshape(
            cg, groups * n, hp, wp)
        gs = g.reshape(n, groups, og, oh, ow).permute(1, 2, 0, 3, 4).reshape(
            groups * og, n, oh, ow)
        corr = conv.apply(xs, gs, stride=dilation, padding=(0, 0), dilation=stride,
                          groups=groups)  # (C/groups, O, ≥ kh, ≥ kw)
        dw = corr[:, :, :kh, :kw].permute(1, 0, 2, 3)
    if len(needs) > 2 and needs[2]:
        db = g.sum(axis=(0, 2, 3))
    return dx, dw, db


def max_pool2d_backward(ctx, g):
    """dx of a MaxPool2d node for a Tensor g: g added at the input position each
    output's maximum came from (``at``, the kernel position forward saved)."""
    at = value(ctx.saved[0])
    x_shape, _, kernel, stride, padding, dilation = ctx.geometry
    n, c, oh, ow = at.shape
    i, j = np.divmod(at.astype(np.intp), kernel[1])
    rows = np.arange(oh)[:, None] * stride[0] + i * dilation[0] - padding[0]
    cols = np.arange(ow)[None, :] * stride[1] + j * dilation[1] - padding[1]
    key = (np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols)
    return IndexAdd.apply(g, shape=tuple(x_shape), key=key)


def avg_pool2d_backward(ctx, g):
    """dx of an AvgPool2d node for a Tensor g: g / (kh·kw) added to every element of
    its window (the padding's share dropped)."""
    (n, c, h, w), (kh, kw), (sh, sw), (ph, pw) = ctx.geometry
    oh, ow = g.shape[2:]
    share = g / (kh * kw)
    shape = (n, c, h + 2 * ph, w + 2 * pw)
    total = None
    for i in range(kh):
        for j in range(kw):
            part = _embed(share, shape, (_ALL, _ALL, slice(i, i + sh * (oh - 1) + 1, sh),
                                         slice(j, j + sw * (ow - 1) + 1, sw)))
            total = part if total is None else total + part
    return total[:, :, ph:ph + h, pw:pw + w] if ph or pw else total
