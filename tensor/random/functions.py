"""The random functions that make tensors, and the in-place samplers, as
PyTorch's: each takes ``generator=`` and draws what torch's CPU kernel draws."""

from __future__ import annotations

import numpy as np

from .. import dtypes, function
from . import sampling
from .generator import resolve

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


_TORCH_NAMES = {"int64": "Long", "int32": "Int", "uint8": "Byte", "bool": "Bool"}


def is_contiguous(a: np.ndarray) -> bool:
    """Contiguous as PyTorch would see the tensor: row-major, or an array of its own
    in another layout (``Linear`` keeps its weight column-major for speed; in
    PyTorch that weight is an ordinary contiguous tensor)."""
    return a.flags.c_contiguous or (a.base is None and a.flags.f_contiguous)


def visiting_axes(a: np.ndarray) -> tuple:
    """The order in which torch's TensorIterator visits the elements: row-major for a
    contiguous tensor, else the axes from the largest stride to the smallest (a
    transposed view is visited in memory order)."""
    if is_contiguous(a):
        return tuple(range(a.ndim))
    return tuple(sorted(range(a.ndim), key=lambda d: -abs(a.strides[d])))


def fill(a: np.ndarray, draw) -> None:
    """Write ``draw(n, contiguous)`` (values in visiting order) into ``a`` in place."""
    view = a.transpose(visiting_axes(a))
    values = np.asarray(draw(a.size, is_contiguous(a)))
    np.copyto(view, values.reshape(view.shape), casting="unsafe")


def check_float(a: np.ndarray, op: str) -> None:
    if a.dtype not in FLOATS:
        name = _TORCH_NAMES.get(a.dtype.name, a.dtype.name)
        raise NotImplementedError(f"{op}: not implemented for '{name}' (a floating-point "
                                  f"tensor is needed)")


# --- in-place samplers on an array (the Tensor methods call these) --------------------------
def uniform_(a: np.ndarray, low=0.0, high=1.0, generator=None) -> None:
    check_float(a, "uniform_")
    if not low <= high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={low} > to={high}")
    gen = resolve(generator)
    fill(a, lambda n, _: sampling.uniform(gen, n, a.dtype, low, high))


def normal_(a: np.ndarray, mean=0.0, std=1.0, generator=None) -> None:
    check_float(a, "normal_")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    gen = resolve(generator)
    fill(a, lambda n, contiguous: sampling.normal(gen, n, a.dtype, mean, std, contiguous))


def exponential_(a: np.ndarray, lambd=1.0, generator=None) -> None:
    check_float(a, "exponential_")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    gen = resolve(generator)
    fill(a, lambda n, _: sampling.exponential(gen, n, a.dtype, lambd))


def bernoulli_(a: np.ndarray, p=0.5, generator=None) -> None:
    gen = resolve(generator)
    if hasattr(p, "_ctx") or isinstance(p, np.ndarray):
        probs = np.asarray(getattr(p, "data", p))
        if probs.dtype not in FLOATS:
            raise RuntimeError(f"bernoulli_: expected a floating point p, got {probs.dtype}")
        _check_p(probs)
        visited = np.broadcast_to(probs, a.shape).transpose(visiting_axes(a))
        fill(a, lambda n, _: sampling.bernoulli_tensor(gen, np.ascontiguousarray(visited)))
        return
    _check_p(np.asarray(p))
    fill(a, lambda n, _: sampling.bernoulli_scalar(gen, n, float(p)))


def _check_p(p: np.ndarray) -> None:
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError("bernoulli_: expected p to be in [0, 1] (0 <= p <= 1)")


def random_(a: np.ndarray, low=None, high=None, generator=None) -> None:
    """``random_()``, ``random_(to)``, ``random_(from, to)``."""
    gen = resolve(generator)
    if low is None and high is None:
        fill(a, lambda n, _: sampling.random_full(gen, n, a.dtype))
        return
    if high is None:
        low, high = 0, low
    fill(a, lambda n, _: sampling.randint(gen, n, low, high))


# --- functions that make tensors ------------------------------------------------------------
def _tensor(array, requires_grad=False):
    t = function.Tensor._make(array, None)
    return t.requires_grad_(True) if requires_grad else t


def _shape(size) -> tuple:
    size = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    if not all(isinstance(n, (int, np.integer)) and n >= 0 for n in size):
        raise ValueError(f"invalid size {size}: sizes must be non-negative integers")
    return tuple(int(n) for n in size)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """``torch.normal``: from tensors of means and/or stds (randn·std + mean), or
    floats and a ``size`` (``normal_`` of a new tensor)."""
    mean_t, std_t = hasattr(mean, "_ctx"), hasattr(std, "_ctx")
    if not (mean_t or std_t):
        if size is None:
            raise TypeError("normal: give tensors for mean/std, or floats and a size")
        a = np.empty(_shape(size), dtypes.to_dtype(dtype) or dtypes.DEFAULT_FLOAT)
        normal_(a, mean, std, generator)
        return _tensor(a, requires_grad)
    m = mean.data if mean_t else None
    s = std.data if std_t else None
    if s is not None and s.size and (s < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    dt = (m if m is not None else s).dtype
    if dt not in FLOATS:
        raise RuntimeError(f"normal expects floating-point mean and std, got {dt}")
    shape = np.broadcast_shapes(*(x.shape for x in (m, s) if x is not None))
    out = np.empty(shape, dt)
    if s is None:  # normal(tensor, float): normal_(0, std) + mean
        normal_(out, 0.0, std, generator)
        return _tensor(out + m)
    normal_(out, 0.0, 1.0, generator)
    out *= s
    out += m if m is not None else dt.type(mean)
    return _tensor(out)


def bernoulli(input, p=None, *, generator=None):
    """``torch.bernoulli``: 0/1 drawn with the probabilities in ``input`` (or ``p``),
    in ``input``'s dtype."""
    probs = input.data
    out = np.empty(probs.shape, probs.dtype)
    bernoulli_(out, probs if p is None else p, generator)
    return _tensor(out)


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None):
    """Indices drawn from each row of ``input`` (weights, not necessarily normalised)."""
    probs = input.data
    if probs.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape "
                           f"{tuple(probs.shape)}")
    if probs.dtype not in FLOATS:
        raise RuntimeError("multinomial only supports floating-point dtypes for input")
    if num_samples <= 0:
        raise RuntimeError("multinomial: cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > probs.shape[-1]:
        raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples "
                           "without replacement")
    if probs.size and ((probs < 0).any() or not np.isfinite(probs).all()):
        raise RuntimeError("multinomial: invalid multinomial distribution (encountering "
                           "probability entry < 0, infinity or NaN)")
    if (probs.reshape(-1, probs.shape[-1]).sum(-1) <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of "
                           "probabilities <= 0)")
    gen = resolve(generator)
    return _tensor(sampling.multinomial(gen, np.ascontiguousarray(probs), int(num_samples),
                                        bool(replacement)))
