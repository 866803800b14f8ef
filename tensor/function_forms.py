"""``torch.matmul(a, b)``, ``torch.argmax(x, dim=1)``, …: the function forms of
Tensor methods, as PyTorch has them. Each is the method, called on its first
argument (a number or array becomes a tensor first)."""

from __future__ import annotations

from .creation import _as_tensor

# the method names PyTorch also exposes as torch.<name>(input, …)
NAMES = ("abs", "acos", "add", "amax", "amin", "arccos", "arcsin", "arctan", "argmax",
         "argmin", "asin", "atan", "clamp", "clip", "cos", "cos_", "cosh", "div", "equal",
         "exp", "expm1", "flatten", "gather", "log", "log10", "log1p", "log2", "log_softmax",
         "logsumexp", "matmul", "max", "mean", "min", "mm", "mul", "norm", "numel", "permute",
         "pow", "relu", "reshape", "rsqrt", "sigmoid", "sin", "sin_", "sinh", "softmax",
         "sqrt", "squeeze", "std", "sub", "sum", "t", "tan", "tan_", "tanh", "transpose",
         "unsqueeze", "var")
# issue #22's reductions, order statistics, counting, elementwise and indexing families
NAMES += ("prod", "cumsum", "cumprod", "topk", "sort", "argsort", "msort", "kthvalue",
          "median", "nanmedian", "mode", "histc", "histogram", "bincount", "unique",
          "unique_consecutive", "erf", "erf_", "logit", "clamp_min", "clamp_max", "lerp",
          "maximum", "minimum", "isclose", "allclose", "all", "any", "index_put",
          "index_put_", "index_add", "scatter_add", "scatter", "nonzero", "masked_fill",
          "sigmoid_", "logit_", "clamp_", "clip_", "atan2", "arctan2")


def _function(name: str):
    def function(input, *args, out=None, **kwargs):
        result = getattr(_as_tensor(input), name)(*args, **kwargs)
        if out is None:
            return result
        if out.shape != result.shape:  # PyTorch resizes; writing into another shape is a bug
            raise RuntimeError(f"{name}: out= has shape {tuple(out.shape)}, the result "
                               f"{tuple(result.shape)}")
        return out.copy_(result)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``torch.{name}(input, …, out=None)``: ``input.{name}(…)``."
    return function


globals().update({name: _function(name) for name in NAMES})
__all__ = list(NAMES)

# issue #22 leftovers: triangles, unbind, the fixed-rank products
_LEFTOVERS = ("bmm", "dot", "ger", "mv", "outer", "reciprocal", "select",
              "tril", "triu", "unbind", "relu_", "exp_")
globals().update({name: _function(name) for name in _LEFTOVERS})
NAMES += _LEFTOVERS
# rounding, the NaN/inf tests and the logical ops (rounding.py)
_ROUNDING = ("floor", "ceil", "round", "trunc", "fix", "frac", "floor_", "ceil_", "round_",
             "trunc_", "fix_", "frac_", "isnan", "isinf", "isposinf", "isneginf", "isfinite",
             "signbit", "logical_and", "logical_or", "logical_xor", "logical_not",
             "remainder", "fmod", "floor_divide")
globals().update({name: _function(name) for name in _ROUNDING})
NAMES += _ROUNDING
__all__ = list(NAMES)
