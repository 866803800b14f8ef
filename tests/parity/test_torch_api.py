"""The names PyTorch's tutorials use beyond the first round's: devices, function
forms, creation helpers, scatter_/t/view_as/clone, Sequential attributes, frozen
parameters, Adadelta, and tensor.save/load. Each is compared with torch."""

from __future__ import annotations

import pickle
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
import tensor

torch = pytest.importorskip("torch")


# ----- devices ------------------------------------------------------------------------
def test_device_agnostic_tutorial_code_runs_on_the_cpu():
    for lib in (tensor, torch):
        assert not lib.cuda.is_available() or lib is torch
        assert lib.backends.mps.is_available() is False
    assert tensor.accelerator.is_available() is False
    device = "cuda" if tensor.cuda.is_available() else "cpu"
    model = nn.Linear(3, 2).to(device)
    x = tensor.zeros(4, 3, device=device).to(device)
    assert model(x).device == tensor.device("cpu") == "cpu"
    assert repr(tensor.device("cpu")) == repr(torch.device("cpu"))
    assert str(tensor.device("cpu:0")) == str(torch.device("cpu:0"))
    assert x.to("cpu", tensor.float64).dtype == tensor.float64
    assert x.to(tensor.ones(1, dtype=tensor.float64)).dtype == tensor.float64
    assert x.to(device=tensor.device("cpu")) is x and x.cpu() is x


@pytest.mark.parametrize("call", [
    lambda: tensor.device("cuda"), lambda: tensor.zeros(2, device="cuda"),
    lambda: tensor.ones(2).to("cuda"), lambda: tensor.ones(2).cuda(),
    lambda: nn.Linear(2, 2).to("mps"), lambda: tensor.randn(2, device="cuda:0"),
])
def test_other_devices_get_a_clear_error(call):
    with pytest.raises(RuntimeError, match="runs on the CPU only"):
        call()


def test_module_to_dtype_converts_floating_parameters():
    m = nn.Linear(2, 2).to(tensor.float64)
    assert m.weight.dtype == tensor.float64
    assert m.to("cpu") is m and m.weight.dtype == tensor.float64


# ----- function forms and creation -------------------------------------------------------
@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**16))
def test_function_forms_match_torch(n, m, seed):
    a = np.random.default_rng(seed).standard_normal((n, m)).astype(np.float32)
    b = np.random.default_rng(seed + 1).standard_normal((m, n)).astype(np.float32)
    for name, args in [("matmul", (a, b)), ("mm", (a, b)), ("mul", (a, a)), ("add", (a, a)),
                       ("sub", (a, a)), ("div", (a, a + 10)), ("exp", (a,)),
                       ("flatten", (a,)), ("t", (a,)), ("sum", (a,)), ("numel", (a,))]:
        ours = getattr(tensor, name)(*(tensor.tensor(x) for x in args))
        theirs = getattr(torch, name)(*(torch.tensor(x) for x in args))
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(tensor.argmax(tensor.tensor(a), dim=1).numpy(),
                                  torch.argmax(torch.tensor(a), dim=1).numpy())
    np.testing.assert_array_equal(tensor.flatten(tensor.tensor(a), 1).numpy(),
                                  torch.flatten(torch.tensor(a), 1).numpy())


def test_creation_helpers_match_torch():
    for args in [(3,), (2, 4), (4, 2), (0,)]:
        ours, theirs = tensor.eye(*args), torch.eye(*args)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == tensor.float32
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    x = tensor.zeros(2, 3, dtype=tensor.float64)
    for fn in (tensor.rand_like, tensor.randn_like):
        y = fn(x)
        assert y.shape == x.shape and y.dtype == tensor.float64 and not y.requires_grad
    assert ((tensor.rand_like(x) >= 0) & (tensor.rand_like(x) < 1)).all()
    assert tensor.full_like(x, 7).tolist() == torch.full_like(torch.zeros(2, 3), 7).tolist()


def test_t_view_as_clone_match_torch(rng):
    a = rng.standard_normal((3, 4))
    for lib in (tensor, torch):
        x = lib.tensor(a, requires_grad=True)
        y = x.t() * lib.tensor(a.T) + x.clone().view_as(lib.zeros(4, 3)) * 2
        y.sum().backward()
        if lib is tensor:
            ours = (y.detach().numpy(), x.grad.numpy())
        else:
            np.testing.assert_allclose(ours[0], y.detach().numpy())
            np.testing.assert_allclose(ours[1], x.grad.numpy())
    assert tensor.tensor([1.0, 2.0]).t().shape == (2,)
    with pytest.raises(RuntimeError, match="t: expects a tensor with <= 2 dimensions"):
        tensor.zeros(2, 2, 2).t()


@st.composite
def scatter_cases(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    dim = draw(st.integers(-ndim, ndim - 1))
    index_shape = tuple(draw(st.integers(0, n)) for n in shape)
    index_shape = tuple(draw(st.integers(1, 5)) if i == dim % ndim else n
                        for i, n in enumerate(index_shape))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    index = rng.integers(0, shape[dim], index_shape)
    # distinct positions along dim per column, so the written value is well defined
    src = rng.standard_normal(index_shape)
    return shape, dim, index, src, draw(st.booleans())


@settings(max_examples=100, deadline=None, derandomize=True)
@given(scatter_cases())
def test_scatter_matches_torch(case):
    shape, dim, index, src, use_value = case
    ours, theirs = tensor.zeros(shape, dtype=tensor.float64), torch.zeros(shape,
                                                                         dtype=torch.float64)
    if use_value:
        ours.scatter_(dim, tensor.tensor(index), value=2.5)
        theirs.scatter_(dim, torch.tensor(index), value=2.5)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        return
    unique = all(len(set(col)) == len(col) for col in np.moveaxis(index, dim, -1).reshape(
        -1, index.shape[dim]).tolist())
    ours.scatter_(dim, tensor.tensor(index), tensor.tensor(src))
    theirs.scatter_(dim, torch.tensor(index), torch.tensor(src))
    if unique:  # with repeats, which write wins is unspecified in torch
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_scatter_one_hot_as_the_transforms_tutorial():
    one_hot = tensor.zeros(10, dtype=tensor.float).scatter_(0, tensor.tensor(3), value=1)
    assert one_hot.tolist() == torch.zeros(10).scatter_(0, torch.tensor(3), value=1).tolist()
    with pytest.raises(RuntimeError, match="scatter_: index 10 is out of bounds"):
        tensor.zeros(10).scatter_(0, tensor.tensor([10]), value=1)


# ----- nn -----------------------------------------------------------------------------
def test_sequential_registers_assigned_modules_and_runs_them_last():
    for lib in (nn, torch.nn):
        seq = lib.Sequential(lib.Linear(4, 4))
        seq.fc = lib.Linear(4, 2)
        names = [n for n, _ in seq.named_parameters()]
        assert names == ["0.weight", "0.bias", "fc.weight", "fc.bias"]
        x = (tensor if lib is nn else torch).zeros(3, 4)
        assert tuple(seq(x).shape) == (3, 2) and len(seq) == 2
    named = nn.Sequential(OrderedDict([("conv", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert [n for n, _ in named.named_parameters()] == ["conv.weight", "conv.bias"]
    assert named.conv is named[0] and isinstance(named[1:], nn.Sequential)


def test_optimizers_skip_frozen_parameters_as_torch(rng):
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 1))
    model[0].requires_grad_(False)
    before = model[0].weight.numpy().copy()
    for opt in (nn.optim.SGD(model.parameters(), lr=0.1),
                nn.optim.Adam(model.parameters()), nn.optim.Adadelta(model.parameters())):
        opt.zero_grad()
        model(tensor.tensor(rng.standard_normal((5, 3)).astype(np.float32))).sum().backward()
        opt.step()
    np.testing.assert_array_equal(model[0].weight.numpy(), before)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        nn.optim.SGD(model[1].weight, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        nn.optim.SGD([model[1].weight * 2], lr=0.1)


@pytest.mark.parametrize("kwargs", [{}, {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}])
def test_adadelta_matches_torch(kwargs, rng):
    w0 = rng.standard_normal((4, 3))
    ours = tensor.tensor(w0, requires_grad=True)
    theirs = torch.tensor(w0, requires_grad=True)
    opt, t_opt = nn.optim.Adadelta([ours], **kwargs), torch.optim.Adadelta([theirs], **kwargs)
    for _ in range(5):
        target = rng.standard_normal((4, 3))
        for w, o, lib in ((ours, opt, tensor), (theirs, t_opt, torch)):
            o.zero_grad()
            ((w - lib.tensor(target)) ** 2).sum().backward()
            o.step()
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)


# ----- tensor.save / tensor.load ------------------------------------------------------------
def test_save_and_load_a_state_dict_that_torch_reads(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    tensor.save(model.state_dict(), tmp_path / "model.pth")
    loaded = tensor.load(tmp_path / "model.pth")
    assert list(loaded) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    clone = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert repr(clone.load_state_dict(loaded)) == "<All keys matched successfully>"
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    theirs.load_state_dict(safetensors_torch.load_file(tmp_path / "model.pth"))
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(model(tensor.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6)


def test_save_and_load_a_checkpoint_dict(tmp_path):
    model = nn.Linear(2, 2)
    opt = nn.optim.Adam(model.parameters())
    model(tensor.ones(1, 2)).sum().backward()
    opt.step()
    checkpoint = {"epoch": 5, "loss": 0.25, "name": "run", "shape": (2, 3), "none": None,
                  "model_state_dict": model.state_dict(),
                  "optimizer_state_dict": opt.state_dict()}
    tensor.save(checkpoint, tmp_path / "ckpt.pt")
    back = tensor.load(tmp_path / "ckpt.pt")
    assert {k: back[k] for k in ("epoch", "loss", "name", "shape", "none")} == {
        "epoch": 5, "loss": 0.25, "name": "run", "shape": (2, 3), "none": None}
    state = back["optimizer_state_dict"]["state"]
    assert list(state) == [0, 1] and state[0]["step"] == 1
    np.testing.assert_array_equal(state[0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    opt2 = nn.optim.Adam(model.parameters())
    opt2.load_state_dict(back["optimizer_state_dict"])
    np.testing.assert_array_equal(back["model_state_dict"]["weight"].numpy(),
                                  model.weight.detach().numpy())


class Net(nn.Module):
    def __init__(self):
        self.fc = nn.Linear(2, 1)

    def forward(self, x):
        return self.fc(x)


def test_a_whole_model_loads_only_when_asked_for_code(tmp_path):
    model = Net()
    tensor.save(model, tmp_path / "model.pth")
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        tensor.load(tmp_path / "model.pth")
    back = tensor.load(tmp_path / "model.pth", weights_only=False)
    assert isinstance(back, Net)
    np.testing.assert_array_equal(back.fc.weight.detach().numpy(),
                                  model.fc.weight.detach().numpy())
    assert back.fc.weight.requires_grad


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="load: no such file"):
        tensor.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="junk.pt is not a valid safetensors file"):
        tensor.load(tmp_path / "junk.pt")
    with pytest.raises(RuntimeError, match="CPU only"):
        tensor.load(tmp_path / "junk.pt", map_location="cuda")


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.sampled_from(["bool", "int64", "uint8", "float32"]), st.integers(0, 2**16),
       st.sampled_from([None, 0, 1, -1]), st.booleans())
def test_logical_ops_and_all_any_match_torch(dtype, seed, dim, keepdim):
    rng = np.random.default_rng(seed)
    a, b = (rng.integers(0, 3, (3, 4)).astype(dtype) for _ in range(2))
    for op in ("__and__", "__or__", "__xor__", "__invert__"):
        args = () if op == "__invert__" else (b,)
        try:
            theirs = getattr(torch.tensor(a), op)(*(torch.tensor(x) for x in args))
        except (RuntimeError, TypeError):
            with pytest.raises(RuntimeError):
                getattr(tensor.tensor(a), op)(*(tensor.tensor(x) for x in args))
            continue
        ours = getattr(tensor.tensor(a), op)(*(tensor.tensor(x) for x in args))
        assert str(ours.dtype) == str(theirs.dtype) and ours.tolist() == theirs.tolist()
    for name in ("all", "any"):
        kwargs = {} if dim is None else {"dim": dim, "keepdim": keepdim}
        ours = getattr(tensor.tensor(a), name)(**kwargs)
        theirs = getattr(torch.tensor(a), name)(**kwargs)
        assert ours.tolist() == theirs.tolist() and ours.shape == tuple(theirs.shape)


@pytest.mark.parametrize("p", [0.25, 0.5, 0.9])
def test_dropout_is_one_node_scaling_kept_values_as_torch(p):
    x = tensor.ones(200, 50, requires_grad=True)
    y = nn.functional.dropout(x, p)
    kept = y.detach().numpy() != 0
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / (1 - p), rtol=1e-6)
    assert abs(kept.mean() - (1 - p)) < 0.03  # 10,000 draws: within ~6 standard errors
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())  # dx = m/(1 − p)
    assert "MulBackward0" in repr(y.grad_fn)
    assert type(torch.nn.functional.dropout(torch.ones(2, requires_grad=True), p).grad_fn
                ).__name__ == "MulBackward0"
    tensor.manual_seed(3)
    a = nn.functional.dropout(tensor.ones(10), p)
    tensor.manual_seed(3)
    assert a.tolist() == nn.functional.dropout(tensor.ones(10), p).tolist()
    assert nn.functional.dropout(x, p, training=False) is x
