"""A 0-d tensor's gradient is a 0-d array, never a NumPy scalar (what NumPy returns
for a 0-d result: ``np.float64``). A scalar ``.grad.data`` looked the same but could
not be updated in place, so SGD's momentum buffer of a 0-d parameter (``buf *= m``)
never moved: the "dynamic net" tutorial trained differently from PyTorch."""

import numpy as np
import pytest

import nn
import tensor

torch = pytest.importorskip("torch")

# every way a 0-d leaf's gradient comes out: broadcast (a·x summed back), 0-d
# arithmetic, a full reduction, a pow, several uses
LOSSES = {
    "broadcast": lambda a, x: (a * x).sum(),
    "scalar_mul": lambda a, x: a * a * x.sum(),
    "pow": lambda a, x: (a ** 3 + x ** 2).sum(),
    "twice": lambda a, x: (a * x + a.exp()).mean(),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_a_zero_dim_gradient_is_an_array_in_every_path(name):
    x = tensor.linspace(-1, 1, 5).double()
    a = tensor.tensor(0.7, dtype=tensor.float64, requires_grad=True)
    LOSSES[name](a, x).backward()
    assert type(a.grad.data) is np.ndarray and a.grad.shape == ()
    (g,) = tensor.autograd.grad(LOSSES[name](a, x), a)
    assert type(g.data) is np.ndarray
    b = a * 1
    b.retain_grad()
    LOSSES[name](b, x).backward()
    assert type(b.grad.data) is np.ndarray
    a.grad = None
    LOSSES[name](a, x).backward(inputs=[a])
    assert type(a.grad.data) is np.ndarray


@pytest.mark.parametrize("opt, kwargs", [
    ("SGD", {"lr": 0.1, "momentum": 0.9}), ("SGD", {"lr": 0.05, "momentum": 0.5,
                                                    "nesterov": True}),
    ("Adam", {"lr": 0.1}), ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("Adagrad", {"lr": 0.1})])
def test_optimizers_on_zero_dim_parameters_match_torch(opt, kwargs):
    """The dynamic-net pattern: 0-d parameters, one of them unused in some steps
    (its grad None: skipped, its momentum kept)."""
    results = []
    for lib, mods in ((tensor, nn), (torch, torch.nn)):
        lib.manual_seed(0)
        ps = [mods.Parameter(lib.randn(()).double()) for _ in range(3)]
        x = lib.linspace(-1, 1, 7).double()
        optimizer = getattr(lib.optim, opt)(ps, **kwargs)
        for step in range(8):
            a, b, e = ps
            y = a + b * x + (e * x ** 4 if step % 3 != 2 else 0)
            loss = ((y - x.sin()) ** 2).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        results.append([p.item() for p in ps])
    # 1e-7: float32 linspace points differ in the last bit (torch: −2.98e-8 at the middle)
    np.testing.assert_allclose(*results, rtol=1e-7)
