import numpy as np
import pytest

import nn
import tensor
import tensor.ops.linalg
from nn import functional as F


def leaf(x):
    return tensor.tensor(x, dtype=tensor.float64, requires_grad=True)


def test_cross_entropy_gradient_is_softmax_minus_one_hot_over_n(rng):
    x = leaf(rng.standard_normal((6, 10)))
    y = rng.integers(0, 10, 6)
    F.cross_entropy(x, tensor.tensor(y)).backward()
    p = np.exp(x.data) / np.exp(x.data).sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.data, (p - np.eye(10)[y]) / 6, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_cross_entropy_matches_composed_and_gradcheck(reduction, rng):
    x = leaf(rng.standard_normal((5, 4)))
    y = rng.integers(0, 4, 5)
    composed = F.nll_loss(x.log_softmax(1), y, reduction)
    fused = F.cross_entropy(x, y, reduction=reduction)
    np.testing.assert_allclose(fused.data, composed.data, rtol=1e-12)
    assert tensor.gradcheck(lambda t: F.cross_entropy(t, y, reduction=reduction), (x,))
    assert tensor.gradcheck(lambda t: F.nll_loss(t.log_softmax(1), y, reduction), (x,))


def test_cross_entropy_stable_for_huge_logits():
    x = leaf([[1e4, -1e4, 0.0]])
    loss = F.cross_entropy(x, [1])
    loss.backward()
    assert np.isfinite(loss.data) and np.isfinite(x.grad.data).all()
    np.testing.assert_allclose(loss.item(), 2e4)


def test_cross_entropy_bad_targets():
    x = tensor.zeros(4, 10)
    with pytest.raises(IndexError, match="cross_entropy: target 10 is out of bounds for 10"):
        F.cross_entropy(x, tensor.tensor([0, 1, 2, 10]))
    with pytest.raises(ValueError, match=r"target of shape \(N,\).*\(4, 10\).*\(3,\)"):
        F.cross_entropy(x, tensor.tensor([0, 1, 2]))
    with pytest.raises(IndexError, match="cross_entropy: target -1 is out of bounds"):
        F.cross_entropy(x, tensor.tensor([0, -1, 2, 3]))  # would wrap around if unchecked
    with pytest.raises(IndexError, match="nll_loss: target -2 is out of bounds for 10"):
        F.nll_loss(x, tensor.tensor([0, -2, 2, 3]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(x, tensor.tensor([0, 1, 2, 3]), reduction="avg")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_vs_torch(reduction, rng):
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    x = rng.standard_normal((5, 4))
    y = rng.integers(0, 4, 5)
    probs = rng.random((5, 4))
    probs /= probs.sum(1, keepdims=True)
    target = rng.standard_normal((5, 4))
    cases = [
        (lambda t: F.cross_entropy(t, y, reduction=reduction),
         lambda t: TF.cross_entropy(t, torch.tensor(y), reduction=reduction)),
        (lambda t: F.cross_entropy(t, tensor.tensor(probs, dtype=tensor.float64),
                                   reduction=reduction),
         lambda t: TF.cross_entropy(t, torch.tensor(probs), reduction=reduction)),
        (lambda t: F.nll_loss(t.log_softmax(1), y, reduction),
         lambda t: TF.nll_loss(t.log_softmax(1), torch.tensor(y), reduction=reduction)),
        (lambda t: F.mse_loss(t, tensor.tensor(target, dtype=tensor.float64), reduction),
         lambda t: TF.mse_loss(t, torch.tensor(target), reduction=reduction)),
        (lambda t: F.cross_entropy(t[0], y[0], reduction=reduction),
         lambda t: TF.cross_entropy(t[0], torch.tensor(y[0]), reduction=reduction)),
    ]
    for ours_fn, torch_fn in cases:
        a, b = leaf(x), torch.tensor(x, requires_grad=True)
        out_a, out_b = ours_fn(a), torch_fn(b)
        np.testing.assert_allclose(out_a.data, out_b.detach().numpy(), rtol=1e-12)
        out_a.sum().backward()
        out_b.sum().backward()
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_layers_and_functions_vs_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 5))
    for ours, theirs in [(nn.ReLU(), torch.nn.ReLU()), (nn.Sigmoid(), torch.nn.Sigmoid()),
                         (nn.Tanh(), torch.nn.Tanh()), (nn.Softmax(1), torch.nn.Softmax(1)),
                         (nn.LogSoftmax(1), torch.nn.LogSoftmax(1)),
                         (nn.Flatten(0), torch.nn.Flatten(0))]:
        np.testing.assert_allclose(ours(leaf(x)).data, theirs(torch.tensor(x)).numpy(),
                                   rtol=1e-12)
    w, b = rng.standard_normal((2, 5)), rng.standard_normal(2)
    np.testing.assert_allclose(F.linear(leaf(x), leaf(w), leaf(b)).data,
                               torch.nn.functional.linear(torch.tensor(x), torch.tensor(w),
                                                          torch.tensor(b)).numpy(), rtol=1e-12)
    oh = F.one_hot(tensor.tensor([0, 3, 1]), 4)
    np.testing.assert_array_equal(oh.data, torch.nn.functional.one_hot(
        torch.tensor([0, 3, 1]), 4).numpy())


def test_fused_linear_gradcheck_and_vs_composed(rng):
    x, w, b = leaf(rng.standard_normal((3, 5))), leaf(rng.standard_normal((2, 5))), \
        leaf(rng.standard_normal(2))
    assert tensor.gradcheck(F.linear, (x, w, b))
    assert tensor.gradcheck(F.linear, (leaf(rng.standard_normal((2, 3, 5))), w))
    assert tensor.gradcheck(F.linear, (leaf(rng.standard_normal(5)), w, b))  # one sample
    F.linear(x, w, b).sum().backward()
    fused = [t.grad.data.copy() for t in (x, w, b)]
    for t in (x, w, b):
        t.grad = None
    (x @ w.T + b).sum().backward()
    for f, t in zip(fused, (x, w, b)):
        np.testing.assert_allclose(f, t.grad.data, rtol=1e-12)
    assert tensor.ops.linalg.Linear.__doc__.startswith("y = x·Wᵀ + b")


@pytest.mark.parametrize("w_shape, b_shape", [((2, 5), ()), ((2, 5), (1, 2)), ((2, 5), (3, 2)),
                                              ((5,), None)])
def test_linear_any_bias_shape_and_weight_vector_like_torch(rng, w_shape, b_shape):
    """PyTorch accepts any bias that broadcasts against the output and a 1-D weight;
    every gradient must have its input's shape and torch's values."""
    torch = pytest.importorskip("torch")
    arrays = [rng.standard_normal((3, 5)), rng.standard_normal(w_shape)]
    if b_shape is not None:
        arrays.append(rng.standard_normal(b_shape))
    ours = [leaf(a) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    assert tensor.gradcheck(F.linear, tuple(ours))
    (F.linear(*ours) ** 2).sum().backward()
    (torch.nn.functional.linear(*theirs) ** 2).sum().backward()
    for o, t in zip(ours, theirs):
        assert o.grad.shape == tuple(t.grad.shape)
        np.testing.assert_allclose(o.grad.data, t.grad.numpy(), rtol=1e-10)
