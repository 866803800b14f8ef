"""What a tutorial prints beside its code, printed the same here: tensors, shapes,
dtypes, grad_fn names, load_state_dict's result, f-strings of 0-d tensors. Each is
compared with PyTorch's actual output."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nn
import tensor

torch = pytest.importorskip("torch")

SPECIAL = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e9, 1e-5, 123456789.0, 0.5, 2.0, -3.25]


def _elements(dtype):
    if dtype == "bool":
        return st.booleans()
    if dtype in ("uint8",):
        return st.integers(0, 255)
    if dtype in ("int64", "int32"):
        return st.integers(-(10**6), 10**6)
    width = 32 if dtype == "float32" else 64
    return st.one_of(st.floats(-1e3, 1e3, width=width), st.integers(-50, 50).map(float),
                     st.sampled_from(SPECIAL).map(lambda v: float(np.dtype(dtype).type(v))))


@st.composite
def arrays(draw):
    dtype = draw(st.sampled_from(["float32", "float64", "int64", "int32", "uint8", "bool"]))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=9))
    return draw(hnp.arrays(np.dtype(dtype), shape, elements=_elements(dtype)))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(arrays(), st.booleans())
def test_repr_matches_torch(a, requires_grad):
    ours, theirs = tensor.tensor(a), torch.tensor(a)
    if requires_grad and a.dtype.kind == "f":
        ours.requires_grad_(), theirs.requires_grad_()
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("make", [
    lambda lib: lib.arange(2000.0),                   # summarised 1-d, scientific
    lambda lib: lib.arange(3000).reshape(30, 100),    # summarised 2-d, ints
    lambda lib: lib.ones(3, 50) / 3,                  # wrapped lines
    lambda lib: lib.zeros(0, 3),                      # empty with a shape
    lambda lib: lib.zeros(2, 0, dtype=lib.int64),
    lambda lib: lib.tensor([1e-4, 1e-3]),
    lambda lib: lib.tensor(3.5),
    lambda lib: lib.tensor([[True, False], [False, True]]),
], ids=["arange2000", "ints30x100", "wrapped", "empty", "empty-int", "small", "0-d", "bools"])
def test_repr_of_large_wrapped_and_empty_tensors(make):
    assert repr(make(tensor)) == repr(make(torch))


def test_grad_fn_and_requires_grad_suffixes_wrap_as_torch():
    for lib in (tensor, torch):
        lib.manual_seed(0)
    a = np.linspace(-1, 1, 24, dtype=np.float64).reshape(4, 6)
    ours = tensor.tensor(a, requires_grad=True) * 2
    theirs = torch.tensor(a, requires_grad=True) * 2
    assert repr(ours) == repr(theirs)
    assert repr((ours * ours).sum()) == repr((theirs * theirs).sum())


def test_shape_and_dtype_print_as_torch():
    x, t = tensor.zeros(3, 4), torch.zeros(3, 4)
    assert repr(x.shape) == repr(t.shape) and str(x.size()) == str(t.size())
    assert x.shape == (3, 4) and x.shape[1] == 4 and isinstance(x.shape, tuple)
    assert x.size(1) == 4
    for name in ("float32", "float64", "int64", "int32", "uint8", "bool", "float", "double",
                 "long"):
        assert repr(getattr(tensor, name)) == repr(getattr(torch, name))
        assert str(getattr(tensor, name)) == str(getattr(torch, name))
    assert str(x.dtype) == "torch.float32"
    assert x.dtype == tensor.float32 and x.numpy().dtype == tensor.float32
    assert np.zeros(2, tensor.int64).dtype == np.int64  # NumPy takes our dtypes
    assert tensor.float32.is_floating_point and not tensor.int64.is_floating_point
    assert tensor.float64.itemsize == torch.float64.itemsize


def test_format_of_zero_d_tensors_as_torch():
    for spec in ("", ".2f", ">8.3f", "e"):
        assert format(tensor.tensor(3.14159), spec) == format(torch.tensor(3.14159), spec)
    assert f"{tensor.tensor(3)}" == f"{torch.tensor(3)}" == "3"
    assert f"{tensor.tensor([1.0, 2.0])}" == f"{torch.tensor([1.0, 2.0])}"
    with pytest.raises(TypeError):
        format(tensor.tensor([1.0, 2.0]), ".2f")
    with pytest.raises(TypeError):
        format(torch.tensor([1.0, 2.0]), ".2f")


def test_index_uses_integer_tensors_as_list_indices():
    items = list("abcdef")
    assert items[tensor.tensor(2)] == items[torch.tensor(2)] == "c"
    assert list(range(tensor.tensor(3))) == [0, 1, 2]
    for bad in (tensor.tensor(2.0), tensor.tensor([1, 2])):
        with pytest.raises(TypeError, match="integer tensors of a single element"):
            items[bad]


# ----- grad_fn names -------------------------------------------------------------------
GRAD_FN_CASES = {
    "add": lambda L, x, y, W: x + y, "sub": lambda L, x, y, W: x - y,
    "mul": lambda L, x, y, W: x * y, "div": lambda L, x, y, W: x / y,
    "neg": lambda L, x, y, W: -x, "pow_scalar": lambda L, x, y, W: x ** 2,
    "pow_tensor": lambda L, x, y, W: x.abs() ** y, "matmul": lambda L, x, y, W: x @ W.T,
    "sum": lambda L, x, y, W: x.sum(), "mean": lambda L, x, y, W: x.mean(),
    "amax": lambda L, x, y, W: x.amax(1), "exp": lambda L, x, y, W: x.exp(),
    "log": lambda L, x, y, W: x.abs().log(), "sqrt": lambda L, x, y, W: x.abs().sqrt(),
    "relu": lambda L, x, y, W: x.relu(), "sigmoid": lambda L, x, y, W: x.sigmoid(),
    "tanh": lambda L, x, y, W: x.tanh(), "abs": lambda L, x, y, W: x.abs(),
    "clamp": lambda L, x, y, W: x.clamp(0, 1), "softmax": lambda L, x, y, W: x.softmax(1),
    "log_softmax": lambda L, x, y, W: x.log_softmax(1), "reshape": lambda L, x, y, W: x.view(12),
    "permute": lambda L, x, y, W: x.permute(1, 0), "expand": lambda L, x, y, W: y.expand(3, 4),
    "index": lambda L, x, y, W: x[[0, 1]], "select": lambda L, x, y, W: x[1],
    "slice": lambda L, x, y, W: x[1:], "select_after_slice": lambda L, x, y, W: x[1:, 0],
    "slice_after_select": lambda L, x, y, W: x[0, 1:], "column": lambda L, x, y, W: x[:, 0],
    "mask": lambda L, x, y, W: x[x > 0], "cat": lambda L, x, y, W: L.cat([x, x]),
    "where": lambda L, x, y, W: L.where(x > 0, x, y), "double": lambda L, x, y, W: x.double(),
    "clone": lambda L, x, y, W: x.clone(),
    "linear": lambda L, x, y, W: L.nn.functional.linear(x, W, y[:2]),
    "cross_entropy": lambda L, x, y, W: L.nn.functional.cross_entropy(x, L.tensor([0, 1, 2])),
    "nll_loss": lambda L, x, y, W: L.nn.functional.nll_loss(x.log_softmax(1),
                                                            L.tensor([0, 1, 2])),
    "nll_loss_none": lambda L, x, y, W: L.nn.functional.nll_loss(x, L.tensor([2, 1, 0]),
                                                                 reduction="none"),
    "mse_loss": lambda L, x, y, W: L.nn.functional.mse_loss(x, x.detach() * 2),
    "bce_with_logits": lambda L, x, y, W: L.nn.functional.binary_cross_entropy_with_logits(
        x, (x.detach() > 0).float()),
    "conv2d": lambda L, x, y, W: L.nn.functional.conv2d(x.reshape(1, 1, 3, 4),
                                                       W[:, :4].reshape(2, 1, 2, 2)),
    "max_pool2d": lambda L, x, y, W: L.nn.functional.max_pool2d(x.reshape(1, 1, 3, 4), 2),
    "avg_pool2d": lambda L, x, y, W: L.nn.functional.avg_pool2d(x.reshape(1, 1, 3, 4), 2),
}


@pytest.mark.parametrize("case", sorted(GRAD_FN_CASES))
def test_grad_fn_names_are_torch_names(case):
    rng = np.random.default_rng(0)
    arrays_in = [rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (4,), (2, 4))]
    ours = GRAD_FN_CASES[case](tensor, *(tensor.tensor(a, requires_grad=True)
                                         for a in arrays_in))
    theirs = GRAD_FN_CASES[case](torch, *(torch.tensor(a, requires_grad=True)
                                          for a in arrays_in))
    assert type(theirs.grad_fn).__name__ in repr(ours.grad_fn)
    assert repr(ours).endswith(f"grad_fn=<{type(theirs.grad_fn).__name__}>)")


def test_next_functions_follow_the_graph_as_torch():
    for lib in (tensor, torch):
        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2)
        z = (a * 2 + b).sum()
        add = z.grad_fn.next_functions[0][0]
        mul, none = add.next_functions
        assert none == (None, 0)
        acc = mul[0].next_functions[0][0]
        assert type(acc).__name__ == "AccumulateGrad" and acc.variable is a
        assert "AddBackward0" in repr(add) and "MulBackward0" in repr(mul[0])


def test_load_state_dict_prints_as_torch():
    ours, theirs = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    assert repr(ours.load_state_dict(ours.state_dict())) == repr(
        theirs.load_state_dict(theirs.state_dict())) == "<All keys matched successfully>"
    assert repr(ours.load_state_dict({}, strict=False)) == repr(
        theirs.load_state_dict({}, strict=False))


def test_module_reprs_match_torch():
    pairs = [
        (nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.25)),
         torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 512), torch.nn.ReLU(),
                             torch.nn.Dropout(0.25))),
        (nn.Conv2d(1, 32, 3, 1), torch.nn.Conv2d(1, 32, 3, 1)),
        (nn.Conv2d(3, 6, 5, padding=2, groups=3, bias=False, dilation=2),
         torch.nn.Conv2d(3, 6, 5, padding=2, groups=3, bias=False, dilation=2)),
        (nn.Conv2d(3, 6, 3, padding="same"), torch.nn.Conv2d(3, 6, 3, padding="same")),
        (nn.MaxPool2d(2), torch.nn.MaxPool2d(2)), (nn.AvgPool2d(3, 1), torch.nn.AvgPool2d(3, 1)),
        (nn.AdaptiveAvgPool2d((1, 1)), torch.nn.AdaptiveAvgPool2d((1, 1))),
        (nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss()),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


# The reductions and order statistics by how they are called (dim or not, keepdim,
# the function or the method), on generated shapes; and the other ops whose node
# PyTorch names after the call rather than the math.
def _reduction_calls(ndim):
    calls = {"max()": lambda L, x: x.max(), "min()": lambda L, x: x.min(),
             "amax()": lambda L, x: x.amax(), "amin()": lambda L, x: L.amin(x),
             "sum()": lambda L, x: x.sum(), "mean()": lambda L, x: x.mean(),
             "prod()": lambda L, x: x.prod(), "median()": lambda L, x: x.median(),
             "nanmedian()": lambda L, x: x.nanmedian()}
    for d in range(-ndim, ndim):
        for keep in (False, True):
            calls.update({
                f"max({d}, {keep})": lambda L, x, d=d, k=keep: x.max(d, keepdim=k).values,
                f"torch.min({d}, {keep})": lambda L, x, d=d, k=keep: L.min(x, d, k)[0],
                f"amax({d}, {keep})": lambda L, x, d=d, k=keep: x.amax(d, keepdim=k),
                f"amin(({d},), {keep})": lambda L, x, d=d, k=keep: x.amin((d,), keepdim=k),
                f"sum({d}, {keep})": lambda L, x, d=d, k=keep: x.sum(d, keepdim=k),
                f"mean({d}, {keep})": lambda L, x, d=d, k=keep: L.mean(x, d, k),
                f"prod({d}, {keep})": lambda L, x, d=d, k=keep: x.prod(d, keepdim=k),
                f"median({d}, {keep})": lambda L, x, d=d, k=keep: x.median(d, k).values,
                f"nanmedian({d}, {keep})": lambda L, x, d=d, k=keep: x.nanmedian(d, k)[0],
                f"kthvalue({d}, {keep})": lambda L, x, d=d, k=keep: x.kthvalue(1, d, k)[0],
                f"mode({d}, {keep})": lambda L, x, d=d, k=keep: x.mode(d, k).values,
                f"sort({d}, {keep})": lambda L, x, d=d, k=keep: x.sort(d, descending=k)[0],
                f"topk({d}, {keep})": lambda L, x, d=d, k=keep: x.topk(1, d, largest=k)[0],
                f"squeeze({d})": lambda L, x, d=d: x.squeeze(d),
                f"unsqueeze({d})": lambda L, x, d=d: x.unsqueeze(d),
                f"transpose(0, {d})": lambda L, x, d=d: x.transpose(0, d),
                f"cumsum({d})": lambda L, x, d=d: x.cumsum(d),
            })
    return calls


@pytest.mark.parametrize("shape", [(3,), (2, 3), (1, 4), (2, 1, 3)], ids=str)
def test_reduction_and_order_grad_fn_names_are_torch_names(shape):
    a = np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32)
    for call, fn in _reduction_calls(len(shape)).items():
        ours = fn(tensor, tensor.tensor(a, requires_grad=True))
        theirs = fn(torch, torch.tensor(a, requires_grad=True))
        assert repr(ours.grad_fn).startswith(f"<{type(theirs.grad_fn).__name__} "), call


MORE_GRAD_FN_CASES = {
    "squeeze_all": lambda L, x: x[None].squeeze(), "squeeze_dims": lambda L, x: x[None].squeeze(
        (0,)), "unsqueeze": lambda L, x: x.unsqueeze(1), "t": lambda L, x: x.t(),
    "t_1d": lambda L, x: x[0].t(), "mT": lambda L, x: x.mT, "T": lambda L, x: x.T,
    "matmul_mv": lambda L, x: x @ x[0], "matmul_dot": lambda L, x: x[0] @ x[1],
    "matmul_vm": lambda L, x: x[0] @ x.T, "matmul_batched": lambda L, x: x[None] @ x.T,
    "matmul_mm_batched": lambda L, x: x[:, :3] @ x[None], "dot": lambda L, x: L.dot(x[0], x[1]),
    "mv": lambda L, x: L.mv(x, x[0]), "bmm": lambda L, x: L.bmm(x[None], x.T[None]),
    "lerp_number": lambda L, x: x.lerp(x * 2, 0.3), "lerp_tensor": lambda L, x: x.lerp(x * 2, x),
    "clamp_tensor": lambda L, x: x.clamp(min=x * 0.5), "clamp": lambda L, x: x.clamp(-1, 1),
    "clamp_max": lambda L, x: x.clamp(max=0.5),
    "scatter": lambda L, x: x.scatter(0, L.tensor([[0, 1, 2, 0]]), x[:1] * 1),
    "scatter_add": lambda L, x: x.scatter_add(0, L.tensor([[0, 1, 2, 0]]), x[:1] * 1),
    "masked_fill": lambda L, x: x.masked_fill(x > 0, 0.0),
    "masked_fill_tensor": lambda L, x: x.masked_fill(x > 0, L.tensor(1.0)),
    "index_put": lambda L, x: x.index_put((L.tensor([0]),), L.tensor(1.0)),
    "index_add": lambda L, x: x.index_add(0, L.tensor([0]), x[:1] * 1),
    "gather": lambda L, x: x.gather(1, L.tensor([[0], [1], [2]])),
    "erf": lambda L, x: x.erf(), "logit": lambda L, x: x.sigmoid().logit(),
    "maximum": lambda L, x: L.maximum(x, x * 2), "max_two": lambda L, x: L.max(x, x * 2),
    "minimum": lambda L, x: L.minimum(x, x * 2), "cumprod": lambda L, x: x.cumprod(1),
    "rsub": lambda L, x: 2 - x, "rdiv": lambda L, x: 2 / x, "rpow": lambda L, x: 2 ** x,
    "tril": lambda L, x: x.tril(), "triu": lambda L, x: x.triu(1),
    "embedding": lambda L, x: L.nn.functional.embedding(L.tensor([0, 2]), x),
    "stack": lambda L, x: L.stack([x, x * 2], 1), "stack_one": lambda L, x: L.stack([x]),
}


@pytest.mark.parametrize("case", sorted(MORE_GRAD_FN_CASES))
def test_more_grad_fn_names_are_torch_names(case):
    a = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    ours = MORE_GRAD_FN_CASES[case](tensor, tensor.tensor(a, requires_grad=True))
    theirs = MORE_GRAD_FN_CASES[case](torch, torch.tensor(a, requires_grad=True))
    assert repr(ours).endswith(f"grad_fn=<{type(theirs.grad_fn).__name__}>)")
