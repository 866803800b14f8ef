"""Dtypes and PyTorch's type-promotion rules for the dtypes this engine supports.

Inside the engine a dtype is a ``numpy.dtype``. What users see (``x.dtype``,
``tensor.float32``) is a `DType` (``tensor.dtype``) that wraps one: it prints as PyTorch's
(``torch.float32``), and NumPy takes it wherever it takes a dtype, so
``x.dtype == tensor.float32``, ``x.numpy().dtype == tensor.float32`` and
``np.zeros(3, x.dtype)`` all work.
"""

from __future__ import annotations

import numpy as np

float32 = np.dtype("float32")
float64 = np.dtype("float64")
int64 = np.dtype("int64")
int32 = np.dtype("int32")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")


class DType:
    """A user-facing dtype: PyTorch's repr and attributes over a ``numpy.dtype``
    (NumPy reads the ``dtype`` attribute of any object it is given as a dtype)."""

    __slots__ = ("dtype",)

    def __init__(self, np_dtype: np.dtype):
        self.dtype = np_dtype

    def __repr__(self) -> str:
        name = "bool" if self.dtype.kind == "b" else self.dtype.name
        return f"torch.{name}"  # the text PyTorch prints, which tutorials show beside code

    def __eq__(self, other) -> bool:
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:  # as the numpy.dtype's, so either finds a dict entry
        return hash(self.dtype)

    def __getattr__(self, name):  # .name, .kind, .itemsize, … of the numpy.dtype
        return getattr(self.dtype, name)

    @property
    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_signed(self) -> bool:
        return self.dtype.kind in "fi"


SUPPORTED = (float32, float64, int64, int32, uint8, bool_)
DEFAULT_FLOAT = float32
SUPPORTED_SET = frozenset(SUPPORTED)
PUBLIC = {dt: DType(dt) for dt in SUPPORTED}  # numpy.dtype → the one `DType` users see


def _constant(value, dtype) -> np.ndarray:
    a = np.full((), value, dtype)
    a.flags.writeable = False
    return a


# 0-d constants of each dtype: NumPy 2 converts a Python scalar operand on every call,
# which costs more than the arithmetic of a small array (np.maximum(x, ZERO[x.dtype])
# runs in half the instructions of np.maximum(x, 0) on a small array).
ZERO = {dt: _constant(0, dt) for dt in SUPPORTED}
ONE = {dt: _constant(1, dt) for dt in SUPPORTED}

# float64 is a synonym a PyTorch user may type; "double"/"long" mirror torch's aliases.
_ALIASES = {"float": float32, "double": float64, "long": int64, "int": int32, "bool": bool_}


def to_dtype(dtype, op: str = "tensor") -> np.dtype:
    """Normalise ``dtype`` (np.dtype, numpy type, or name) and reject what is not supported."""
    if dtype is None:
        return None
    if isinstance(dtype, np.dtype) and dtype in SUPPORTED_SET:
        return dtype
    if type(dtype) is DType:
        return dtype.dtype
    if isinstance(dtype, str) and dtype in _ALIASES:
        return _ALIASES[dtype]
    if dtype is bool:
        return bool_
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: unknown dtype {dtype!r}") from None
    if dt not in SUPPORTED:
        names = ", ".join(d.name for d in SUPPORTED)
        raise TypeError(f"{op}: unsupported dtype {dt.name} (supported: {names})")
    return dt


def infer_dtype(array: np.ndarray, op: str = "tensor") -> np.dtype:
    """The dtype torch.tensor() would pick for data that arrived as ``array``."""
    kind = array.dtype.kind
    if kind == "f":
        return array.dtype if array.dtype in (float32, float64) else to_dtype(array.dtype, op)
    if kind == "i" and array.dtype.itemsize == 8 or kind == "b" or array.dtype in SUPPORTED:
        return array.dtype
    if kind in "iu":
        return int64
    return to_dtype(array.dtype, op)


def category(dt: np.dtype) -> int:
    """PyTorch's dtype categories: bool 0 < integer 1 < floating point 2."""
    return 0 if dt.kind == "b" else 2 if dt.kind == "f" else 1


def result_type(a: np.dtype, b: np.dtype, a_dim: bool = True, b_dim: bool = True) -> np.dtype:
    """PyTorch's promotion: a higher category wins; within a category, dimensioned
    tensors outrank zero-dimensional ones, which outrank Python scalars
    (``a_dim``/``b_dim`` say whether each operand has dimensions)."""
    if a == b:
        return a
    ca, cb = category(a), category(b)
    if ca != cb:
        return a if ca > cb else b
    if a_dim != b_dim:
        return a if a_dim else b
    return np.promote_types(a, b)


def scalar_dtype(value, other: np.dtype) -> np.dtype:
    """The dtype a Python scalar takes when combined with a tensor of dtype ``other``."""
    if isinstance(value, bool):
        kind = 0
    elif isinstance(value, (int, np.integer)):
        kind = 1
    else:
        kind = 2
    if kind <= category(other):
        return other
    return DEFAULT_FLOAT if kind == 2 else int64


def scalar_array(value, dtype: np.dtype, op: str) -> np.ndarray:
    """A Python number as a 0-d array of ``dtype``. Integers wrap into a narrower
    integer dtype as in PyTorch (uint8 + (−3) is uint8 + 253), but a number beyond
    int64 raises rather than wrapping."""
    if isinstance(value, int) and not isinstance(value, bool) and not (
            -(2**63) <= value < 2**63):
        raise RuntimeError(f"{op}: value {value} cannot be converted to type int64 without "
                           "overflow")
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(value).astype(dtype)


def as_array(data, dtype=None, copy: bool = False) -> np.ndarray:
    """``data`` as an array of a supported dtype, inferred like ``torch.tensor``."""
    dtype = to_dtype(dtype)
    if hasattr(data, "_ctx"):  # a Tensor (this module is below tensor.py)
        data = data.data
    if isinstance(data, np.ndarray):
        target = dtype or infer_dtype(data)
        if target.kind in "iu" and data.dtype.kind in "iu":
            _check_fits(data, target)
        if copy or target != data.dtype:
            return np.array(data, dtype=target)
        return data
    try:
        arr = np.array(data)
    except ValueError as exc:
        kind = type(data).__name__
        raise ValueError(f"tensor: cannot make a tensor from {kind}: {exc}") from None
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise TypeError(f"tensor: cannot make a tensor from data of type {type(data).__name__}")
    if dtype is None:
        dtype = DEFAULT_FLOAT if arr.dtype.kind == "f" else infer_dtype(arr)
    if arr.dtype.kind == "u" and arr.dtype.itemsize == 8:  # Python ints ≥ 2⁶³
        _check_fits(arr, int64)
    return arr.astype(dtype, copy=False)


def _check_fits(data: np.ndarray, target: np.dtype) -> None:
    """Integers that would wrap in ``target`` raise instead (PyTorch: overflow)."""
    if data.size and data.dtype.itemsize >= target.itemsize and data.dtype != target:
        info = np.iinfo(target)
        lo, hi = data.min(), data.max()
        if lo < info.min or hi > info.max:
            bad = hi if hi > info.max else lo
            raise OverflowError(f"tensor: value {bad} does not fit in {target.name} "
                                "(overflow)")
