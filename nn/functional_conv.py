"""``nn.functional``'s convolution and pooling: argument handling with PyTorch's
signatures and errors, in front of the ops in ``tensor/ops/conv.py`` and
``tensor/ops/pool.py``."""

from __future__ import annotations

import numpy as np

import tensor
from tensor import Tensor
from tensor.ops.conv import Conv2d, out_size
from tensor.ops.pool import AvgPool2d, MaxPool2d


def pair(value, name: str, op: str) -> tuple[int, int]:
    """An int or a pair of ints as a pair (kernel_size=3 → (3, 3))."""
    pair_ = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair_) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair_):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return int(pair_[0]), int(pair_[1])


def _batched(input: Tensor, op: str) -> tuple[Tensor, bool]:
    """(N, C, H, W) input; an unbatched (C, H, W) one gets N = 1 (squeezed after)."""
    if input.ndim == 3:
        return input.unsqueeze(0), True
    if input.ndim != 4:
        raise RuntimeError(f"{op}: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                           f"shape {tuple(input.shape)}")
    return input, False


def _check_fits(op: str, shape, kernel, stride, padding, dilation) -> None:
    for size, k, s, p, d in zip(shape[2:], kernel, stride, padding, dilation):
        if s <= 0 or d <= 0 or min(p if isinstance(p, tuple) else (p,)) < 0:
            raise RuntimeError(f"{op}: stride and dilation must be positive and padding "
                               f"non-negative, got stride {stride}, padding {padding}, "
                               f"dilation {dilation}")
        if out_size(size, k, s, p, d) <= 0:
            raise RuntimeError(f"{op}: input of shape {tuple(shape)} padded by {padding} is "
                               f"smaller than the kernel {kernel} (dilation {dilation})")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d`` (im2col + one GEMM).
    ``padding``: an int, a pair, 'valid' or 'same'."""
    x, unbatched = _batched(input, "conv2d")
    stride, dilation = pair(stride, "stride", "conv2d"), pair(dilation, "dilation", "conv2d")
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d: expected a 4-D weight (out, in/groups, kh, kw), got shape "
                           f"{tuple(weight.shape)}")
    o, cg, kh, kw = weight.shape
    if groups <= 0 or x.shape[1] != cg * groups or o % groups:
        raise RuntimeError(f"conv2d: weight of shape {tuple(weight.shape)} with groups={groups} "
                           f"expects input with {cg * groups} channels, got input of shape "
                           f"{tuple(input.shape)}")
    if isinstance(padding, str):  # (before, after) per side: 'same' may be uneven
        padding = _string_padding(padding, (kh, kw), stride, dilation)
    else:
        padding = pair(padding, "padding", "conv2d")
    _check_fits("conv2d", x.shape, (kh, kw), stride, padding, dilation)
    if x.dtype != weight.dtype or bias is not None and bias.dtype != weight.dtype:
        raise RuntimeError(f"conv2d: input ({x.dtype}) and weight ({weight.dtype}) must have "
                           "the same dtype")
    args = (x, weight) if bias is None else (x, weight, bias)
    y = Conv2d.apply(*args, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return y.squeeze(0) if unbatched else y


def _string_padding(padding: str, kernel, stride, dilation) -> tuple[int, int]:
    if padding == "valid":
        return 0, 0
    if padding != "same":
        raise ValueError(f"conv2d: invalid padding string {padding!r}, should be one of "
                         "'valid' or 'same'")
    if stride != (1, 1):
        raise ValueError("conv2d: padding='same' is not supported for strided convolutions")
    # as PyTorch: an odd total (an even kernel) puts the extra row or column after
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple((t // 2, t - t // 2) for t in totals)


def _pool_args(op, kernel_size, stride, padding, dilation=1):
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == [] else pair(stride, "stride", op)
    padding, dilation = pair(padding, "padding", op), pair(dilation, "dilation", op)
    if any(2 * p > d * (k - 1) + 1 for p, k, d in zip(padding, kernel, dilation)):
        raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, got "
                           f"padding {padding} for kernel {kernel}")
    return kernel, stride, padding, dilation


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    if ceil_mode or return_indices:
        raise NotImplementedError("max_pool2d: ceil_mode and return_indices are not supported")
    x, unbatched = _batched(input, "max_pool2d")
    kernel, stride, padding, dilation = _pool_args("max_pool2d", kernel_size, stride, padding,
                                                   dilation)
    _check_fits("max_pool2d", x.shape, kernel, stride, padding, dilation)
    y = MaxPool2d.apply(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation)
    return y.squeeze(0) if unbatched else y


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    if ceil_mode or divisor_override is not None or not count_include_pad and padding != 0:
        raise NotImplementedError("avg_pool2d: ceil_mode, divisor_override and "
                                  "count_include_pad=False with padding are not supported")
    x, unbatched = _batched(input, "avg_pool2d")
    kernel, stride, padding, _ = _pool_args("avg_pool2d", kernel_size, stride, padding)
    _check_fits("avg_pool2d", x.shape, kernel, stride, padding, (1, 1))
    if x.dtype.kind != "f":
        raise RuntimeError(f"avg_pool2d: not implemented for {x.dtype}")
    y = AvgPool2d.apply(x, kernel=kernel, stride=stride, padding=padding)
    return y.squeeze(0) if unbatched else y


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's bins: output cell i covers rows ⌊i·H/oh⌋ … ⌈(i+1)·H/oh⌉."""
    x, unbatched = _batched(input, "adaptive_avg_pool2d")
    h, w = x.shape[2:]
    if not isinstance(output_size, (int, np.integer)):
        output_size = tuple(h if s is None else s for s in (
            output_size[0], output_size[1]))  # None keeps that side's size
    oh, ow = pair(output_size, "output_size", "adaptive_avg_pool2d")
    if h % oh == 0 and w % ow == 0:  # equal bins: one strided pool
        y = avg_pool2d(x, (h // oh, w // ow))
    else:
        rows = [(i * h // oh, -(-(i + 1) * h // oh)) for i in range(oh)]
        cols = [(j * w // ow, -(-(j + 1) * w // ow)) for j in range(ow)]
        y = tensor.stack([tensor.stack([x[:, :, a:b, c:d].mean((2, 3)) for c, d in cols], -1)
                          for a, b in rows], -2)
    return y.squeeze(0) if unbatched else y
