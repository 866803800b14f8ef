"""tensor: a NumPy autograd engine with PyTorch's names and semantics.

Reading order, an afternoon's worth:

1. ``function.py``: `Function`, one op's ``forward`` and ``backward`` side by side,
   and ``apply``, which runs the forward and links the result into the graph. With
   ``ops/unary.py``'s ``Exp`` beside it, that is a whole op, end to end.
2. ``tensor.py``: the `Tensor`, an array with its ``grad`` and the node that made it
   (``function.py`` makes Tensors and ``tensor.py`` is built on it: ``tensor.py``
   hands its class over at its last line).
3. ``autograd/engine.py``: ``backward``, the graph in topological order, each node's
   backward, the gradients gathered per node and written to the leaves' ``.grad``
   (the rest of ``autograd/`` is ``torch.autograd``: ``grad``, ``create_graph=True``,
   custom ``Function``s, ``functional``, the profiler).
4. ``grad_mode.py``: ``no_grad`` and its relatives.
5. ``ops/``: every op, by kind (its ``__init__`` lists them).
6. ``methods.py``, ``shapes.py``, ``reductions.py``, ``inplace.py``: the Tensor's
   operators and methods, the argument checks and dtype promotion in front of the
   ops, and the in-place ops (``add_``, ``x[i] = v``) with their version counter.
7. ``creation.py``, ``random/``, ``dtypes.py``, ``dims.py``, ``device.py``,
   ``printing.py``: making tensors, PyTorch's random numbers bit for bit, dtypes,
   ``dim=`` arguments, devices, PyTorch's printing.

Beside the engine: ``compile/`` (``tensor.compile``: it reaches the engine through
one hook in ``Function.apply``), ``utils/data.py`` (``DataLoader``),
``serialization.py`` (``save``/``load``), ``viz.py`` (graph pictures),
``gradcheck.py``, ``function_forms.py`` (``torch.matmul(a, b)`` and the other
function forms of methods).
"""

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
    from_numpy,
    eye,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)
from .random import Generator, generator, manual_seed
from .random import (  # noqa: I001  torch's random functions and its RNG state
    bernoulli, default_generator, get_rng_state, initial_seed, multinomial, normal, seed,
    set_rng_state,
)
from .creation import empty, empty_like
from .defaults import get_default_device, get_default_dtype, set_default_device, set_default_dtype
from . import return_types
from .function_forms import *  # noqa: F403  torch.matmul, torch.argmax, … (function_forms.NAMES)
from .function_forms import NAMES as _FUNCTION_NAMES
from .compile import CaptureError, compile  # noqa: A004  (torch.compile)
from .gradcheck import GradcheckError, gradcheck
from .serialization import load, save
from . import linalg, utils
from .legacy import (  # noqa: F401  (in __all__ through _LEGACY_NAMES)
    BoolTensor, ByteTensor, DoubleTensor, FloatTensor, IntTensor, LongTensor)
from .legacy import NAMES as _LEGACY_NAMES
from ._imports import install as _install_bridge_finder
from .combining import *  # noqa: F403  torch.split, torch.einsum, … (combining.__all__)
from .combining import __all__ as _COMBINING_NAMES

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
    "is_grad_enabled", "linspace", "load", "logspace", "long", "manual_seed", "no_grad",
    "ones", "ones_like", "rand",
    "rand_like", "randint", "randn", "randn_like", "randperm", "save", "set_grad_enabled",
    "stack", "tensor", "uint8", "utils", "linalg", "where", "zeros", "zeros_like", *_FUNCTION_NAMES,
    "bernoulli", "default_generator", "get_rng_state", "initial_seed", "multinomial", "normal",
    "randint_like", "seed", "set_rng_state",
    "empty", "empty_like", "get_default_device", "get_default_dtype", "set_default_device",
    "set_default_dtype", "return_types",
    *_LEGACY_NAMES, *_COMBINING_NAMES,
]


def __getattr__(name):
    """``torch.nn`` and ``torch.optim`` after ``import tensor as torch``: the `nn`
    package and its optimizers, imported on first use (the engine needs neither)."""
    if name in ("nn", "optim"):
        import nn

        return nn if name == "nn" else nn.optim
    raise AttributeError(f"module 'tensor' has no attribute {name!r}")
