"""The defaults PyTorch lets a program change: ``set_default_dtype`` (the dtype of
new float tensors and of Python floats mixed with integer tensors) and
``set_default_device`` (here only the CPU, the one device there is)."""

from __future__ import annotations

from . import dtypes
from .device import CPU, device


def set_default_dtype(d) -> None:
    """Make ``d`` (float32 or float64) the dtype of new floating point tensors."""
    dt = dtypes.to_dtype(d, "set_default_dtype")
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type, got {dtypes.PUBLIC[dt]}")
    dtypes.DEFAULT_FLOAT = dt


def get_default_dtype():
    """The dtype of new floating point tensors (torch.float32 unless changed)."""
    return dtypes.PUBLIC[dtypes.DEFAULT_FLOAT]


def set_default_device(dev) -> None:
    """Accept the CPU (or None, PyTorch's reset); any other device is a clear error:
    this engine has only the CPU."""
    if dev is not None:
        device(dev)  # raises for cuda, mps, …, naming the device


def get_default_device():
    return CPU
