"""The known, intended differences from PyTorch, each with its reason, in one place.

The differential fuzzer (test_fuzz_torch.py) skips exactly the cases these
predicates name and nothing else; the README's "Documented deviations" points here.
A predicate gets the op's name, the NumPy inputs and the op's keyword arguments.
"""

from __future__ import annotations

import numpy as np


def _arrays(arrays):
    return [a for a in arrays if isinstance(a, np.ndarray)]


def _base_vanishes_when_cast(base=None, exponent=None, *rest) -> bool:
    """A 0-d float base beside a float exponent with dimensions takes the exponent's
    dtype (PyTorch's promotion), and some nonzero base becomes 0 in it."""
    if exponent is None or rest or base.ndim or not exponent.ndim:
        return False
    if base.dtype.kind != "f" or exponent.dtype.kind != "f":
        return False
    return bool(np.any((base != 0) & (base.astype(exponent.dtype) == 0)))


# the fuzzer's remainder/fmod entries with a number: (numerator, divisor), None: the input
_ROUNDING_DIVISIONS = {"mod_int": (None, 2), "mod_float": (None, -1.5), "rmod": (3, None),
                       "fmod_float": (None, 1.5), "fmod_int": (None, -2),
                       "remainder_inplace_graph": (None, 0.75)}


def _quotient_overflows(op: str, arrays) -> bool:
    """Whether a/b of remainder or fmod leaves the float range for a finite a, b ≠ 0."""
    arrays = _arrays(arrays)
    if op in _ROUNDING_DIVISIONS and arrays[0].dtype.kind == "f":
        (x,), (num, den) = arrays, _ROUNDING_DIVISIONS[op]
        a, b = (x, np.asarray(den, x.dtype)) if num is None else (np.asarray(num, x.dtype), x)
    elif op in ("remainder", "remainder_fn", "fmod") and len(arrays) == 2 \
            and np.result_type(*arrays).kind == "f":  # integers don't overflow here
        # the narrowest float among them (PyTorch's promotion may keep float32 where
        # NumPy's takes float64): a case that may overflow is skipped, not one that can't
        dt = min((a.dtype for a in arrays if a.dtype.kind == "f"), key=lambda d: d.itemsize)
        a, b = (arr.astype(dt) for arr in arrays)
    else:
        return False
    try:
        with np.errstate(all="ignore"):
            return bool(np.any(np.isinf(a / b) & np.isfinite(a) & (b != 0)))
    except ValueError:  # shapes that don't broadcast: both raise
        return False


DEVIATIONS = {
    "remainder and fmod where a/b leaves the float range": (
        "PyTorch's vectorised kernel (8 or more elements) computes a − b·⌊a/b⌋ and gives "
        "NaN where a/b overflows (3e38 % 0.75 in float32, 1 % 1e-313); its scalar loop, "
        "and this engine at every size, give the exact fmod-based remainder.",
        lambda op, arrays, kw: _quotient_overflows(op, arrays),
    ),
    "atan2's gradient for operands of two dtypes": (
        "PyTorch's atan2 backward computes in each operand's own dtype: it negates the "
        "first (a bool raises, uint8 wraps: −1 becomes 255) and squares both (uint8's 16² "
        "wraps to 0, float32's 1.2e-38² underflows to 0, and the gradient vanishes). Here "
        "both operands take the result's dtype first: da = b·g/(a² + b²), "
        "db = −a·g/(a² + b²) in it.",
        lambda op, arrays, kw: op.startswith(("atan2", "arctan2")) and len(arrays) > 1
        and arrays[0].dtype != arrays[1].dtype,
    ),
    "layer_norm where a square leaves the float range": (
        "layer_norm is composed here as (x − mean)/√(var + eps) with var = mean((x − mean)²), "
        "so [1e30] in float32 normalises to 0; PyTorch's kernel forms squares of x itself "
        "and gives NaN once x² overflows (beyond ~1.8e19 in float32, ~1.3e154 in float64).",
        lambda op, arrays, kw: op.startswith("F_layer_norm") and any(
            a.dtype.kind == "f" and a.size and not (
                np.abs(a[np.isfinite(a)]).max(initial=0) ** 2 < np.finfo(a.dtype).max)
            for a in _arrays(arrays)),
    ),
    "elu's gradient at NaN": (
        "PyTorch's scalar elu backward gives a NaN input the identity's gradient 1, its "
        "vectorised one (tensors of 8 or more elements) NaN. Here it is 1 at any size.",
        lambda op, arrays, kw: op.startswith("F_elu") and any(
            a.dtype.kind == "f" and np.isnan(a).any() for a in _arrays(arrays)),
    ),
    "gelu of ±inf and of values whose double overflows, in float32": (
        "PyTorch's vectorised float32 gelu gives NaN at +inf and inf at 3e38 (x·(1 + erf) "
        "overflows before the halving); here x·0.5·(1 + erf(x/√2)) gives inf and 3e38, as "
        "PyTorch's own float64 kernel does.",
        lambda op, arrays, kw: op.startswith("F_gelu") and any(
            a.dtype == np.float32 and (np.isinf(a) | (np.abs(a) > 1.7e38)).any()
            for a in _arrays(arrays)),
    ),
    "var, std and the inf-norm's gradients at an infinite or NaN input": (
        "They are composed here from mean, subtraction, squares, the 2-norm and amax; "
        "with an infinite or NaN element their gradients are NaN where PyTorch's own "
        "formulas give ±inf or 0 (its inf-norm takes the sign of NaN as 0). Finite "
        "inputs, zero spreads and ties included, give PyTorch's gradients.",
        lambda op, arrays, kw: op.startswith(("var", "std", "norm_inf")) and any(
            a.dtype.kind == "f" and not np.isfinite(a).all() for a in _arrays(arrays)),
    ),
    "var and std with dim=()": (
        "PyTorch's forward reduces every dim, but its backward reduces none: it divides by "
        "1 − correction = 0 and gives ±inf or NaN (x.var(dim=()) of [1, 3] is 2, with "
        "gradient [−inf, inf]). Here the gradient is that of the value computed, [−2, 2], "
        "as with dim=None.",
        lambda op, arrays, kw: op.startswith(("var", "std")) and kw.get("dim") == (),
    ),
    "var and std where the squares or the sum leave the dtype's range": (
        "var is Σ(x − mean)²/(N − correction) here, in the input's dtype, so a sum or "
        "square beyond the dtype's largest value (3e38 in float32) gives inf or NaN, and "
        "a nonzero square below its smallest (differences under ~1e-19 in float32) gives "
        "0 and std's masked gradient, where PyTorch's wider accumulation stays in range.",
        lambda op, arrays, kw: op.startswith(("var", "std")) and any(
            a.dtype.kind == "f" and a.size and (
                np.abs(a).max() ** 2 * a.size > np.finfo(a.dtype).max
                or ((a != 0) & (np.abs(a) < np.sqrt(np.finfo(a.dtype).tiny) * 4)).any())
            for a in _arrays(arrays)),
    ),
    "pow's exponent gradient at a base that is 0 only once cast": (
        "With a base of a wider dtype than the result (a float64 1e-300 to a float32 "
        "power), PyTorch tests 'base == 0' on the uncast base but takes ln of the cast one, "
        "0: the exponent's gradient is −inf. Here the base is cast before the op, so the "
        "test sees 0 and the gradient is 0, PyTorch's own value at a base of 0.",
        lambda op, arrays, kw: op == "pow" and _base_vanishes_when_cast(*_arrays(arrays)),
    ),
    "an op without a kernel for the dtype, on an empty tensor": (
        "PyTorch has no integer softmax and no bool matmul, and raises for them, except on "
        "an empty tensor, which never reaches the kernel. Here they raise for every size: "
        "one rule.",
        lambda op, arrays, kw: any(a.size == 0 for a in _arrays(arrays)) and (
            op in ("softmax", "log_softmax", "F_softmin") and _arrays(arrays)[0].dtype.kind != "f"
            or op == "matmul" and all(a.dtype.kind == "b" for a in _arrays(arrays))),
    ),
    "matmul of two dtypes with an empty batch": (
        "PyTorch's batched matmul returns an empty tensor (of the batched operand's dtype) "
        "before it compares the dtypes when the result has no elements; every other "
        "shape raises 'expected m1 and m2 to have the same dtype'. Here that error comes "
        "first for every shape: one rule.",
        lambda op, arrays, kw: op == "matmul" and len({a.dtype for a in _arrays(arrays)}) > 1
        and any(a.size == 0 for a in _arrays(arrays)),
    ),
    "cat skipping a 1-D empty tensor": (
        "PyTorch's cat still skips a tensor of shape (0,) beside tensors of other ranks, a "
        "legacy rule it keeps for old code. Here cat needs equal ranks, like NumPy.",
        lambda op, arrays, kw: op == "cat" and any(
            a.shape == (0,) for a in _arrays(arrays))
        and len({a.ndim for a in _arrays(arrays)}) > 1,
    ),
    "a float tensor raised to a bool tensor": (
        "PyTorch computes the power but its backward then fails (it subtracts 1 from the "
        "bool exponent). Here the bool exponent is promoted to float, as in the forward, "
        "so the gradient exists.",
        lambda op, arrays, kw: op == "pow" and _arrays(arrays)[1].dtype.kind == "b"
        and _arrays(arrays)[0].dtype.kind == "f",
    ),
    "an integer tensor raised to a negative integer tensor": (
        "PyTorch raises for a negative integer scalar exponent but computes a negative "
        "integer tensor exponent (with truncation); NumPy, and so this engine, raises for "
        "both: the same rule for both forms.",
        lambda op, arrays, kw: op == "pow" and all(
            a.dtype.kind in "iub" for a in _arrays(arrays)) and bool(
            (_arrays(arrays)[1] < 0).any()),
    ),
    "two Ellipsis in one index": (
        "PyTorch accepts x[..., ...] as one Ellipsis; NumPy, and so this engine, raises "
        "'an index can only have a single ellipsis'.",
        lambda op, arrays, kw: op == "index" and isinstance(kw.get("key"), tuple)
        and sum(k is Ellipsis for k in kw["key"]) > 1,
    ),
    "logit's gradient at −0": (
        "g / (x(1 − x)) at x = −0 is −inf in PyTorch's vectorised loop and +inf in its "
        "scalar loop (small tensors, tails), so its sign depends on the tensor's size. "
        "Here it is +inf at ±0 for every size.",
        lambda op, arrays, kw: op.startswith("logit") and any(
            a.dtype.kind == "f" and bool((np.signbit(a) & (a == 0)).any())
            for a in _arrays(arrays)),
    ),
    "selu's and celu's gradient at NaN": (
        "They are elu with other constants, and PyTorch's elu kernels give a NaN input the "
        "gradient scale (scalar loop) or NaN (vectorised loop). Here it is the scalar "
        "loop's, at any size, as for elu.",
        lambda op, arrays, kw: op.startswith(("F_selu", "F_celu")) and any(
            a.dtype.kind == "f" and np.isnan(a).any() for a in _arrays(arrays)),
    ),
    "celu's gradient for an α whose reciprocal is inexact": (
        "PyTorch's celu forward uses e^(x·(1/α)) in the input's dtype, but its backward "
        "rounds a constant to float32: for α = 0.3 or 0.7 its float64 gradient is off by "
        "~1e-8 relative (α = 1, 2, 0.5, 3 are exact). Here the gradient is the derivative "
        "of the forward. The tables use α = 1, 2 and 0.5.",
        lambda op, arrays, kw: op.startswith("F_celu") and kw.get("alpha", 1.0) not in (
            0.25, 0.5, 1.0, 2.0, 3.0, 4.0),
    ),
    "the piecewise activations' gradient at NaN, in PyTorch's scalar loop": (
        "PyTorch's hardtanh, relu6, hardswish, hardshrink and softshrink kernels compare "
        "x with their bounds differently in their vectorised loop (tensors of 8 or more "
        "elements) and their scalar loop (smaller tensors, and the tails): a NaN gets "
        "gradient 0 (hardswish: NaN) in one and g in the other. Here it is the vectorised "
        "loop's at any size (tests/modules/test_activations_more.py checks it).",
        lambda op, arrays, kw: op.startswith(("F_hardtanh", "F_relu6", "F_hardswish",
                                              "F_hardshrink", "F_softshrink")) and any(
            a.dtype.kind == "f" and np.isnan(a).any() for a in _arrays(arrays)),
    ),
}


def deviation(op: str, arrays, kw) -> str | None:
    """The name of the documented deviation that covers this case, or None."""
    for name, (_, applies) in DEVIATIONS.items():
        if applies(op, arrays, kw):
            return name
    return None
