"""The layers a learner meets after the basics, against PyTorch with the same weights
loaded into both: outputs, input and parameter gradients, BatchNorm's running
statistics over several train steps then eval outputs, state_dict keys and shapes
(loaded both ways), repr, and the errors PyTorch raises."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import tensor

torch = pytest.importorskip("torch")
TN = torch.nn


def _pair(make):
    """make(lib_nn) for both libraries, with torch's initial state loaded into ours."""
    theirs, ours = make(TN), make(nn)
    state = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    return ours, theirs


def _tol(dtype):
    return dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


def _step(ours, theirs, x, dtype, transpose=False):
    """One forward and backward on both; the outputs and every gradient compared."""
    got = tensor.tensor(x, requires_grad=True)
    want = torch.tensor(x, requires_grad=True)
    a, b = (got.transpose(-1, -2), want.transpose(-1, -2)) if transpose else (got, want)
    out_ours, out_theirs = ours(a), theirs(b)
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(),
                               **_tol(dtype))
    w = np.cos(np.arange(out_theirs.numel())).reshape(tuple(out_theirs.shape))
    (out_ours * tensor.tensor(w, dtype=out_ours.dtype)).sum().backward()
    (out_theirs * torch.tensor(w, dtype=out_theirs.dtype)).sum().backward()
    np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), **_tol(dtype))
    for (name, p), (tname, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), **_tol(dtype), err_msg=name)


def _same_state(ours, theirs, dtype):
    mine, other = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(other)
    for k in other:
        assert tuple(mine[k].shape) == tuple(other[k].shape), k
        assert str(mine[k].dtype) == str(other[k].dtype), k
        np.testing.assert_allclose(mine[k].numpy(), other[k].numpy(), **_tol(dtype), err_msg=k)


LAYERS = {
    "LayerNorm": (lambda m, dt: m.LayerNorm(6, dtype=dt), (4, 6)),
    "LayerNorm_2d": (lambda m, dt: m.LayerNorm([3, 6], eps=1e-3, dtype=dt), (2, 3, 6)),
    "LayerNorm_no_bias": (lambda m, dt: m.LayerNorm(6, bias=False, dtype=dt), (2, 5, 6)),
    "LayerNorm_no_affine": (lambda m, dt: m.LayerNorm((6,), elementwise_affine=False,
                                                      dtype=dt), (3, 6)),
    "GELU": (lambda m, dt: m.GELU(), (3, 6)),
    "GELU_tanh": (lambda m, dt: m.GELU(approximate="tanh"), (3, 6)),
    "SiLU": (lambda m, dt: m.SiLU(), (3, 6)),
    "LeakyReLU": (lambda m, dt: m.LeakyReLU(0.1), (3, 6)),
    "ELU": (lambda m, dt: m.ELU(alpha=0.7), (3, 6)),
    "Softplus": (lambda m, dt: m.Softplus(beta=2.0, threshold=3.0), (3, 6)),
    "Unflatten": (lambda m, dt: m.Unflatten(1, (2, 3)), (4, 6)),
    "Unflatten_neg": (lambda m, dt: m.Unflatten(-1, (3, -1)), (2, 2, 6)),
    "mlp": (lambda m, dt: m.Sequential(m.Linear(6, 8, dtype=dt), m.LayerNorm(8, dtype=dt),
                                       m.GELU(), m.Linear(8, 3, dtype=dt)), (5, 6)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_match_torch(name, dtype):
    make, shape = LAYERS[name]
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    rng = np.random.default_rng(len(name))
    for batch in (1, 0, 4):
        ours, theirs = _pair(lambda m: make(m, tdtype if m is TN else dtype))
        if batch == 0 and name.startswith("Unflatten"):
            continue  # reshape of an empty batch: covered by the other sizes
        x = (rng.standard_normal((batch, *shape[1:])) * 2).astype(dtype)
        _step(ours, theirs, x, dtype)
        if x.ndim >= 2 and shape[-1] == shape[-2] or name in ("GELU", "SiLU", "ELU"):
            y = np.ascontiguousarray(np.swapaxes(x, -1, -2))  # a transposed view's input
            ours, theirs = _pair(lambda m: make(m, tdtype if m is TN else dtype))
            _step(ours, theirs, y, dtype, transpose=True)
        assert repr(ours) == repr(theirs)
        _same_state(ours, theirs, dtype)


BATCHNORMS = {
    "bn1d": (lambda m, dt: m.BatchNorm1d(4, dtype=dt), (8, 4)),
    "bn1d_seq": (lambda m, dt: m.BatchNorm1d(4, momentum=0.3, eps=1e-3, dtype=dt), (5, 4, 3)),
    "bn1d_cumulative": (lambda m, dt: m.BatchNorm1d(4, momentum=None, dtype=dt), (6, 4)),
    "bn1d_no_affine": (lambda m, dt: m.BatchNorm1d(4, affine=False, dtype=dt), (6, 4)),
    "bn1d_no_bias": (lambda m, dt: m.BatchNorm1d(4, bias=False, dtype=dt), (6, 4)),
    "bn1d_untracked": (lambda m, dt: m.BatchNorm1d(4, track_running_stats=False, dtype=dt),
                       (6, 4)),
    "bn2d": (lambda m, dt: m.BatchNorm2d(3, dtype=dt), (4, 3, 5, 2)),
    "bn2d_untracked": (lambda m, dt: m.BatchNorm2d(3, affine=False, track_running_stats=False,
                                                   dtype=dt), (2, 3, 2, 2)),
    "cnn": (lambda m, dt: m.Sequential(m.Conv2d(2, 3, 3, padding=1, dtype=dt),
                                       m.BatchNorm2d(3, dtype=dt), m.ReLU()), (2, 2, 4, 4)),
}


@pytest.mark.parametrize("name", sorted(BATCHNORMS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchnorm_train_steps_then_eval_match_torch(name, dtype):
    make, shape = BATCHNORMS[name]
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    ours, theirs = _pair(lambda m: make(m, tdtype if m is TN else dtype))
    rng = np.random.default_rng(len(name))
    for step in range(4):  # the running statistics move at each training step
        x = (rng.standard_normal(shape) * 3 + step).astype(dtype)
        _step(ours, theirs, x, dtype)
        _same_state(ours, theirs, dtype)
        for m in (ours, theirs):
            m.zero_grad()
    ours.eval()
    theirs.eval()
    # batch 1 is fine in eval, except without running statistics (the batch's are used)
    x = rng.standard_normal((1 if "untracked" not in name else 3, *shape[1:])).astype(dtype)
    _step(ours, theirs, x, dtype)
    _same_state(ours, theirs, dtype)  # eval leaves the running statistics
    assert repr(ours) == repr(theirs)
    # and back: our trained state loads into PyTorch's layer
    fresh = make(TN, tdtype)
    fresh.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    _same_state(ours, fresh, dtype)


def test_batchnorm_empty_batch_and_buffers():
    ours, theirs = _pair(lambda m: m.BatchNorm1d(3))
    _step(ours, theirs, np.zeros((0, 3), np.float32), np.float32)
    _same_state(ours, theirs, np.float32)  # counted, statistics unmoved, as PyTorch
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert len(list(ours.parameters())) == 2
    ours.double()
    assert ours.running_mean.dtype == tensor.float64
    assert ours.num_batches_tracked.dtype == tensor.int64


ERRORS = [
    (lambda m: m.BatchNorm1d(3), (1, 3)),       # one value per channel when training
    (lambda m: m.BatchNorm1d(3), (2, 3, 1, 1)),  # 4D into BatchNorm1d
    (lambda m: m.BatchNorm2d(3), (2, 3, 4)),     # 3D into BatchNorm2d
    (lambda m: m.BatchNorm1d(3), (2, 4)),        # wrong channel count
    (lambda m: m.LayerNorm(4), (2, 3)),          # trailing shape mismatch
    (lambda m: m.LayerNorm([2, 4]), (2, 3, 4)),
    (lambda m: m.Unflatten(1, (2, 2)), (3, 6)),  # sizes that don't multiply up
]


@pytest.mark.parametrize("make", [lambda m: m.LayerNorm(3), lambda m: m.BatchNorm1d(3),
                                  lambda m: m.BatchNorm1d(3).eval()])
@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_mixed_or_integer_dtypes_raise_as_torch(make, dtype):
    x = np.zeros((2, 3), dtype)
    with pytest.raises(Exception) as want:
        make(TN)(torch.tensor(x))
    with pytest.raises(type(want.value)):
        make(nn)(tensor.tensor(x))


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_as_torch(case):
    make, shape = ERRORS[case]
    ours, theirs = make(nn), make(TN)
    x = np.ones(shape, np.float32)
    with pytest.raises(Exception) as want:
        theirs(torch.tensor(x))
    with pytest.raises(type(want.value)) as got:
        ours(tensor.tensor(x))
    # the message names the shapes (or the layer's expectation) as PyTorch's does
    assert str(got.value) == str(want.value) or any(
        str(s) in str(got.value) for s in (list(shape), tuple(shape), f"{len(shape)}D"))


def test_state_dict_size_mismatch_names_the_key():
    ours = nn.LayerNorm(4)
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        ours.load_state_dict({"weight": np.ones(5, np.float32), "bias": np.zeros(4, np.float32)})
    bn = nn.BatchNorm1d(3)
    with pytest.raises(RuntimeError, match='Missing key.*"running_var"'):
        bn.load_state_dict({k: v for k, v in bn.state_dict().items() if k != "running_var"})


@pytest.mark.parametrize("make", [
    lambda m: m.L1Loss(), lambda m: m.L1Loss(reduction="sum"), lambda m: m.BCELoss(),
    lambda m: m.SmoothL1Loss(beta=0.5), lambda m: m.HuberLoss(delta=2.0),
    lambda m: m.KLDivLoss(reduction="batchmean", log_target=True), lambda m: m.MSELoss(),
    lambda m: m.HuberLoss(reduction="none"),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_layers(make, dtype):
    ours, theirs = make(nn), make(TN)
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(0)
    for shape in [(4, 3), (1, 5), (0, 2)]:
        x = rng.random(shape).astype(dtype) * 0.98 + 0.01
        y = rng.random(shape).astype(dtype)
        if isinstance(theirs, TN.KLDivLoss):
            x, y = np.log(x), np.log(y + 0.1)
        a, b = tensor.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out_a, out_b = ours(a, tensor.tensor(y)), theirs(b, torch.tensor(y))
        np.testing.assert_allclose(out_a.detach().numpy(), out_b.detach().numpy(), **_tol(dtype),
                                   equal_nan=True)
        out_a.sum().backward()
        out_b.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **_tol(dtype), equal_nan=True)


def test_bce_loss_weight_is_a_buffer():
    w = np.array([0.5, 2.0, 1.0], np.float32)
    ours, theirs = nn.BCELoss(weight=tensor.tensor(w)), TN.BCELoss(weight=torch.tensor(w))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    x = np.array([[0.2, 0.9, 0.5]], np.float32)
    np.testing.assert_allclose(ours(tensor.tensor(x), tensor.ones(1, 3)).item(),
                               theirs(torch.tensor(x), torch.ones(1, 3)).item(), rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda m: m.Identity(), lambda m: m.Identity(3, unused=4),
    lambda m: m.MSELoss(reduction="sum"), lambda m: m.CrossEntropyLoss(reduction="none"),
    lambda m: m.BCEWithLogitsLoss(reduction="sum"), lambda m: m.NLLLoss(reduction="sum"),
])
def test_reprs_of_identity_and_losses(make):
    assert repr(make(nn)) == repr(make(TN))
