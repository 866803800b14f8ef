"""``nn.init``: PyTorch's initialisation formulas, applied in place without recording."""

from __future__ import annotations

import math
import warnings

import numpy as np

import tensor
from tensor import Tensor
from tensor.random.functions import normal_ as sample_normal_


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    if nonlinearity in ("linear", "conv1d", "conv2d", "sigmoid", "identity"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(t: Tensor) -> tuple[int, int]:
    if t.ndim < 2:
        raise ValueError(f"init: fan in and fan out cannot be computed for a tensor with fewer "
                         f"than 2 dimensions (shape {tuple(t.shape)})")
    receptive = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fill(t: Tensor, values) -> Tensor:
    with tensor.no_grad():
        t.data[...] = values
    return t


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    with tensor.no_grad():
        return t.uniform_(a, b, generator=generator)


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    with tensor.no_grad():
        return t.normal_(mean, std, generator=generator)


def trunc_normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """N(mean, std²) restricted to [a, b], by resampling what falls outside, as
    PyTorch does when [a, b] holds more than 30% of the mass (the default ±2 std
    holds 95%); narrower windows (PyTorch's uniform-proposal branch) are refused."""
    mass = (math.erf((b - mean) / std / math.sqrt(2.0))
            - math.erf((a - mean) / std / math.sqrt(2.0))) / 2.0
    if mass <= 0.3:
        raise NotImplementedError(f"trunc_normal_: [a, b] = [{a}, {b}] holds {mass:.3f} of the "
                                  "mass (PyTorch's rejection branch for ≤ 0.3 is not built)")
    with tensor.no_grad():
        result = t.normal_(mean, std, generator=generator).data
        lo, hi = np.asarray(a, result.dtype), np.asarray(b, result.dtype)
        while True:
            outside = (result < lo) | (result > hi)
            if not outside.any():
                return t
            fresh = np.empty(result.shape, result.dtype)  # a whole new draw, as PyTorch's
            sample_normal_(fresh, mean, std, generator)
            t.data[outside] = fresh[outside]


def constant_(t: Tensor, val: float) -> Tensor:
    return _fill(t, val)


def zeros_(t: Tensor) -> Tensor:
    return _fill(t, 0)


def ones_(t: Tensor) -> Tensor:
    return _fill(t, 1)


def _fan(t: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init: mode {mode!r} not supported, use 'fan_in' or 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    return fan_in if mode == "fan_in" else fan_out


def _warn_empty(t: Tensor) -> bool:
    if 0 in t.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def kaiming_uniform_(t: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """U(−b, b) with b = √3 · gain / √fan."""
    if _warn_empty(t):
        return t
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(t, mode))
    bound = math.sqrt(3.0) * std  # in PyTorch's order: the same float64 rounding
    return uniform_(t, -bound, bound, generator)


def kaiming_normal_(t: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """N(0, std²) with std = gain / √fan (He initialisation)."""
    if _warn_empty(t):
        return t
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(t, mode))
    return normal_(t, 0.0, std, generator)


def xavier_uniform_(t: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(−b, b) with b = √3 · gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(t, -bound, bound, generator)


def xavier_normal_(t: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)
