"""Activations of ``nn.functional`` beyond relu/sigmoid/tanh, each composed from
tensor ops, so their gradients (and gradients of gradients) come from those ops
and tensor.compile records them like any other."""

from __future__ import annotations

import math
import warnings

import numpy as np

import tensor
from tensor import Tensor
from tensor.inplace import a_t

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


def _inplace(input: Tensor, fn, inplace: bool, op: str) -> Tensor:
    """``fn(input)``, or with ``inplace=True`` written into input, recorded as
    PyTorch's ``op_`` (an error on a leaf that requires grad, as there)."""
    if not inplace:
        return fn(input)
    return input._inplace(f"{op}_", lambda a, _: np.copyto(a, fn(a_t(a)).data), graph=fn)


def logsigmoid(input: Tensor) -> Tensor:
    """log σ(x) = min(x, 0) − log(1 + e^−|x|)."""
    _floating(input, "log_sigmoid")
    below = input < 0
    # each side sees x only where it is taken (0 elsewhere), so no e^∞ reaches the
    # dropped side's gradient; at 0 the x ≥ 0 side gives PyTorch's slope ½
    neg = tensor.where(below, input, tensor.zeros_like(input))
    pos = tensor.where(below, tensor.zeros_like(input), input)
    return tensor.where(below, neg - neg.exp().log1p(), -(-pos).exp().log1p())


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype=None) -> Tensor:
    """softmax(−x) along dim; ``dtype`` casts −x first, as PyTorch."""
    if dim is None:
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change "
                      "the call to include dim=X as an argument.", stacklevel=_stacklevel)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    neg = -input
    return (neg if dtype is None else neg.to(dtype)).softmax(dim)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x·tanh(softplus(x))."""
    _floating(input, "mish")
    return _inplace(input, lambda x: x * softplus(x).tanh(), inplace, "mish")


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale·elu(x, α), α ≈ 1.6733 and scale ≈ 1.0507 (self-normalising)."""
    _floating(input, "elu")
    return _inplace(input, lambda x: elu(x, _SELU_ALPHA) * _SELU_SCALE, inplace, "selu")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x ≥ 0, else α·(e^(x/α) − 1): slope 1 at 0 for every α."""
    _floating(input, "elu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")

    def fn(x):
        below_0 = tensor.where(x < 0, x, tensor.zeros_like(x))  # as in elu
        return tensor.where(x < 0, (below_0 * (1.0 / alpha)).expm1() * alpha, x)

    return _inplace(input, fn, inplace, "celu")


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x − tanh x."""
    return input - input.tanh()


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a·σ(b), where a and b are the two halves of x along dim."""
    _floating(input, "glu")
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim + input.ndim if -input.ndim <= dim < 0 else dim
    if not 0 <= d < input.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-input.ndim}, {input.ndim - 1}], but got {dim})")
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    half = input.shape[d] // 2
    return input.narrow(d, 0, half) * input.narrow(d, half, half).sigmoid()
