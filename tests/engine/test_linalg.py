"""torch.linalg's norms against PyTorch: every order, dim form and keepdim, on
generated inputs including empty and 0-d ones; values and gradients, or both raise
(the spectral and nuclear norms, which need singular values, raise here only)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensor

torch = pytest.importorskip("torch")

ORDS = [None, 1, -1, math.inf, -math.inf, "fro", 0, 3, 0.5]
SHAPES = [(3, 4), (2, 3, 4), (5,), (), (0, 3)]


def _run(lib, a, fn):
    x = lib.tensor(a, requires_grad=True)
    try:
        y = fn(lib, x)
        if y.requires_grad:
            y.sum().backward()
    except (RuntimeError, IndexError, NotImplementedError) as exc:
        return type(exc)
    # no gradient (the 0-"norm" counts, PyTorch's empty inf-norm is a constant): zeros
    return y.detach().numpy(), np.zeros_like(a) if x.grad is None else x.grad.numpy()


CASES = [(shape, dim) for shape in SHAPES for dim in (None, -1, (0, 1), (-1, -2))
         if not (isinstance(dim, tuple) and len(shape) < 2 or dim == -1 and not shape)]


@pytest.mark.parametrize("shape,dim", CASES)
@pytest.mark.parametrize("ord", ORDS)
@pytest.mark.parametrize("keepdim", [False, True])
def test_linalg_norm_as_torch(shape, dim, ord, keepdim):  # noqa: A002
    a = np.random.default_rng(len(shape) * 31 + ORDS.index(ord)).standard_normal(shape)

    def fn(lib, x):
        return lib.linalg.norm(x, ord=ord, dim=dim, keepdim=keepdim)
    with np.errstate(all="ignore"):
        ours = _run(tensor, a, fn)
    theirs = _run(torch, a, fn)
    if isinstance(theirs, type) or isinstance(ours, type):
        assert isinstance(ours, type) and isinstance(theirs, type), (ours, theirs)
        return
    for o, t in zip(ours, theirs):
        assert o.shape == t.shape
        np.testing.assert_allclose(o, t, rtol=1e-10, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_singular_value_norms_say_so(ord):  # noqa: A002
    with pytest.raises(NotImplementedError, match="singular values"):
        tensor.linalg.matrix_norm(tensor.ones(3, 3), ord=ord)


def test_vector_and_matrix_norm_as_torch():
    a = np.random.default_rng(1).standard_normal((2, 3, 4))
    for name, kw in [("vector_norm", dict(ord=3, dim=(0, 2))), ("vector_norm", {}),
                     ("matrix_norm", dict(ord=-math.inf)), ("matrix_norm", dict(dim=(0, 2)))]:
        ours = getattr(tensor.linalg, name)(tensor.tensor(a), **kw).numpy()
        theirs = getattr(torch.linalg, name)(torch.tensor(a), **kw).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


EMPTY_SHAPES = [(0,), (2, 0), (0, 3), (2, 0, 3), (1, 0)]


@pytest.mark.parametrize("shape", EMPTY_SHAPES)
@pytest.mark.parametrize("ord", [-1, -0.5, math.inf, -math.inf, 0.5, 2, 0])
def test_vector_norm_over_an_empty_dim_raises_as_torch(shape, ord):  # noqa: A002
    """A max, min or negative power over no elements has no value: PyTorch raises for
    those orders, over the whole empty tensor or along an empty dim only."""
    a = np.zeros(shape)
    for dim in [None, *range(-len(shape), len(shape))]:
        def fn(lib, x, dim=dim):
            return lib.linalg.vector_norm(x, ord=ord, dim=dim)
        with np.errstate(all="ignore"):
            ours, theirs = _run(tensor, a, fn), _run(torch, a, fn)
        assert isinstance(ours, type) == isinstance(theirs, type), (dim, ours, theirs)
        if not isinstance(ours, type):
            assert ours[0].shape == theirs[0].shape
            np.testing.assert_array_equal(ours[0], theirs[0])
