"""Activations of ``nn.functional`` beyond relu/sigmoid/tanh, each composed from
tensor ops, so their gradients (and gradients of gradients) come from those ops
and tensor.compile records them like any other."""

from __future__ import annotations

import math

import tensor
from tensor import Tensor

_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _floating(input: Tensor, op: str) -> None:
    """PyTorch's activations have no integer or bool kernels: they raise, not cast."""
    if not input.is_floating_point():
        raise NotImplementedError(f"{op}: not implemented for {input.dtype.name}")


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x) = x·(1 + erf(x/√2))/2; ``approximate='tanh'``:
    x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2."""
    _floating(input, "gelu")
    if approximate == "none":
        return input * 0.5 * (1.0 + (input * _SQRT_HALF).erf())
    if approximate == "tanh":
        inner = (input + 0.044715 * input * input * input) * _SQRT_2_OVER_PI
        return input * 0.5 * (1.0 + inner.tanh())
    raise RuntimeError("approximate argument must be either none or tanh.")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x·σ(x) (also called swish)."""
    _floating(input, "silu")
    return input * input.sigmoid()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope·x (the slope's gradient at 0, as PyTorch)."""
    _floating(input, "leaky_relu")
    return tensor.where(input > 0, input, input * negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else α·(eˣ − 1)."""
    _floating(input, "elu")
    # Three pieces: at 0 PyTorch's derivative is α (the x ≤ 0 side) but its second
    # derivative 0, which α·x gives; eˣ sees x only where x < 0 (0 elsewhere), so no
    # overflowed eˣ nor a NaN meets where()'s zero gradient; a NaN takes x's gradient 1.
    below_0 = tensor.where(input < 0, input, tensor.zeros_like(input))
    at_least_0 = tensor.where(input == 0, input * alpha, input)
    return tensor.where(input < 0, below_0.expm1() * alpha, at_least_0)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(β·x))/β, and x itself where β·x > threshold."""
    _floating(input, "softplus")
    scaled = input * beta
    # clamped for the same reason as in elu: the dropped branch must not overflow
    soft = scaled.clamp(max=threshold).exp().log1p() / beta
    return tensor.where(scaled > threshold, input, soft)
