"""PyTorch's legacy constructors: ``torch.Tensor(data)``, ``torch.Tensor(*sizes)``
and the typed ones (``torch.FloatTensor``, ``torch.LongTensor``, …), still in many
tutorials. Unlike ``torch.tensor``, data becomes the given dtype (the default float
for ``torch.Tensor``) whatever it holds, and integers are a shape."""

from __future__ import annotations

import numpy as np

from . import dtypes, function
from .printing import Size


def legacy_array(args: tuple, dtype=None, op: str = "Tensor") -> np.ndarray:
    """The array of ``torch.Tensor(*args)``: no args → empty; ints (or one
    ``Size``/tuple of ints given as sizes) → that shape, uninitialised (zeros here);
    a sequence or array → its values as ``dtype``; a Tensor → its own array."""
    dt = dtypes.to_dtype(dtype) if dtype is not None else dtypes.DEFAULT_FLOAT
    if not args:
        return np.zeros(0, dt)
    if len(args) == 1:
        (data,) = args
        if hasattr(data, "_ctx"):  # a Tensor: the same tensor's array, as PyTorch
            if dtype is not None and data.data.dtype != dt:
                raise TypeError(f"{op}: expected a tensor of dtype {dt.name}, got "
                                f"{data.data.dtype.name}")
            return data.data
        if isinstance(data, Size):  # torch.Tensor(x.shape): sizes, not values
            return _uninitialised(tuple(data), dt, op)
        if isinstance(data, (int, np.integer)) and not isinstance(data, bool):
            return _uninitialised((data,), dt, op)
        if not isinstance(data, (list, tuple, np.ndarray)):
            raise TypeError(f"{op}: data must be a sequence (got {type(data).__name__})")
        values = dtypes.as_array(data)
        if dt.kind in "iu" and values.dtype.kind == "f":  # LongTensor([1.7]) truncates
            values = np.trunc(values)
        return values.astype(dt)  # a copy, as PyTorch copies lists and arrays
    return _uninitialised(args, dt, op)


def _uninitialised(sizes: tuple, dt: np.dtype, op: str) -> np.ndarray:
    for n in sizes:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{op}: sizes must be ints, got {type(n).__name__} in {sizes}")
        if n < 0:
            raise RuntimeError(f"{op}: trying to create tensor with negative dimension {n}: "
                               f"{list(sizes)}")
    # PyTorch leaves the memory as it was; zeros are one valid "uninitialised" content
    # and keep programs that print it by mistake reproducible
    return np.zeros(tuple(int(n) for n in sizes), dt)


class _LegacyType(type):
    """``torch.FloatTensor``: called, it makes a tensor of its dtype; in
    ``isinstance`` it matches a tensor of that dtype (type(x) is still Tensor)."""

    def __call__(cls, *args):
        return function.Tensor(*args, dtype=cls.dtype)  # the class, once tensor.py made it

    def __instancecheck__(cls, obj) -> bool:
        return hasattr(obj, "_ctx") and obj.data.dtype == cls.dtype


def _legacy(name: str, dtype) -> type:
    return _LegacyType(name, (), {"dtype": np.dtype(dtype), "__module__": "tensor"})


FloatTensor = _legacy("FloatTensor", np.float32)
DoubleTensor = _legacy("DoubleTensor", np.float64)
LongTensor = _legacy("LongTensor", np.int64)
IntTensor = _legacy("IntTensor", np.int32)
ByteTensor = _legacy("ByteTensor", np.uint8)
BoolTensor = _legacy("BoolTensor", np.bool_)
NAMES = ("BoolTensor", "ByteTensor", "DoubleTensor", "FloatTensor", "IntTensor", "LongTensor")
