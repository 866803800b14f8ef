"""Making tensors: ``tensor``, ``zeros``, ``randn``, …, the global RNG, and the
functions over several tensors (``cat``, ``stack``, ``where``)."""

from __future__ import annotations

import numpy as np

from . import dtypes, function
from .device import check_device
from .ops_nograd import Arange, Full
from .ops_shape import Cat, Where
from .tensor import Tensor

_rng = np.random.default_rng()


def manual_seed(seed: int) -> Generator:
    """Seed the generator behind ``randn``, ``rand``, ``randperm``, init and dropout;
    returns it, as PyTorch returns its default generator."""
    global _rng
    if function.recorder is not None:  # tensor.compile is recording (capture.py)
        function.recorder.unrepeatable("manual_seed()")
    _rng = np.random.default_rng(seed)
    default_generator._seed, default_generator.rng = int(seed), _rng
    return default_generator


def generator() -> np.random.Generator:
    return _rng


class Generator:
    """``torch.Generator``: its own seedable stream, for ``DataLoader(shuffle=True,
    generator=…)`` and ``random_split`` (``Generator().manual_seed(42)``)."""

    def __init__(self, device="cpu"):
        check_device(device)
        self.manual_seed(int(np.random.SeedSequence().entropy % 2**63))

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def __repr__(self) -> str:  # PyTorch's: <torch._C.Generator object at 0x…>
        return f"<tensor.Generator object at {id(self):#x}>"


default_generator = Generator.__new__(Generator)  # the global stream, as returned by manual_seed
default_generator._seed, default_generator.rng = 0, _rng


def as_array(data, dtype=None, copy: bool = False) -> np.ndarray:
    """``data`` as an array of a supported dtype, inferred like ``torch.tensor``."""
    dtype = dtypes.to_dtype(dtype)
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        target = dtype or dtypes.infer_dtype(data)
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
        dtype = dtypes.DEFAULT_FLOAT if arr.dtype.kind == "f" else dtypes.infer_dtype(arr)
    if arr.dtype.kind == "u" and arr.dtype.itemsize == 8:  # Python ints ≥ 2⁶³
        _check_fits(arr, dtypes.int64)
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


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data``."""
    check_device(device)
    return Tensor(as_array(data, dtype, copy=True), requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (its dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(array).__name__})")
    if array.dtype not in dtypes.SUPPORTED_SET:
        dtypes.to_dtype(array.dtype, "from_numpy")  # raises, naming the dtype
    return Tensor._make(array, None)


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"invalid size {tuple(size)}: sizes must be non-negative integers")
    return tuple(int(n) for n in size)


def _new(array, requires_grad) -> Tensor:
    t = Tensor._make(array, None)
    return t.requires_grad_(True) if requires_grad else t


def _full(shape, fill_value, dtype, requires_grad) -> Tensor:
    # an op (Full) rather than an array: tensor.compile records it
    t = Full.apply(shape=shape, fill_value=fill_value, dtype=dtype)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device)
    return _full(_size(size), 0, dtypes.to_dtype(dtype) or dtypes.DEFAULT_FLOAT, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device)
    return _full(_size(size), 1, dtypes.to_dtype(dtype) or dtypes.DEFAULT_FLOAT, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device)
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


def rand_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return rand(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def randn_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return randn(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None,
        requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix (m = n by default)."""
    check_device(device)
    m = n if m is None else m
    _size((n, m))
    return _new(np.eye(n, m, dtype=dtypes.to_dtype(dtype) or dtypes.DEFAULT_FLOAT),
                requires_grad)


def randn(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device)
    dtype = dtypes.to_dtype(dtype) or dtypes.DEFAULT_FLOAT
    return _new(_rng.standard_normal(_size(size), dtype=dtype), requires_grad)


def rand(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    check_device(device)
    dtype = dtypes.to_dtype(dtype) or dtypes.DEFAULT_FLOAT
    return _new(_rng.random(_size(size), dtype=dtype), requires_grad)


def randint(low, high=None, size=None, dtype=None, device=None) -> Tensor:
    """Integers in [low, high); ``randint(high, size)`` as PyTorch's short form."""
    check_device(device)
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: missing the required argument 'size'")
    return Tensor._make(_rng.integers(low, high, _size((size,)),
                                      dtype=dtypes.to_dtype(dtype) or dtypes.int64), None)


def randperm(n: int, dtype=None, device=None) -> Tensor:
    check_device(device)
    return Tensor._make(_rng.permutation(n).astype(dtypes.to_dtype(dtype) or dtypes.int64),
                        None)


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
    from .ops import normalize_dims

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
    from .ops import normalize_dims

    (d,) = normalize_dims(dim, tensors[0].ndim + 1, "stack")
    return cat([t.unsqueeze(d) for t in tensors], dim=d)


def where(condition, input, other) -> Tensor:
    """``input`` where ``condition`` holds, else ``other`` (gradient flows to both)."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != dtypes.bool_:
        raise TypeError(f"where: expected condition to be a boolean tensor, got {cond.dtype}")
    a, b = _as_tensor(input), _as_tensor(other)
    dt = dtypes.result_type(a.dtype, b.dtype, a.ndim > 0, b.ndim > 0)
    return Where.apply(a.to(dt), b.to(dt), cond=cond)


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(as_array(x))


def _same_dtype(tensors: list, op: str) -> list:
    dts = {t.dtype for t in tensors}
    if len(dts) <= 1:
        return tensors
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = dtypes.result_type(dt, t.dtype)
    return [t.to(dt) for t in tensors]
