"""The piecewise activations of ``nn.functional``: hardtanh, relu6, hardswish,
hardsigmoid, threshold, hardshrink, softshrink. Each is a ``where`` over its
pieces, so that the gradient at a kink is PyTorch's: its kernels compare with
strict or non-strict inequalities per op (hardtanh passes no gradient AT its bounds,
where ``clamp`` passes it), and a NaN takes the side its vectorised kernel gives it
(tensors of 8 or more elements; its scalar loop differs, see tests/deviations.py)."""

from __future__ import annotations

import numpy as np

import tensor
from tensor import Tensor
from tensor.ops.nn import Hardsigmoid

from .functional_activation import _floating, _inplace


def _held(x: Tensor) -> Tensor:
    """x as a constant: a piece whose value is x's own but whose gradient is 0."""
    return x.detach()


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val);  dx = g where min_val < x < max_val, else 0."""
    if input.dtype == tensor.bool:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.dtype == tensor.uint8 and (min_val < 0 or max_val < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    if not input.is_floating_point():  # integers: no gradient to shape
        return _inplace(input, lambda x: x.clamp(min_val, max_val).to(x.dtype), inplace,
                        "hardtanh")

    def fn(x):
        inside = (x > min_val) & (x < max_val)
        return tensor.where(inside, x, _held(x).clamp(min_val, max_val))

    return _inplace(input, fn, inplace, "hardtanh")


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): hardtanh(x, 0, 6), with its gradient (0 at 0 and at 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x·min(max(x + 3, 0), 6)/6;  dx = g·(0 for x ≤ −3, x/3 + ½ below 3, 1 from 3)."""
    _floating(input, "hardswish")

    def fn(x):
        low, high = x <= -3, x >= 3
        mid = tensor.where(low | high, tensor.zeros_like(x), x)  # NaN stays here
        # x·6/6, not x: PyTorch's value, inf where x·6 overflows; x·0 is its −0 (NaN at −∞)
        return tensor.where(low, _held(x) * 0.0,
                            tensor.where(high, x * 6.0 / 6.0, mid * (mid + 3) / 6))

    return _inplace(input, fn, inplace, "hardswish")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x + 3, 0), 6)/6;  dx = g/6 where −3 < x < 3 (one op: tensor/ops/nn.py)."""
    _floating(input, "hardsigmoid")
    return _inplace(input, Hardsigmoid.apply, inplace, "hardsigmoid")


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value;  dx = g where x > threshold (and at NaN)."""
    if input.dtype == tensor.bool:
        raise NotImplementedError('"threshold_cpu" not implemented for \'Bool\'')

    def fn(x):
        # value in x's dtype as a cast gives it (−2 in uint8 is 254, 20.7 in int64 20)
        fill = np.asarray(value).astype(x.data.dtype).item()
        return tensor.where(x <= threshold, tensor.full_like(x, fill), x)

    return _inplace(input, fn, inplace, "threshold")


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > λ, else 0;  dx = g where |x| > λ, else 0."""
    _floating(input, "hardshrink")
    outside = (input < -lambd) | (input > lambd)
    return tensor.where(outside, input, _held(input) * 0.0)  # NaN·0: NaN, gradient 0


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x − λ above λ, x + λ below −λ, else 0;  dx = g where |x| > λ, else 0."""
    _floating(input, "softshrink_check")
    if lambd < 0:
        raise RuntimeError(f"lambda must be in range [0, {np.finfo(input.data.dtype).max:g}] "
                           f"for input dtype {_TORCH_NAME.get(input.dtype, input.dtype)}, "
                           f"but found {lambd}")
    return tensor.where(input > lambd, input - lambd,
                        tensor.where(input < -lambd, input + lambd, _held(input) * 0.0))


_TORCH_NAME = {tensor.float32: "Float", tensor.float64: "Double"}
