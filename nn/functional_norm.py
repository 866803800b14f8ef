"""Normalisations of ``nn.functional``: layer_norm, batch_norm (with its running
statistics) and normalize, composed from tensor ops."""

from __future__ import annotations

import math

import tensor
from tensor import Tensor


def _same_dtypes(op: str, input: Tensor, *others) -> None:
    """PyTorch's CPU kernels refuse mixed dtypes (a float64 batch into float32
    weights) rather than promote; integer inputs have no kernel."""
    if not input.is_floating_point():
        raise NotImplementedError(f"{op}: not implemented for {input.dtype.name}")
    if any(t is not None and t.dtype != input.dtype for t in others):
        dtypes = ", ".join(t.dtype.name for t in (input, *others) if t is not None)
        raise RuntimeError(f"{op}: mixed dtype (CPU): all inputs must share same datatype "
                           f"(got {dtypes}); convert the model or the input with .float() "
                           "or .double()")


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """(x − mean) / √(var + eps) · weight + bias over the last len(normalized_shape)
    dims (the biased variance, as PyTorch)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        listed = ", ".join(str(s) for s in shape)
        raise RuntimeError(f"Given normalized_shape=[{listed}], expected input with shape "
                           f"[*, {listed}], but got input of size{list(input.shape)}")
    _same_dtypes("layer_norm", input, weight, bias)
    dims = tuple(range(-k, 0))
    mean = input.mean(dims, keepdim=True)
    var = input.var(dims, keepdim=True, correction=0)
    out = (input - mean) * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """(x − mean) / √(var + eps) · weight + bias per channel (dim 1). Training: the
    batch's mean and biased variance, and the running statistics (when given) move
    by ``momentum`` toward the batch's mean and *unbiased* variance, in place.
    Otherwise: the running statistics."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of 2 or more dims (N, C, ...), "
                         f"got input of size {tuple(input.shape)}")
    channels = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")
    _same_dtypes("batch_norm", input, running_mean, running_var, weight, bias)
    dims = (0, *range(2, input.ndim))
    per_channel = (1, channels) + (1,) * (input.ndim - 2)
    count = math.prod(input.shape) // max(channels, 1)
    if training:
        if count == 1:
            raise ValueError("Expected more than 1 value per channel when training, got "
                             f"input size {input.shape}")
        mean = input.mean(dims, keepdim=True)
        var = input.var(dims, keepdim=True, correction=0)
        if count > 0 and running_mean is not None:  # an empty batch leaves them, as PyTorch
            with tensor.no_grad():
                running_mean.mul_(1 - momentum).add_(mean.reshape(channels).detach(),
                                                     alpha=momentum)
        if count > 0 and running_var is not None:
            with tensor.no_grad():
                unbiased = var.reshape(channels).detach() * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased, alpha=momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when "
                             "training=False")
        mean, var = running_mean.reshape(per_channel), running_var.reshape(per_channel)
    out = (input - mean) * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out=None) -> Tensor:
    """x / max(‖x‖_p, eps) along ``dim``."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported")
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps)
