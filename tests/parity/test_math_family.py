"""The names a learner meets after the basics (issue #22's first families): the
elementwise math beyond exp/log, linspace and logspace, nelement, and NumPy's
axis=/keepdims= on reductions, each against PyTorch. Values and gradients of the
math ops are also in the op table (tests/op_table.py: gradcheck and torch)."""

from __future__ import annotations

import numpy as np
import pytest

import tensor

torch = pytest.importorskip("torch")

MATH = ["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "log2", "log10",
        "log1p", "expm1", "rsqrt", "arcsin", "arccos", "arctan"]


@pytest.mark.parametrize("name", MATH)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_math_functions_methods_and_in_place_forms_as_torch(name, dtype):
    values = np.array([[0.1, 0.5, 0.9], [0.25, 0.75, 0.3]]) * (3 if dtype == "int64" else 1)
    ours, theirs = tensor.tensor(values.astype(dtype)), torch.tensor(values.astype(dtype))
    for a, b in ((getattr(ours, name)(), getattr(theirs, name)()),
                 (getattr(tensor, name)(ours), getattr(torch, name)(theirs))):
        assert a.dtype.name == str(b.dtype).replace("torch.", "")
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=2e-6, equal_nan=True)
    if dtype != "int64":
        getattr(ours, f"{name}_")()
        getattr(theirs, f"{name}_")()
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-6, equal_nan=True)
    else:
        with pytest.raises(RuntimeError):
            getattr(ours, f"{name}_")()


@pytest.mark.parametrize("start,end,steps", [(0, 1, 5), (-3, 7, 11), (0, 2 * np.pi, 100),
                                             (1.5, -2.25, 17), (0, 1, 1), (0, 1, 0),
                                             (2, 2, 4), (0, 10, 1000)])
@pytest.mark.parametrize("dtype", [None, "float64"])
def test_linspace_and_logspace_as_torch(start, end, steps, dtype):
    ours = tensor.linspace(start, end, steps, dtype=dtype and getattr(tensor, dtype))
    theirs = torch.linspace(start, end, steps, dtype=dtype and getattr(torch, dtype))
    assert ours.shape == theirs.shape and ours.dtype.name == str(theirs.dtype)[6:]
    # PyTorch's vectorised kernel may round the last bit differently (README)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(tensor.logspace(start / 10, end / 10, steps).numpy(),
                               torch.logspace(start / 10, end / 10, steps).numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "argmax", "argmin",
                                  "all", "any"])
def test_reductions_take_numpys_axis_and_keepdims_as_torch(name):
    x = np.arange(24.0).reshape(2, 3, 4) % 5
    for kw in ({"axis": 1}, {"axis": -1, "keepdims": True}, {"dim": 0, "keepdims": True}):
        a, b = getattr(tensor.tensor(x), name)(**kw), getattr(torch.tensor(x), name)(**kw)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert tensor.ones(3, 4).nelement() == torch.ones(3, 4).nelement() == 12


@pytest.mark.parametrize("name,kw", [
    ("var", {}), ("var", {"dim": 1}), ("var", {"dim": 0, "unbiased": False}),
    ("var", {"dim": (0, 1), "correction": 0, "keepdim": True}),
    ("var", {"dim": 1, "correction": 2}),
    ("std", {}), ("std", {"dim": -1, "keepdim": True}), ("norm", {}),
    ("norm", {"p": 1, "dim": 1}),
    ("norm", {"p": float("inf"), "dim": 0}), ("norm", {"p": -float("inf")}),
    ("norm", {"p": 3, "dim": 1, "keepdim": True}), ("logsumexp", {"dim": 1}),
    ("logsumexp", {"dim": (0, 1), "keepdim": True}),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_statistics_values_and_gradients_as_torch(name, kw, dtype):
    x = np.random.default_rng(len(name)).standard_normal((3, 4)).astype(dtype)
    ours, theirs = tensor.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    a, b = getattr(ours, name)(**kw), getattr(theirs, name)(**kw)
    assert a.shape == tuple(b.shape) and a.dtype.name == str(b.dtype)[6:]
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5)
    a.sum().backward()
    b.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(getattr(tensor, name)(tensor.tensor(x), **kw).numpy(),
                               getattr(torch, name)(torch.tensor(x), **kw).numpy(), rtol=1e-5)


def test_statistics_edges_as_torch():
    rows = [[-np.inf, -np.inf], [np.inf, 1.0], [0.0, 0.0]]
    np.testing.assert_array_equal(tensor.tensor(rows).logsumexp(1).numpy(),
                                  torch.tensor(rows).logsumexp(1).numpy())
    assert tensor.tensor([[0.0, 2.0, 0.0]]).norm(p=0).item() == 1.0
    zeros, tzeros = tensor.zeros(2, 3, requires_grad=True), torch.zeros(2, 3, requires_grad=True)
    zeros.norm(dim=1).sum().backward()
    tzeros.norm(dim=1).sum().backward()
    np.testing.assert_array_equal(zeros.grad.numpy(), tzeros.grad.numpy())  # 0, not NaN
    with pytest.raises(RuntimeError, match="floating point"):
        tensor.tensor([1, 2, 3]).var()


@pytest.mark.parametrize("call", ["var", "std", "norm", "logsumexp", "sum", "amax",
                                  "linalg.vector_norm"])
@pytest.mark.parametrize("shape, dims", [((), (0, -1)), ((2, 3), (1, -1)), ((2, 3), (0, 0))])
def test_a_dim_named_twice_raises_as_torch(call, shape, dims):
    """0 and −1 name the one dim of a 0-d tensor: PyTorch raises for every reduction
    (var, std, norm and logsumexp ran on a 0-d tensor; found by the op fuzzer)."""
    def run(lib):
        x = lib.ones(shape)
        fn = lib.linalg.vector_norm if call.startswith("linalg") else getattr(lib, call)
        try:
            fn(x, dim=dims)
        except RuntimeError:
            return "RuntimeError"
        return "ran"

    assert run(tensor) == run(torch) == "RuntimeError"
