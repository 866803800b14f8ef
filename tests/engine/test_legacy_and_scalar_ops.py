"""``torch.Tensor(…)`` and the typed legacy constructors, and how an op with a
Python number on either side is recorded (``grad_fn.next_functions``), against
PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import tensor

torch = pytest.importorskip("torch")

# argument lists for torch.Tensor(*args); "size" marks uninitialised results
CASES = [
    ((), None), (([[1, 2, 3], [4, 5, 6]],), None), (([2.5, -1.0],), None), (([True, False],), None),
    (([],), None), (((2, 3),), None), ((3,), "size"), ((0,), "size"), ((2, 3), "size"),
    ((2, 0, 4), "size"), ((np.arange(4),), None), ((np.arange(6.0).reshape(2, 3),), None),
    ((np.array([1, 2], np.int32),), None), ((3.5,), None), ((np.float64(2.0),), None),
    ((2, -1), None), ((2, 3.0), None), (([[1], [2, 3]],), None), (("ab",), None),
    (([[1.5, 2], [3, 4]],), None),
]


def _floats(a) -> bool:
    try:
        return isinstance(a, (list, np.ndarray)) and np.asarray(a).dtype.kind == "f"
    except ValueError:
        return False


def _call(lib, name, args):
    try:
        return getattr(lib, name)(*args), None
    except (TypeError, ValueError, RuntimeError, IndexError) as exc:
        return None, type(exc)


@pytest.mark.parametrize("name", ["Tensor", "FloatTensor", "DoubleTensor", "LongTensor",
                                  "IntTensor", "BoolTensor", "ByteTensor"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_legacy_constructor_matches_torch(name, case):
    args, kind = CASES[case]
    if name in ("BoolTensor", "ByteTensor") and any(_floats(a) for a in args):
        pytest.skip("float data into a bool/uint8 legacy tensor: torch casts, rarely used")
    ours, our_err = _call(tensor, name, args)
    want, want_err = _call(torch, name, args)
    assert (our_err is None) == (want_err is None), (args, our_err, want_err)
    if want_err is not None:
        return
    assert tuple(ours.shape) == tuple(want.shape)
    assert str(ours.dtype) == str(want.dtype)
    assert type(ours) is tensor.Tensor and isinstance(ours, tensor.Tensor)
    if kind != "size":
        np.testing.assert_array_equal(ours.numpy(), want.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool", "uint8"])
def test_isinstance_of_typed_legacy_classes(dtype):
    ours = tensor.zeros(2, dtype=getattr(tensor, dtype if dtype != "bool" else "bool_"))
    want = torch.zeros(2, dtype=getattr(torch, dtype))
    for name in ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor",
                 "ByteTensor", "Tensor"]:
        assert isinstance(ours, getattr(tensor, name)) == isinstance(want, getattr(torch, name))


def test_tensor_of_a_tensor_shares_it_and_grad_flows_after_setting_requires_grad():
    t = tensor.tensor([1, 2])
    assert tensor.Tensor(t).data is t.data
    x = tensor.Tensor([2.0]).double()
    x.requires_grad = True
    (x * x).sum().backward()
    assert x.grad.item() == 4.0 and x.dtype == tensor.float64


# ----- numbers on the left: recorded as PyTorch records them ------------------------
EXPRS = ["2 * b", "b * 2", "2 + b", "b + 2", "2 - b", "b - 2", "2 / b", "b / 2", "2.5 * b",
         "-1 - b", "0.5 / b", "b * b", "b + a", "b - a", "a / b", "2 ** b", "b ** 2", "-b",
         "c * b", "c - b", "c / b", "b.add(2)", "b.sub(a)", "(2 - b) * (3 / b)"]


def _edges(node, depth=2):
    """The node names of next_functions, recursively (None for no edge)."""
    if node is None:
        return None
    name = type(node).__name__ if hasattr(node, "_raw_saved_self") or "torch" in \
        type(node).__module__ or type(node).__module__ == "builtins" else None
    name = node.name() if not hasattr(node, "backward_name") else node.backward_name()
    name = name.replace("torch::autograd::", "")
    if depth == 0:
        return name
    return (name, tuple(_edges(n, depth - 1) for n, _ in node.next_functions))


@pytest.mark.parametrize("expr", EXPRS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_next_functions_values_and_grads_match_torch(expr, dtype):
    rng = np.random.default_rng(len(expr))
    av = rng.uniform(0.5, 2, 5).astype(dtype)
    out = []
    for lib in (tensor, torch):
        a = lib.tensor(av, requires_grad=True)
        b = a.sin()  # noqa: F841  (read by eval)
        c = lib.tensor(1.5, dtype=getattr(lib, dtype))  # noqa: F841
        r = eval(expr)
        r.sum().backward()
        out.append((_edges(r.grad_fn), r.detach().numpy(), str(r.dtype), a.grad.numpy()))
    (e1, v1, d1, g1), (e2, v2, d2, g2) = out
    assert e1 == e2
    assert d1 == d2
    # sin itself may differ by an ulp between NumPy and PyTorch
    np.testing.assert_allclose(v1, v2, rtol=1e-6 if dtype == "float32" else 1e-15)
    np.testing.assert_allclose(g1, g2, rtol=1e-6 if dtype == "float32" else 1e-13)


@pytest.mark.parametrize("number", [2, -3, 2.5, True])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8", "bool"])
@pytest.mark.parametrize("op", ["rsub", "rdiv", "radd", "rmul", "rpow"])
def test_numbers_on_the_left_dtypes_and_values(number, dtype, op):
    xv = np.array([0, 1, 3, 5]).astype(dtype)
    res = []
    for lib in (tensor, torch):
        x = lib.tensor(xv)
        f = {"rsub": lambda x=x: number - x, "rdiv": lambda x=x: number / x,
             "radd": lambda x=x: number + x, "rmul": lambda x=x: number * x,
             "rpow": lambda x=x: number ** x}[op]
        try:
            r = f()
            res.append((str(r.dtype), r.numpy()))
        except (RuntimeError, TypeError, NotImplementedError) as exc:
            res.append((type(exc), None))
    assert (res[0][1] is None) == (res[1][1] is None), res
    if res[1][1] is not None:
        assert res[0][0] == res[1][0]
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-6)
