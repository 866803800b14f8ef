"""tensor: a NumPy autograd engine with PyTorch's names and semantics."""

from .function import Function, detect_anomaly  # noqa: I001  (before tensor: they link up)
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor
from . import dtypes as _dtypes
from .device import accelerator, backends, cuda, device
from .dtypes import DType as dtype
from .printing import Size
from .creation import (
    arange,
    cat,
    Generator,
    from_numpy,
    eye,
    full,
    full_like,
    generator,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)
from .functions import *  # noqa: F403  torch.matmul, torch.argmax, … (functions.NAMES)
from .functions import NAMES as _FUNCTION_NAMES
from .compile import CaptureError, compile  # noqa: A004  (torch.compile)
from .gradcheck import GradcheckError, gradcheck
from .serialization import load, save
from . import utils
from ._imports import install as _install_bridge_finder

_install_bridge_finder()

# what users see: dtypes that print as PyTorch's (torch.float32) and work as NumPy's
float32, float64, int32, int64, uint8, bool_ = (
    _dtypes.PUBLIC[_dtypes.np.dtype(n)] for n in
    ("float32", "float64", "int32", "int64", "uint8", "bool"))
float = float32  # noqa: A001  torch.float is float32
double = float64
long = int64
int = int32  # noqa: A001  torch.int
bool = bool_  # noqa: A001  torch.bool

__all__ = [
    "CaptureError", "Function", "Generator", "GradcheckError", "Size", "Tensor", "accelerator",
    "arange", "backends", "bool", "bool_", "cat", "compile", "cuda", "detect_anomaly",
    "device", "double", "dtype", "enable_grad", "eye", "float", "float32", "float64",
    "from_numpy", "full", "full_like", "generator", "gradcheck", "int", "int32", "int64",
    "is_grad_enabled", "load", "long", "manual_seed", "no_grad", "ones", "ones_like", "rand",
    "rand_like", "randint", "randn", "randn_like", "randperm", "save", "set_grad_enabled",
    "stack", "tensor", "uint8", "utils", "where", "zeros", "zeros_like", *_FUNCTION_NAMES,
]


def __getattr__(name):
    """``torch.nn`` and ``torch.optim`` after ``import tensor as torch``: the `nn`
    package and its optimizers, imported on first use (the engine needs neither)."""
    if name in ("nn", "optim"):
        import nn

        return nn if name == "nn" else nn.optim
    raise AttributeError(f"module 'tensor' has no attribute {name!r}")
