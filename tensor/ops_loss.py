"""Losses as single fused nodes (as PyTorch's: one ``MseLossBackward0``, one
``BinaryCrossEntropyWithLogitsBackward0``), each with its own checked VJP."""

from __future__ import annotations

import numpy as np

from .function import Function
from .ops_fused import target_positions


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return losses
    total = losses.sum() if reduction == "sum" else losses.mean() if losses.size else np.nan
    return np.asarray(total, losses.dtype)


def _scale(g: np.ndarray, shape: tuple, reduction: str) -> np.ndarray:
    """The upstream gradient of each element before the reduction."""
    if reduction == "mean":
        return g / max(int(np.prod(shape)), 1)
    return g


class MseLoss(Function):
    """ℓ = (x − y)², reduced;  dx = 2(x − y)·g (/ n for mean),  dy = −dx"""

    broadcasts = False

    @staticmethod
    def forward(ctx, x, y, reduction):
        d = x - y
        ctx.save_for_backward(d)
        ctx.reduction = reduction
        return _reduce(d * d, reduction)

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved
        dx = (2 * _scale(g, d.shape, ctx.reduction) * d).astype(d.dtype, copy=False)
        return dx if ctx.needs_input_grad[0] else None, -dx if ctx.needs_input_grad[1] else None


class BinaryCrossEntropyWithLogits(Function):
    """ℓ = (1 − y)·x + L·log(1 + e⁻ˣ) with L = 1 + (p − 1)·y (p: pos_weight), reduced;
    dx = g·(L·(σ(x) − 1) + 1 − y),  dy = g·((p − 1)·log(1 + e⁻ˣ) − x)"""

    broadcasts = False

    @staticmethod
    def forward(ctx, x, y, pos_weight=None, reduction="mean"):
        softplus_neg = np.logaddexp(0, -x)  # log(1 + e⁻ˣ) without overflow
        big_l = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        ctx.save_for_backward(x, y, softplus_neg)
        ctx.pos_weight, ctx.reduction = pos_weight, reduction
        return _reduce(((1 - y) * x + big_l * softplus_neg).astype(x.dtype, copy=False),
                       reduction)

    @staticmethod
    def backward(ctx, g):
        x, y, softplus_neg = ctx.saved
        p = ctx.pos_weight
        g = _scale(g, x.shape, ctx.reduction)
        big_l = 1 if p is None else 1 + (p - 1) * y
        sigmoid = np.exp(-softplus_neg)  # σ(x), without overflow for large |x|
        dx = (g * (big_l * (sigmoid - 1) + 1 - y)).astype(x.dtype, copy=False)
        dy = None
        if ctx.needs_input_grad[1]:
            dy = (g * ((0 if p is None else (p - 1) * softplus_neg) - x)).astype(x.dtype,
                                                                               copy=False)
        return dx, dy


class NllLoss(Function):
    """ℓₙ = −xₙ[tₙ] (x: log-probabilities), reduced;  dxₙ = −one_hot(tₙ)·g (/ N for
    mean)"""

    torch_name = "NllLossBackward0"
    broadcasts = False

    @staticmethod
    def forward(ctx, x, target, reduction):
        picked = target_positions(target, x.shape, "nll_loss")
        ctx.picked, ctx.shape, ctx.reduction = picked, x.shape, reduction
        return _reduce(-x.take(picked), reduction)

    @staticmethod
    def backward(ctx, g):
        dx = np.zeros(ctx.shape, g.dtype)
        dx.put(ctx.picked, -_scale(g, ctx.picked.shape, ctx.reduction))
        return dx

    @classmethod
    def error(cls, arrays, exc):
        return exc if isinstance(exc, IndexError) else super().error(arrays, exc)
