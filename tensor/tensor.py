"""`Tensor`: a NumPy array that remembers the op that made it."""

from __future__ import annotations

import weakref

import numpy as np

from . import autograd, dtypes, function
from .device import CPU, device
from .dims import normalize_dims
from .function import _new
from .inplace import InplaceMethods
from .legacy import legacy_array
from .methods import TensorMethods
from .more_math import MoreMathMethods
from .printing import Size, tensor_repr
from .random.methods import RandomMethods
from .reshaping import ReshapingMethods


class Tensor(TensorMethods, InplaceMethods, RandomMethods, ReshapingMethods, MoreMathMethods):
    """An n-dimensional array with reverse-mode autodiff and PyTorch's semantics.

    ``data`` is the underlying ``numpy.ndarray`` (a documented deviation from
    PyTorch, where ``.data`` is a Tensor), ``grad`` is a Tensor or ``None``, and
    ``grad_fn`` is the graph node (a `Function`) of a computed tensor.
    """

    # Every tensor sets the four slots; the rarely-set fields live in the instance
    # dict, created on first write, with class-level defaults: an op's result is
    # then four attribute stores, not seven.
    __slots__ = ("data", "grad", "requires_grad", "_ctx", "__dict__", "__weakref__")
    __array_priority__ = 1000  # so ndarray <op> Tensor defers to Tensor
    _hooks = None  # list of backward hooks
    _retains_grad = False
    _view_of = None  # the base of a view taken while neither had a graph (function.py)

    def __init__(self, *args, dtype=None, requires_grad: bool = False):
        """``torch.Tensor([[1, 2]])`` (float32, the default dtype, even from ints) or
        ``torch.Tensor(2, 3)`` (that shape): PyTorch's legacy constructor, see
        ``legacy.py``. ``dtype=`` and ``requires_grad=`` are this engine's own;
        ``torch.tensor(data)`` is the constructor to teach."""
        self.data = legacy_array(args, dtype)
        self.grad = None
        self._ctx = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(data: np.ndarray, ctx) -> Tensor:
        """Fast path for op results: no checks, no copies."""
        t = _new(Tensor)
        t.data = data
        t.grad = None
        t.requires_grad = ctx is not None
        t._ctx = ctx
        return t

    # ----- properties and conversion ---------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self.data.shape)

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.PUBLIC[self.data.dtype]

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def grad_fn(self):
        if function.rebase is not None:  # a view of a tensor updated in place since
            function.rebase((self,))
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def device(self) -> device:
        return CPU

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self.data.shape)
        return self.data.shape[normalize_dims(dim, self.ndim, "size")[0]]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return self.data.size

    nelement = numel  # PyTorch's older name, still in its tutorials

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def item(self):
        if self.data.size != 1:
            raise RuntimeError(
                f"item: a Tensor with {self.data.size} elements cannot be converted to a scalar"
            )
        return self.data.item()

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError(
                "numpy: can't call numpy() on a Tensor that requires grad; use "
                "tensor.detach().numpy()"
            )
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """A one-element integer tensor used as an index (``items[t]``, ``range(t)``)."""
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            f"index (got dtype {self.data.dtype.name}, shape {tuple(self.shape)})")
        return int(self.data.item())

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (f"{loss:.2f}"); others as their repr,
        and only with an empty spec (as PyTorch)."""
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return object.__format__(self, spec)

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a Tensor with {self.data.size} elements is ambiguous"
            )
        return bool(self.data.item())

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        """NumPy meeting a Tensor. ``array += tensor`` (``p.data += -lr * p.grad``)
        updates the array in place with the tensor's values; ``array + tensor`` is the
        tensor's operator (a Tensor, as before); other NumPy functions see arrays."""
        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        if out is not None:
            out = tuple(o.data if isinstance(o, Tensor) else o for o in out)
            return getattr(ufunc, method)(*arrays, out=out, **kwargs)
        names = _NUMPY_OPERATORS.get(ufunc)
        if names and method == "__call__" and len(inputs) == 2 and not kwargs:
            if inputs[0] is self:
                return getattr(self, names[0])(inputs[1])
            return getattr(self, names[1])(inputs[0])
        return getattr(ufunc, method)(*arrays, **kwargs)

    __hash__ = object.__hash__  # by identity (== is elementwise), in C: dicts of tensors are hot

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return tensor_repr(self)

    # ----- autograd ---------------------------------------------------------------------
    # Accumulate the gradient of this tensor into the ``.grad`` of every leaf; the
    # function itself, not a wrapper around it (one Python frame less per step)
    backward = autograd.engine.backward

    def detach(self) -> Tensor:
        """The same data (shared, like PyTorch) cut off from the graph."""
        return Tensor._make(self.data, None)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self._ctx is not None and not requires_grad:
            raise RuntimeError(
                "requires_grad_: you can only change requires_grad flags of leaf tensors"
            )
        if requires_grad and self.data.dtype.kind != "f":
            raise RuntimeError(
                f"requires_grad_: only floating point tensors can require gradients "
                f"(dtype {self.data.dtype.name})"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf after backward (leaves always keep theirs)."""
        if not self.requires_grad:  # PyTorch's error, word for word
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is None:
            return
        self._retains_grad = True
        self._ctx.out_ref = weakref.ref(self)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned
        Tensor replaces the gradient. Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "doesn't require gradient")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        if self._ctx is not None:
            self._ctx.out_ref = weakref.ref(self)
        return _HookHandle(self._hooks, hook)


# ufunc → (Tensor operator, reflected operator): ``array <op> tensor`` lands here
_NUMPY_OPERATORS = {
    np.add: ("__add__", "__radd__"), np.subtract: ("__sub__", "__rsub__"),
    np.multiply: ("__mul__", "__rmul__"), np.true_divide: ("__truediv__", "__rtruediv__"),
    np.power: ("__pow__", "__rpow__"), np.matmul: ("__matmul__", "__rmatmul__"),
    np.less: ("__lt__", "__gt__"), np.less_equal: ("__le__", "__ge__"),
    np.greater: ("__gt__", "__lt__"), np.greater_equal: ("__ge__", "__le__"),
    np.equal: ("__eq__", "__eq__"), np.not_equal: ("__ne__", "__ne__"),
    np.bitwise_and: ("__and__", "__rand__"), np.bitwise_or: ("__or__", "__ror__"),
    np.bitwise_xor: ("__xor__", "__rxor__"),
}


class _HookHandle:
    def __init__(self, hooks: list, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


function.Tensor = Tensor
function._make = Tensor._make
