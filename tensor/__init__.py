"""tensor: a NumPy autograd engine with PyTorch's names and semantics."""

from .function import Function, detect_anomaly  # noqa: I001  (before tensor: they link up)
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor
from .dtypes import bool_, float32, float64, int32, int64, uint8
from .creation import (
    arange,
    cat,
    from_numpy,
    full,
    generator,
    manual_seed,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)
from .gradcheck import GradcheckError, gradcheck

float = float32  # noqa: A001  torch.float is float32
double = float64
long = int64
bool = bool_  # noqa: A001  torch.bool

__all__ = [
    "Function", "GradcheckError", "Tensor", "arange", "bool", "bool_", "cat", "detect_anomaly",
    "double", "enable_grad", "float32", "float64", "from_numpy", "full", "generator",
    "gradcheck", "int32", "int64", "is_grad_enabled", "long", "manual_seed", "no_grad", "ones",
    "ones_like", "rand", "randint", "randn", "randperm", "set_grad_enabled", "stack", "tensor",
    "uint8", "where", "zeros", "zeros_like",
]
