"""The autograd MLP against the notebook's hand-derived backprop equations."""

import numpy as np
import pytest

import nn
import tensor
from tinygrad_mnist.training.model import mlp
from tinygrad_mnist.training.reference import (
    ReferenceMLP,
    compare,
    first_mismatch,
    format_comparison,
)


@pytest.fixture
def batch(rng):
    return rng.random((32, 784)), rng.integers(0, 10, 32)


def test_autograd_gradients_equal_hand_derived(batch):
    X, y = batch
    model = mlp(dtype=tensor.float64, seed=0)
    rows = compare(model, X, y)
    assert [r["name"] for r in rows] == ["W3", "b3", "W2", "b2", "W1", "b1"]
    for r in rows:
        assert r["max_abs_diff"] < 1e-10, r
    assert first_mismatch(rows) is None
    assert "dW3 = dZ3ᵀ·A2" in format_comparison(rows)  # the project's (PyTorch's) layout


def test_one_sgd_step_gives_the_same_weights(batch):
    X, y = batch
    model = mlp(dtype=tensor.float64, seed=0)
    ref = ReferenceMLP.from_model(model)
    ref_loss = ref.train_step(X, y, lr=0.01)
    opt = nn.optim.SGD(model.parameters(), lr=0.01)
    loss = nn.functional.cross_entropy(model(tensor.from_numpy(X)), tensor.from_numpy(y))
    opt.zero_grad()
    loss.backward()
    opt.step()
    assert abs(loss.item() - ref_loss) < 1e-12
    for k, v in ref.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[k].data, v, atol=1e-14)


def test_compare_finds_the_first_equation_that_disagrees(batch):
    """Corrupt the gradient flowing into layer 2's output: W3/b3 stay right, W2 is
    the first to disagree."""
    X, y = batch
    model = mlp(dtype=tensor.float64, seed=0)
    linear2 = model[2]
    original = linear2.forward

    def forward(x):
        out = original(x)
        out.register_hook(lambda g: g * 1.5)
        return out

    linear2.forward = forward
    rows = compare(model, X, y)
    assert rows[0]["max_abs_diff"] < 1e-12 and rows[1]["max_abs_diff"] < 1e-12
    assert first_mismatch(rows)["name"] == "W2"


def test_reference_init_is_he_normal():
    ref = ReferenceMLP(seed=0)
    assert abs(ref.params["W1"].std() - np.sqrt(2 / 784)) < 0.01 * np.sqrt(2 / 784) * 5
    assert (ref.params["b1"] == 0).all()


def test_mlp_matches_reference_float32_forward(batch):
    X, _ = batch
    model = mlp(seed=0)
    ref = ReferenceMLP.from_model(model)
    probs = model(tensor.from_numpy(X.astype(np.float32))).softmax(1).data
    np.testing.assert_allclose(probs, ref.forward(X.astype(np.float32)), rtol=1e-4, atol=1e-6)
