"""Convolution, pooling and the fused losses against PyTorch (values and gradients,
over generated geometries) and against finite differences (gradcheck)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
import nn.functional as F
import tensor

torch = pytest.importorskip("torch")
TF = torch.nn.functional
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def _pair(draw, lo, hi):
    return (draw(st.integers(lo, hi)), draw(st.integers(lo, hi)))


@st.composite
def conv_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2]))
    cg, og = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kernel, stride, dilation = _pair(draw, 1, 3), _pair(draw, 1, 2), _pair(draw, 1, 2)
    padding = _pair(draw, 0, 2)
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    size = [draw(st.integers(max(1, s - 2 * p), s - 2 * p + 5)) for s, p in zip(span, padding)]
    n = draw(st.integers(1, 3))
    bias = draw(st.booleans())
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((n, cg * groups, *size)).astype(dtype)
    w = rng.standard_normal((og * groups, cg, *kernel)).astype(dtype)
    b = rng.standard_normal(og * groups).astype(dtype) if bias else None
    return x, w, b, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def _both(fn_ours, fn_torch, arrays, seed=1):
    """Run both, backpropagate the same random weights; return (ours, theirs) pairs of
    (output, input grads)."""
    results = []
    for lib, fn in ((tensor, fn_ours), (torch, fn_torch)):
        leaves = [None if a is None else lib.tensor(a, requires_grad=True) for a in arrays]
        out = fn(*leaves)
        weights = np.random.default_rng(seed).standard_normal(tuple(out.shape)).astype(
            arrays[0].dtype)
        (out * lib.tensor(weights)).sum().backward()
        grads = [None if t is None else t.grad.detach().numpy() for t in leaves]
        results.append((out.detach().numpy(), grads))
    return results


def assert_close(a, b, dtype):
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@SETTINGS
@given(conv_cases())
def test_conv2d_matches_torch(case):
    x, w, b, kw = case
    (out, grads), (t_out, t_grads) = _both(lambda *a: F.conv2d(*a, **kw),
                                           lambda *a: TF.conv2d(*a, **kw), [x, w, b])
    assert out.shape == t_out.shape and out.dtype == t_out.dtype
    assert_close(out, t_out, x.dtype)
    for g, tg in zip(grads, t_grads):
        if tg is not None:
            assert_close(g, tg, x.dtype)


@st.composite
def pool_cases(draw):
    kernel, stride = _pair(draw, 1, 3), _pair(draw, 1, 3)
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    size = [draw(st.integers(max(1, k - 2 * p), 9)) for k, p in zip(kernel, padding)]
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    # distinct values: a tie for a window's max may pick another (equally right) element
    x = rng.permutation(2 * 3 * size[0] * size[1]).reshape(2, 3, *size).astype(dtype)
    return x / 7, dict(kernel_size=kernel, stride=stride, padding=padding)


@SETTINGS
@given(pool_cases(), st.sampled_from(["max", "avg"]))
def test_pools_match_torch(case, kind):
    x, kw = case
    ours, theirs = (F.max_pool2d, TF.max_pool2d) if kind == "max" else (F.avg_pool2d,
                                                                         TF.avg_pool2d)
    (out, (g,)), (t_out, (tg,)) = _both(lambda a: ours(a, **kw), lambda a: theirs(a, **kw), [x])
    assert out.shape == t_out.shape and out.dtype == t_out.dtype
    assert_close(out, t_out, x.dtype)
    assert_close(g, tg, x.dtype)


@pytest.mark.parametrize("out_size", [1, (1, 1), (2, 3), (3, 3), (5, 4), (None, 2)])
def test_adaptive_avg_pool2d_matches_torch(out_size, rng):
    x = rng.standard_normal((2, 3, 7, 8))
    (out, (g,)), (t_out, (tg,)) = _both(lambda a: F.adaptive_avg_pool2d(a, out_size),
                                        lambda a: TF.adaptive_avg_pool2d(a, out_size), [x])
    assert_close(out, t_out, x.dtype)
    assert_close(g, tg, x.dtype)


def test_unbatched_inputs_and_layers_match_torch(rng):
    x = rng.standard_normal((1, 6, 6)).astype(np.float32)
    ours, theirs = nn.Conv2d(1, 2, 3, padding="same"), torch.nn.Conv2d(1, 2, 3, padding="same")
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert_close(ours(tensor.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
           np.float32)
    assert_close(nn.MaxPool2d(2)(tensor.tensor(x)).numpy(), torch.nn.MaxPool2d(2)(torch.tensor(x)),
           np.float32)


def test_conv_and_pool_gradcheck(rng):
    x = tensor.tensor(rng.standard_normal((2, 4, 5, 6)), requires_grad=True)
    w = tensor.tensor(rng.standard_normal((4, 2, 3, 2)), requires_grad=True)
    b = tensor.tensor(rng.standard_normal(4), requires_grad=True)
    assert tensor.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1,
                                                     dilation=(1, 2), groups=2), (x, w, b))
    y = tensor.tensor(rng.permutation(120).reshape(2, 3, 4, 5) / 10.0, requires_grad=True)
    assert tensor.gradcheck(lambda y: F.max_pool2d(y, 2, 1, padding=1), (y,))
    assert tensor.gradcheck(lambda y: F.avg_pool2d(y, (2, 3), padding=1), (y,))
    assert tensor.gradcheck(lambda y: F.adaptive_avg_pool2d(y, (3, 2)), (y,))


def test_conv_errors_name_the_op_and_shapes():
    x = tensor.zeros(1, 3, 5, 5)
    with pytest.raises(RuntimeError, match=r"conv2d: weight of shape \(4, 2, 3, 3\).*3"):
        F.conv2d(x, tensor.zeros(4, 2, 3, 3))
    with pytest.raises(RuntimeError, match="smaller than the kernel"):
        F.conv2d(x, tensor.zeros(4, 3, 7, 7))
    with pytest.raises(RuntimeError, match="expected 3-D .* or 4-D"):
        F.conv2d(tensor.zeros(5, 5), tensor.zeros(4, 3, 3, 3))
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    for lib in (tensor, torch):  # both refuse: x float32, weight float64
        with pytest.raises(RuntimeError):
            lib.nn.functional.conv2d(lib.zeros(1, 1, 3, 3), lib.zeros(1, 1, 2, 2,
                                                                      dtype=lib.float64))




@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("extra", ["plain", "pos_weight", "weight"])
def test_bce_with_logits_matches_torch(reduction, extra, rng):
    x = np.concatenate([rng.standard_normal(10) * 3, [80.0, -80.0]]).reshape(3, 4)
    y = rng.random((3, 4))
    kwargs = {"pos_weight": rng.random(4) + 0.5} if extra == "pos_weight" else {
        "weight": rng.random(4)} if extra == "weight" else {}

    def ours(a, b):
        kw = {k: tensor.tensor(v) for k, v in kwargs.items()}
        return F.binary_cross_entropy_with_logits(a, b, reduction=reduction, **kw)

    def theirs(a, b):
        kw = {k: torch.tensor(v) for k, v in kwargs.items()}
        return TF.binary_cross_entropy_with_logits(a, b, reduction=reduction, **kw)

    (out, grads), (t_out, t_grads) = _both(ours, theirs, [x, y])
    assert_close(out, t_out, np.float64)
    for g, tg in zip(grads, t_grads):
        assert_close(g, tg, np.float64)
    xs = [tensor.tensor(a, requires_grad=True) for a in (x, y)]
    assert tensor.gradcheck(ours, xs)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_is_one_node_with_torch_values(reduction, rng):
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    (out, grads), (t_out, t_grads) = _both(lambda a, b: F.mse_loss(a, b, reduction),
                                           lambda a, b: TF.mse_loss(a, b, reduction=reduction),
                                           [x, y])
    assert_close(out, t_out, np.float64)
    for g, tg in zip(grads, t_grads):
        assert_close(g, tg, np.float64)
    loss = nn.MSELoss()(tensor.tensor(x, requires_grad=True), tensor.tensor(y))
    assert loss.grad_fn.next_functions[0][0].__class__.__name__ == "AccumulateGrad"


@pytest.mark.parametrize("trained", ["input", "weight", "both"])
def test_conv_gradients_when_only_some_inputs_need_them(trained, rng):
    """With a frozen weight the patches are not kept; backward makes what it needs."""
    x, w = rng.standard_normal((20, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3))
    grads = {}
    for lib, fn in ((tensor, F.conv2d), (torch, TF.conv2d)):
        xt = lib.tensor(x, requires_grad=trained in ("input", "both"))
        wt = lib.tensor(w, requires_grad=trained in ("weight", "both"))
        fn(xt, wt, padding=1).sum().backward()
        grads[lib.__name__] = [None if t.grad is None else t.grad.detach().numpy()
                               for t in (xt, wt)]
    for ours, theirs in zip(grads["tensor"], grads["torch"]):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert_close(ours, theirs, np.float64)
