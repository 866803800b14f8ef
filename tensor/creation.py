"""Making tensors: ``tensor``, ``zeros``, ``randn``, …, and the functions over
several tensors (``cat``, ``stack``, ``where``). The generators are ``random.py``'s."""

from __future__ import annotations

import functools

import numpy as np

from . import dtypes
from .device import check_device
from .dims import normalize_dims
from .dtypes import as_array
from .ops.nograd import Arange, Full, Linspace
from .ops.shape import Cat, Stack, Where
from .random import resolve, sampling
from .random.functions import normal_
from .tensor import Tensor


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data``."""
    check_device(device)
    t = Tensor._make(as_array(data, dtype, copy=True), None)
    return t.requires_grad_(True) if requires_grad else t


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (its dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(array).__name__})")
    if array.dtype not in dtypes.SUPPORTED_SET:
        dtypes.to_dtype(array.dtype, "from_numpy")  # raises, naming the dtype
    return Tensor._make(array, None)


def size_keyword(fn):
    """Let ``fn(*size, …)`` take its shape as ``size=`` too, as PyTorch's factories do
    (``torch.randn(size=(2, 3))``)."""
    @functools.wraps(fn)
    def factory(*size, **kwargs):
        if "size" in kwargs:
            if size:
                raise TypeError(f"{fn.__name__}() got multiple values for argument 'size'")
            size = (kwargs.pop("size"),)
        return fn(*size, **kwargs)
    return factory


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"invalid size {tuple(size)}: sizes must be non-negative integers")
    return tuple(int(n) for n in size)


def _leaf(array, requires_grad) -> Tensor:
    t = Tensor._make(array, None)
    return t.requires_grad_(True) if requires_grad else t


def _full(shape, fill_value, dtype, requires_grad) -> Tensor:
    # an op (Full) rather than an array: tensor.compile records it
    t = Full.apply(shape=shape, fill_value=fill_value, dtype=dtype)
    return t.requires_grad_(True) if requires_grad else t


@size_keyword
def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device)
    return _full(_size(size), 0, dtypes.to_dtype(dtype) or dtypes.DEFAULT_FLOAT, requires_grad)


@size_keyword
def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device)
    return _full(_size(size), 1, dtypes.to_dtype(dtype) or dtypes.DEFAULT_FLOAT, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    dtype = dtypes.to_dtype(dtype) or as_array(fill_value).dtype
    return _full(_size((size,)), fill_value, dtype, requires_grad)


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, device=None,
              requires_grad: bool = False) -> Tensor:
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device,
                requires_grad=requires_grad)


def rand_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False,
              generator=None) -> Tensor:
    return rand(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad,
                generator=generator)


def randn_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False,
               generator=None) -> Tensor:
    return randn(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad,
                 generator=generator)


def randint_like(t: Tensor, low=0, high=None, dtype=None, device=None,
                 generator=None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, t.shape, dtype=dtype or t.dtype, device=device,
                   generator=generator)


def eye(n: int, m: int | None = None, dtype=None, device=None,
        requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix (m = n by default)."""
    check_device(device)
    m = n if m is None else m
    _size((n, m))
    return _leaf(np.eye(n, m, dtype=dtypes.to_dtype(dtype) or dtypes.DEFAULT_FLOAT),
                requires_grad)


def _float_dtype(dtype, op: str) -> np.dtype:
    dt = dtypes.to_dtype(dtype) or dtypes.DEFAULT_FLOAT
    if dt.kind != "f":
        raise RuntimeError(f"{op}: a floating-point dtype is needed, got {dt.name}")
    return dt


@size_keyword
def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples, as PyTorch draws them from the same seed."""
    check_device(device)
    a = np.empty(_size(size), _float_dtype(dtype, "randn"))
    normal_(a, 0.0, 1.0, generator)
    return _leaf(a, requires_grad)


@size_keyword
def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1), as PyTorch draws them from the same seed."""
    check_device(device)
    shape = _size(size)
    dt = _float_dtype(dtype, "rand")
    values = sampling.uniform01(resolve(generator), int(np.prod(shape)), dt)
    return _leaf(values.reshape(shape), requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Integers in [low, high); ``randint(high, size)`` as PyTorch's short form."""
    check_device(device)
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: missing the required argument 'size'")
    shape = _size((size,))
    values = sampling.randint(resolve(generator), int(np.prod(shape)), low, high)
    dt = dtypes.to_dtype(dtype) or dtypes.int64
    return _leaf(values.reshape(shape).astype(dt), requires_grad)


def randperm(n: int, *, generator=None, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0 … n−1, PyTorch's for the same seed."""
    check_device(device)
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    perm = sampling.randperm(resolve(generator), int(n))
    return _leaf(perm.astype(dtypes.to_dtype(dtype) or dtypes.int64), requires_grad)


def linspace(start, end, steps: int, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` values from ``start`` to ``end``, both included, as PyTorch computes them."""
    check_device(device)
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps!r}")
    dtype = dtypes.to_dtype(dtype) or dtypes.DEFAULT_FLOAT
    t = Linspace.apply(start=float(start), end=float(end), steps=int(steps), dtype=dtype)
    return t.requires_grad_(True) if requires_grad else t


def logspace(start, end, steps: int, base: float = 10.0, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """``base`` to the power of ``linspace(start, end, steps)``."""
    exponents = linspace(start, end, steps, dtype=dtypes.float64, device=device)
    t = tensor(np.power(float(base), exponents.data), dtype=dtype or dtypes.DEFAULT_FLOAT)
    return t.requires_grad_(True) if requires_grad else t


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if is_int else dtypes.DEFAULT_FLOAT
    t = Arange.apply(start=start, end=end, step=step, dtype=dtypes.to_dtype(dtype))
    return t.requires_grad_(True) if requires_grad else t


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim."""
    tensors = _same_dtype([_as_tensor(t) for t in tensors], "cat")
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    # the rank that counts is a tensor's that is not a legacy (0,) one, which cat skips
    rank = next((t.ndim for t in tensors if t.shape != (0,)), tensors[0].ndim)
    (dim,) = normalize_dims(dim, rank, "cat")
    return Cat.apply(*tensors, dim=dim)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors along a new dim."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise RuntimeError(f"stack: expects each tensor to be equal size, got {sorted(shapes)}")
    (d,) = normalize_dims(dim, tensors[0].ndim + 1, "stack")
    return Stack.apply(*_same_dtype(tensors, "stack"), dim=d)  # one node, as PyTorch's


def where(condition, input=None, other=None) -> Tensor:
    """``input`` where ``condition`` holds, else ``other`` (gradient flows to both).
    ``where(condition)`` alone: ``condition.nonzero(as_tuple=True)``."""
    if input is None and other is None:
        return _as_tensor(condition).nonzero(as_tuple=True)
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != dtypes.bool_:
        raise TypeError(f"where: expected condition to be a boolean tensor, got {cond.dtype}")
    a, b = _operand(input), _operand(other)
    dt = dtypes.result_type(a.dtype, b.dtype, a.ndim > 0, b.ndim > 0)
    return Where.apply(a.to(dt), b.to(dt), cond=cond)


def _operand(x) -> Tensor:
    """A tensor as it is; a number as a 0-d tensor made by an op (Full), so that
    tensor.compile records it (``torch.where(mask, x, 0.0)``)."""
    if isinstance(x, Tensor) or np.ndim(x):
        return _as_tensor(x)
    array = as_array(x)
    return Full.apply(shape=(), fill_value=array.item(), dtype=array.dtype)


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._make(as_array(x), None)


def _same_dtype(tensors: list, op: str) -> list:
    dts = {t.dtype for t in tensors}
    if len(dts) <= 1:
        return tensors
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = dtypes.result_type(dt, t.dtype)
    return [t.to(dt) for t in tensors]


@size_keyword
def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor whose values are not set (here: zeros, NumPy gives no cheaper memory)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return zeros_like(t, dtype=dtype, device=device, requires_grad=requires_grad)
