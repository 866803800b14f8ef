"""The activation layers after the basics (Hardtanh … GLU) against torch.nn: repr for
generated arguments, outputs and gradients on generated inputs, in-place updates,
the errors, and the gradients at NaN of PyTorch's vectorised kernels (its scalar
loop differs, tests/deviations.py). The functional forms are in the fuzzers' tables
(tests/fuzz/test_fuzz_torch.py, tests/op_table.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nn
import nn.functional as F
import tensor

torch = pytest.importorskip("torch")
TN, TF = torch.nn, torch.nn.functional

# name -> (module from the nn package `m` and generated arguments `a`)
LAYERS = {
    "Hardtanh": lambda m, a: m.Hardtanh(-abs(a[0]) - 0.1, abs(a[1]) + 0.1),
    "Hardtanh_inplace": lambda m, a: m.Hardtanh(a[0] - 3, a[1] + 3, True),
    "ReLU6": lambda m, a: m.ReLU6(),
    "ReLU6_inplace": lambda m, a: m.ReLU6(inplace=True),
    "LogSigmoid": lambda m, a: m.LogSigmoid(),
    "Softmin": lambda m, a: m.Softmin(dim=-1),
    "Softmin_0": lambda m, a: m.Softmin(0),
    "Hardswish": lambda m, a: m.Hardswish(),
    "Hardswish_inplace": lambda m, a: m.Hardswish(inplace=True),
    "Hardsigmoid": lambda m, a: m.Hardsigmoid(True),
    "Mish": lambda m, a: m.Mish(),
    "Mish_inplace": lambda m, a: m.Mish(True),
    "SELU": lambda m, a: m.SELU(),
    "SELU_inplace": lambda m, a: m.SELU(inplace=True),
    "CELU": lambda m, a: m.CELU(),
    "CELU_alpha": lambda m, a: m.CELU(2.0 ** round(a[0]), inplace=a[1] > 0),
    "Softsign": lambda m, a: m.Softsign(),
    "Tanhshrink": lambda m, a: m.Tanhshrink(),
    "Threshold": lambda m, a: m.Threshold(a[0], a[1]),
    "Threshold_int": lambda m, a: m.Threshold(1, 20, inplace=True),
    "Hardshrink": lambda m, a: m.Hardshrink(),
    "Hardshrink_lambd": lambda m, a: m.Hardshrink(abs(a[0])),
    "Softshrink": lambda m, a: m.Softshrink(),
    "Softshrink_lambd": lambda m, a: m.Softshrink(lambd=abs(a[1])),
    "GLU": lambda m, a: m.GLU(),
    "GLU_dim": lambda m, a: m.GLU(dim=0),
}

args = st.tuples(st.floats(-3, 3), st.floats(-3, 3))
# even sizes on every axis, so that GLU can halve any of them
inputs = st.sampled_from(["float32", "float64"]).flatmap(lambda dt: hnp.arrays(
    np.dtype(dt), hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4).map(
        lambda s: tuple(2 * (d // 2) for d in s)),
    elements=st.one_of(st.floats(-8, 8, width=32),
                       st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 3.0, -3.0, 6.0]))))


@pytest.mark.parametrize("name", sorted(LAYERS))
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(a=args, x=inputs)
def test_layers_match_torch_nn(name, a, x):
    """Same repr, outputs and input gradients as torch.nn's layer, on a non-leaf input
    (an in-place layer updates it, on both sides)."""
    ours, theirs = LAYERS[name](nn, a), LAYERS[name](TN, a)
    assert repr(ours) == repr(theirs)
    xo = tensor.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    with np.errstate(all="ignore"):
        yo = ours(xo * 1)
    yt = theirs(xt * 1)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-6,
                               atol=1e-6, equal_nan=True)
    w = np.cos(np.arange(yo.numel())).reshape(yo.shape)
    (yo * tensor.tensor(w, dtype=yo.dtype)).sum().backward()
    (yt * torch.tensor(w, dtype=yt.dtype)).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["Hardtanh", "ReLU6_inplace", "Threshold_int"])
@given(x=hnp.arrays(np.int64, hnp.array_shapes(max_dims=2, max_side=4),
                    elements=st.integers(-10, 10)))
@settings(max_examples=20, deadline=None, derandomize=True, database=None)
def test_integer_inputs_keep_their_dtype(name, x):
    got = LAYERS[name](nn, (0.5, 1.5))(tensor.tensor(x))
    want = LAYERS[name](TN, (0.5, 1.5))(torch.tensor(x))
    assert got.dtype.name == str(want.dtype).split(".")[-1]
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_inplace_updates_the_input_and_refuses_a_leaf():
    x = np.array([-2.0, -0.5, 0.0, 0.7, 4.0])
    for name in ("Hardtanh_inplace", "ReLU6_inplace", "Hardswish_inplace", "Mish_inplace",
                 "SELU_inplace", "Threshold_int"):
        ours, theirs = LAYERS[name](nn, (0.5, 1.5)), LAYERS[name](TN, (0.5, 1.5))
        to, tt = tensor.tensor(x), torch.tensor(x)
        assert ours(to) is to and theirs(tt) is tt
        np.testing.assert_allclose(to.numpy(), tt.numpy(), rtol=1e-12)
        with pytest.raises(RuntimeError, match="leaf Variable"):
            ours(tensor.tensor(x, requires_grad=True))
        with pytest.raises(RuntimeError, match="leaf Variable"):
            theirs(torch.tensor(x, requires_grad=True))


# NaN beside the bounds, in tensors long enough for PyTorch's vectorised loop
NAN_CASES = {
    "hardtanh": lambda lib, x: _F(lib).hardtanh(x),
    "relu6": lambda lib, x: _F(lib).relu6(x),
    "hardswish": lambda lib, x: _F(lib).hardswish(x),
    "hardsigmoid": lambda lib, x: _F(lib).hardsigmoid(x),
    "threshold": lambda lib, x: _F(lib).threshold(x, 0.5, 2.0),
    "hardshrink": lambda lib, x: _F(lib).hardshrink(x),
    "softshrink": lambda lib, x: _F(lib).softshrink(x),
    "logsigmoid": lambda lib, x: _F(lib).logsigmoid(x),
    "mish": lambda lib, x: _F(lib).mish(x),
    "softsign": lambda lib, x: _F(lib).softsign(x),
    "tanhshrink": lambda lib, x: _F(lib).tanhshrink(x),
}


def _F(lib):
    return TF if lib is torch else F


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(NAN_CASES))
def test_gradient_at_nan_and_infinities_as_the_vectorised_kernel(name, dtype):
    special = [np.nan, np.inf, -np.inf, -3.0, 3.0, 0.5, -0.5, 1.0, -1.0, 6.0, 0.0]
    x = np.repeat(np.array(special, dtype), 16)
    xo, xt = tensor.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with np.errstate(all="ignore"):
        NAN_CASES[name](tensor, xo).sum().backward()
    NAN_CASES[name](torch, xt).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy()[::16], xt.grad.numpy()[::16],
                               rtol=1e-5 if dtype == "float32" else 1e-12, equal_nan=True,
                               err_msg=str(special))


ERRORS = {
    "hardtanh_bounds": (lambda lib, x: _F(lib).hardtanh(x, 1.0, -1.0), ValueError),
    "hardtanh_bool": (lambda lib, x: _F(lib).hardtanh(x > 0), RuntimeError),
    "hardtanh_uint8": (lambda lib, x: _F(lib).hardtanh(x.to(lib.uint8)), RuntimeError),
    "relu6_bool": (lambda lib, x: _F(lib).relu6(x > 0), RuntimeError),
    "softshrink_negative": (lambda lib, x: _F(lib).softshrink(x, -0.5), RuntimeError),
    "celu_alpha_0": (lambda lib, x: _F(lib).celu(x, 0.0), RuntimeError),
    "glu_odd": (lambda lib, x: _F(lib).glu(x[:3]), RuntimeError),
    "glu_scalar": (lambda lib, x: _F(lib).glu(x[0]), RuntimeError),
    "glu_dim": (lambda lib, x: _F(lib).glu(x, 1), IndexError),
    "logsigmoid_int": (lambda lib, x: _F(lib).logsigmoid(x.long()), NotImplementedError),
    "mish_int": (lambda lib, x: _F(lib).mish(x.long()), NotImplementedError),
    "hardshrink_int": (lambda lib, x: _F(lib).hardshrink(x.long()), NotImplementedError),
    "threshold_bool": (lambda lib, x: _F(lib).threshold(x > 0, 0, 1), NotImplementedError),
    "hardtanh_module_bounds": (lambda lib, x: (TN if lib is torch else nn).Hardtanh(1, 1),
                               AssertionError),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_as_torch(name):
    fn, kind = ERRORS[name]
    x = np.array([-2.0, 0.5, 3.0, 1.0])
    with pytest.raises(kind) as theirs:
        fn(torch, torch.tensor(x))
    with pytest.raises(kind) as ours:
        fn(tensor, tensor.tensor(x))
    if not name.endswith("_int"):  # those name the op and dtype as this engine's others do
        assert str(ours.value) == str(theirs.value)


def test_softmin_implicit_dim_warns_as_torch():
    x = np.arange(6.0).reshape(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        got = nn.Softmin()(tensor.tensor(x))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        want = TN.Softmin()(torch.tensor(x))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape", [(), (4,), (3, 4)], ids=str)
def test_hardsigmoid_gradcheck_and_compiled_replay(shape, rng):
    """Not in the op table (its double backward, which PyTorch lacks, is tested there):
    finite differences away from ±3, and a compiled step equal to eager."""
    x = tensor.tensor(rng.standard_normal(shape) * 2, dtype=tensor.float64, requires_grad=True)
    assert tensor.gradcheck(F.hardsigmoid, (x,))

    def step(t):
        out = F.hardsigmoid(t * 2)
        (out * out).sum().backward()
        return out

    compiled = tensor.compile(step)
    for _ in range(3):
        a = rng.standard_normal(shape) * 3
        got_in, want_in = (tensor.tensor(a, requires_grad=True) for _ in range(2))
        np.testing.assert_array_equal(compiled(got_in).detach().numpy(),
                                      step(want_in).detach().numpy())
        np.testing.assert_array_equal(got_in.grad.numpy(), want_in.grad.numpy())
    assert compiled.eager_reason is None
