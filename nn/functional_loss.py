"""Losses of ``nn.functional`` beyond cross_entropy/nll/mse/bce-with-logits, each
composed from tensor ops (so they differentiate twice and compile as any op)."""

from __future__ import annotations

import warnings

import tensor
from tensor import Tensor
from tensor.ops.nn import BinaryCrossEntropy


def _reduce(losses: Tensor, reduction: str) -> Tensor:  # nn.functional's, not imported
    if reduction == "mean":                                # from it: it imports this file
        return losses.mean()
    return losses.sum() if reduction == "sum" else losses


def _check(reduction: str, extra=()) -> None:
    if reduction not in ("mean", "sum", "none", *extra):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _pair(input: Tensor, target, op: str):
    """input and target as tensors of one dtype; a broadcasting target warns, as PyTorch."""
    if not isinstance(target, Tensor):
        target = tensor.tensor(target, dtype=input.dtype)
    if input.dtype != target.dtype:
        input, target = input._operands(target, op=op)
    if input.shape != target.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)
    return input, target


def _floating(input: Tensor, op: str) -> None:
    if not input.is_floating_point():  # PyTorch has no integer kernel for these
        raise NotImplementedError(f"{op}: not implemented for {input.dtype.name}")


def l1_loss(input: Tensor, target, size_average=None, reduce=None,
            reduction: str = "mean") -> Tensor:
    """Mean of |input − target|."""
    _check(reduction)
    if input.dtype == tensor.bool or getattr(target, "dtype", None) == tensor.bool:
        # PyTorch's l1_loss subtracts in Python, where bool − anything raises
        raise RuntimeError("l1_loss: subtraction with a bool tensor is not supported")
    input, target = _pair(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input: Tensor, target, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Mean of d²/(2β) where |d| < β, else |d| − β/2 (d = input − target)."""
    _check(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    input, target = _pair(input, target, "smooth_l1_loss")
    _floating(input, "smooth_l1_loss")  # after promotion: an int input, a float target run
    d = input - target
    a = d.abs()
    return _reduce(tensor.where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target, reduction: str = "mean", delta: float = 1.0,
               weight=None) -> Tensor:
    """Mean of d²/2 where |d| < δ, else δ·(|d| − δ/2) (d = input − target)."""
    _check(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _floating(input, "huber_loss")  # before promotion, as PyTorch (it can't cast back)
    input, target = _pair(input, target, "huber_loss")
    d = input - target
    a = d.abs()
    losses = tensor.where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    return _reduce(losses if weight is None else losses * weight, reduction)


def binary_cross_entropy(input: Tensor, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """Mean of −[y·log x + (1 − y)·log(1 − x)], each log clamped at −100 (PyTorch's
    guard against log 0 = −inf), as one op: a saturated sigmoid (x = 1) still has
    PyTorch's finite gradient, where the composed logs' would be NaN."""
    _check(reduction)
    if not isinstance(target, Tensor):
        target = tensor.tensor(target, dtype=input.dtype)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the "
                         f"input size ({input.shape}) is deprecated. Please ensure they have "
                         "the same size.")
    x = input.data
    if x.size and not ((x >= 0) & (x <= 1)).all():  # NaN fails too, as in PyTorch
        raise RuntimeError("all elements of input should be between 0 and 1")
    t = target.data
    if t.size and not ((t >= 0) & (t <= 1)).all():
        raise RuntimeError("all elements of target should be between 0 and 1")
    target = target.to(input.dtype)
    if weight is None:
        return BinaryCrossEntropy.apply(input, target, reduction=reduction)
    losses = BinaryCrossEntropy.apply(input, target, reduction="none") * weight
    return _reduce(losses, reduction)


def kl_div(input: Tensor, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Σ target·(log target − input), input holding log-probabilities (0·log 0 = 0);
    ``log_target``: Σ e^target·(target − input). ``batchmean`` divides the sum by
    the batch size (the KL divergence); ``mean`` by every element, as PyTorch."""
    _check(reduction, ("batchmean",))
    if not isinstance(target, Tensor):
        target = tensor.tensor(target, dtype=input.dtype)
    if log_target:
        losses = target.exp() * (target - input)
    else:
        # xlogy(target, target): log 1 where target is 0, so 0·log 0 gives 0 and no
        # inf reaches where()'s dropped branch (a negative target still gives NaN)
        safe_log = tensor.where(target == 0, tensor.ones_like(target), target).log()
        losses = target * safe_log - target * input
    if reduction == "batchmean":
        return losses.sum() / (input.shape[0] if input.ndim else 1)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                      "the support size.'batchmean' divides only by the batch size, and "
                      "aligns with the KL div math definition.'mean' will be changed to "
                      "behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    return _reduce(losses, reduction)


__all__ = ["binary_cross_entropy", "huber_loss", "kl_div", "l1_loss", "smooth_l1_loss"]
