"""``nn.functional``'s pad, cosine_similarity and scaled_dot_product_attention,
composed from tensor ops (indexing, cat, norm, matmul, softmax)."""

from __future__ import annotations

import math

import numpy as np

import tensor
from tensor import Tensor
from tensor.ops.nn import Dropout

_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pads the last len(pad)//2 dims, ``pad`` = (left of the last dim, right of it,
    left of the one before, …); a negative amount crops. ``constant`` fills with
    ``value`` (0); ``reflect`` mirrors without the edge, ``replicate`` repeats the
    edge, ``circular`` wraps around."""
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {input.ndim}")
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant":
        k = len(pad) // 2
        if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
            raise NotImplementedError(
                f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
                "Supported combinations for non-constant padding:\n"
                "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
        if mode in ("reflect", "replicate") and input.dtype == tensor.bool:
            raise NotImplementedError(f"pad: {mode} mode is not implemented for bool")
        batched = input.ndim == k + 2  # (N, C, …): only N may be 0
        if mode != "circular" and 0 in input.shape[1 if batched else 0:]:
            raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly "
                               "0 batch size and other non-zero dimensions for input, but got: "
                               f"{list(input.shape)}")
    out = input
    for i in range(len(pad) // 2):
        dim = input.ndim - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        n = input.shape[dim]
        if mode == "constant" and max(-left, 0) + max(-right, 0) > n:
            raise RuntimeError("narrow(): length must be non-negative.")
        if mode != "constant" and min(left, right) < 0:
            raise NotImplementedError(f"pad: negative padding ({left}, {right}) is supported "
                                      "in constant mode only")
        if n + left + right < 0:
            raise RuntimeError(f"The input size {n}, plus negative padding {left} and {right} "
                               "resulted in a negative output size, which is invalid. Check "
                               f"dimension {dim} of your input.")
        if mode == "constant":
            out = _pad_constant(out, dim, left, right, 0.0 if value is None else value)
        else:
            out = _pad_by_index(out, dim, left, right, mode)
    return out


def _pad_constant(x: Tensor, dim: int, left: int, right: int, value: float) -> Tensor:
    before = (slice(None),) * dim
    n = x.shape[dim]
    x = x[(*before, slice(max(-left, 0), n - max(-right, 0)))]  # the crops
    parts = [x]
    for amount, at in ((left, 0), (right, len(parts) + 1)):
        if amount > 0:
            shape = list(x.shape)
            shape[dim] = amount
            parts.insert(at, tensor.full(shape, value, dtype=x.dtype))
    return tensor.cat(parts, dim) if len(parts) > 1 else x


def _pad_by_index(x: Tensor, dim: int, left: int, right: int, mode: str) -> Tensor:
    """Built from slices and cat (no index array: tensor.compile records slices)."""
    n = x.shape[dim]
    if mode == "reflect" and (left >= n or right >= n):
        raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                           f"input dimension, but got: padding ({left}, {right}) at dimension "
                           f"{dim} of input {list(x.shape)}")
    if mode == "circular" and (left > n or right > n):
        raise RuntimeError("Padding value causes wrapping around more than once.")
    before = (slice(None),) * dim
    x = x[(*before, slice(max(-left, 0), n - max(-right, 0)))]  # the crops
    n = x.shape[dim]

    def part(start: int, stop: int) -> Tensor:
        return x[(*before, slice(start, stop))]

    def edge(i: int, amount: int) -> Tensor:  # amount copies of x's i-th slice
        shape = list(x.shape)
        shape[dim] = amount
        return part(i, i + 1).expand(*shape)

    lefts, rights = [], []
    if left > 0:
        if mode == "reflect":
            lefts = [part(k, k + 1) for k in range(left, 0, -1)]
        elif mode == "replicate":
            lefts = [edge(0, left)]
        else:
            lefts = [part(n - left, n)]
    if right > 0:
        if mode == "reflect":
            rights = [part(k, k + 1) for k in range(n - 2, n - 2 - right, -1)]
        elif mode == "replicate":
            rights = [edge(n - 1, right)]
        else:
            rights = [part(0, right)]
    parts = [*lefts, x, *rights]
    return tensor.cat(parts, dim) if len(parts) > 1 else x


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1·x2 / (max(‖x1‖, eps)·max(‖x2‖, eps)) along ``dim`` (of the broadcast shape)."""
    shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, enable_gqa: bool = False) -> Tensor:
    """softmax(Q·Kᵀ·scale + mask)·V, scale = 1/√E by default. A boolean mask keeps
    where True; a float mask is added; ``is_causal`` keeps the lower triangle. A
    row with every key masked gives zeros, as PyTorch (not softmax's NaN)."""
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                           "set when is_causal=True")
    if enable_gqa:
        raise NotImplementedError("scaled_dot_product_attention: enable_gqa is not supported")
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        attn_mask = tensor.ones(L, S, dtype=tensor.bool).tril()
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            attn_mask = tensor.tensor(attn_mask)
        if attn_mask.dtype == tensor.bool:  # where(), not masked_fill: compile records it
            scores = tensor.where(attn_mask, scores, tensor.full_like(scores, float("-inf")))
        else:
            scores = scores + attn_mask
    dead = scores.detach().amax(-1, keepdim=True) == float("-inf")  # every key masked
    # a dead row is softmaxed as zeros, then zeroed: no NaN in its value or gradient
    zeros = tensor.zeros_like(scores)  # not a Python 0.0: compile records a tensor's make
    weights = tensor.where(dead, zeros, scores).softmax(-1)
    weights = tensor.where(dead, zeros, weights)
    if dropout_p > 0.0:  # F.dropout's op (nn.functional imports this file)
        weights = weights * 0.0 if dropout_p >= 1.0 else Dropout.apply(weights, p=dropout_p)
    return weights @ value
