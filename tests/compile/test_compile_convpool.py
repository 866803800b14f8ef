"""The conv → ReLU → max-pool chain a compiled step writes as conv → pool → bias →
ReLU (tensor/compile/convpool.py): the same losses, gradients and trained
weights as eager, over generated geometries and optimizers; and the chains it
must leave alone."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import nn.functional as F
import tensor

FUSED = "max-pool first"  # the fused forward's comment in step.source


def _train(model_fn, compiled, steps, rng_seed, opt_name, dtype, shape):
    tensor.manual_seed(0)
    model = model_fn()
    opt = (nn.optim.Adadelta(model.parameters(), lr=1.0) if opt_name == "adadelta"
           else nn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = tensor.compile(step) if compiled else step
    rng = np.random.default_rng(rng_seed)
    losses = []
    for _ in range(steps):
        x = rng.standard_normal(shape).astype(dtype)
        y = rng.integers(0, 3, shape[0])
        losses.append(float(run(tensor.tensor(x), tensor.tensor(y))))
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    return losses, [p.detach().numpy().copy() for p in model.parameters()], grads, run


@pytest.mark.parametrize("case", range(8))
def test_fused_chain_trains_as_eager(case):
    rng = np.random.default_rng(case)
    dtype = [np.float32, np.float64][case % 2]
    bias, pool, kernel = bool(case % 4 < 2), int(rng.integers(1, 4)), int(rng.integers(1, 4))
    stride = int(rng.integers(1, 3))
    c_in, c_out, size = int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(6, 10))
    conv_out = (size - kernel) // stride + 1
    pooled = (conv_out - pool) // pool + 1

    def model():
        return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, bias=bias, dtype=dtype),
                             nn.ReLU(), nn.MaxPool2d(pool), nn.Flatten(),
                             nn.Linear(c_out * pooled * pooled, 3, dtype=dtype))

    opt = ["adadelta", "sgd"][case // 4]
    shape = (int(rng.integers(1, 5)), c_in, size, size)
    eager = _train(model, False, 4, case, opt, dtype, shape)
    compiled = _train(model, True, 4, case, opt, dtype, shape)
    assert FUSED in compiled[3].source
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(compiled[0], eager[0], rtol=tol, atol=tol)
    for a, b in zip(compiled[1] + compiled[2], eager[1] + eager[2]):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


class Tapped(nn.Module):
    """conv → ReLU → pool whose ReLU output is also read elsewhere: not fusable."""

    def __init__(self):
        super().__init__()
        self.conv, self.head = nn.Conv2d(1, 2, 3), nn.Linear(2 * 3 * 3 + 1, 3)

    def forward(self, x):
        a = F.relu(self.conv(x))
        p = F.max_pool2d(a, 2).flatten(1)
        return self.head(tensor.cat([p, a.mean((1, 2, 3)).unsqueeze(1)], 1))


@pytest.mark.parametrize("model_fn", [
    Tapped,
    lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2, padding=1),
                          nn.Flatten(), nn.Linear(2 * 4 * 4, 3)),  # padding: left alone
    lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.Tanh(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(2 * 3 * 3, 3))])
def test_chains_that_may_not_fuse_are_left_alone(model_fn):
    shape = (3, 1, 8, 8)
    eager = _train(model_fn, False, 3, 0, "sgd", np.float32, shape)
    compiled = _train(model_fn, True, 3, 0, "sgd", np.float32, shape)
    assert FUSED not in compiled[3].source
    np.testing.assert_allclose(compiled[0], eager[0], rtol=1e-6)
    for a, b in zip(compiled[1], eager[1]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
