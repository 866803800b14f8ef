"""Second derivatives through conv2d, max_pool2d and avg_pool2d against PyTorch:
seeded sweeps over geometries (stride, padding incl. 'same', dilation, groups, 1×1
kernels, bias or not, unbatched inputs) in float64 and float32; this engine's own
gradgradcheck on small cases; and a Hessian-vector product through a tiny CNN."""

import numpy as np
import pytest
from test_double_backward import assert_second_derivatives_match

import nn
import nn.functional as F
import tensor

torch = pytest.importorskip("torch")


def _f(lib):
    return F if lib is tensor else torch.nn.functional


def conv_geometries(count=24, seed=0):
    """(input shape, weight shape, stride, padding, dilation, groups, bias): the listed
    corner cases, then random ones that fit."""
    yield (2, 2, 5, 5), (3, 2, 3, 3), 1, 0, 1, 1, True
    yield (1, 4, 4, 4), (4, 4, 1, 1), 1, 0, 1, 1, False  # 1×1
    yield (1, 4, 7, 6), (4, 2, 3, 3), 2, 1, 1, 2, True  # groups
    yield (2, 3, 6, 7), (6, 1, 2, 2), (2, 1), (1, 2), (2, 1), 3, False  # depthwise
    yield (1, 2, 6, 6), (4, 1, 2, 3), 1, "same", 2, 2, True  # uneven 'same'
    yield (1, 1, 5, 5), (1, 1, 2, 2), 3, 2, 1, 1, True  # padding beyond the span
    yield (3, 1, 3, 3), (2, 1, 3, 3), 1, "valid", 1, 1, True  # a 1×1 output
    yield (2, 3, 4, 4), (2, 3, 3, 3), 1, 0, 1, 1, True  # 3-D input (unbatched) below
    r = np.random.default_rng(seed)
    made = 0
    while made < count:
        groups = int(r.choice([1, 1, 2, 3]))
        c, o = groups * int(r.integers(1, 3)), groups * int(r.integers(1, 3))
        kh, kw = (int(k) for k in r.integers(1, 4, 2))
        stride = tuple(int(s) for s in r.integers(1, 4, 2))
        dilation = tuple(int(d) for d in r.integers(1, 3, 2))
        padding = tuple(int(p) for p in r.integers(0, 3, 2))
        h, w = (int(s) for s in r.integers(1, 9, 2))
        fits = all((size + 2 * p - d * (k - 1) - 1) // s + 1 > 0 for size, p, d, k, s in
                   zip((h, w), padding, dilation, (kh, kw), stride))
        if fits:
            made += 1
            yield ((int(r.integers(1, 3)), c, h, w), (o, c // groups, kh, kw), stride, padding,
                   dilation, groups, bool(r.integers(0, 2)))


CONV_CASES = list(conv_geometries())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "-".join(map(str, c)))
def test_conv2d_second_derivatives_vs_torch(case, dtype):
    x_shape, w_shape, stride, padding, dilation, groups, bias = case
    r = np.random.default_rng(1)
    arrays = [r.standard_normal(x_shape), r.standard_normal(w_shape)]
    if bias:
        arrays.append(r.standard_normal(w_shape[0]))
    unbatched = case == CONV_CASES[7]

    def fn(x, w, *rest):
        *b, lib = rest
        y = _f(lib).conv2d(x[0] if unbatched else x, w, *b, stride=stride, padding=padding,
                           dilation=dilation, groups=groups)
        return (y * y).tanh() + y  # second derivatives in x, w, b and across them

    assert_second_derivatives_match(fn, arrays, dtype)


POOLS = [  # kernel, stride, padding, dilation
    (2, 2, 0, 1), (3, 1, 1, 1), (3, 2, 1, 2), (2, 1, 0, 1), (1, 1, 0, 1), ((2, 3), (1, 2),
                                                                           (1, 0), (2, 1)),
    (3, 3, 1, 1)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("pool", POOLS, ids=str)
def test_max_pool2d_second_derivatives_vs_torch(pool, ties, dtype):
    """Ties (small integers): the gradient goes to the first maximum, as torch's."""
    k, s, p, d = pool
    r = np.random.default_rng(2)
    x = r.integers(-2, 3, (2, 3, 6, 7)).astype(float) if ties else r.standard_normal(
        (2, 3, 6, 7))
    assert_second_derivatives_match(
        lambda t, lib: _f(lib).max_pool2d(t * t * t, k, s, p, d) ** 2, [x], dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("pool", [p[:3] for p in POOLS], ids=str)
def test_avg_pool2d_second_derivatives_vs_torch(pool, dtype):
    k, s, p = pool
    x = np.random.default_rng(3).standard_normal((2, 3, 6, 7))
    assert_second_derivatives_match(
        lambda t, lib: _f(lib).avg_pool2d(t * t, k, s, p) ** 3, [x], dtype)


def test_adaptive_avg_pool2d_second_derivatives_vs_torch():
    x = np.random.default_rng(4).standard_normal((1, 2, 7, 5))
    for size in (1, (3, 2), (7, 5)):
        assert_second_derivatives_match(
            lambda t, lib, size=size: _f(lib).adaptive_avg_pool2d(t * t, size) ** 3, [x])


def test_gradgradcheck_conv_and_pools():
    """This engine's gradgradcheck (finite differences of the first gradient): an
    independent check that needs no torch."""
    r = np.random.default_rng(5)
    x = tensor.tensor(r.standard_normal((1, 2, 5, 4)), requires_grad=True)
    w = tensor.tensor(r.standard_normal((4, 1, 2, 3)), requires_grad=True)
    b = tensor.tensor(r.standard_normal(4), requires_grad=True)
    assert tensor.autograd.gradgradcheck(
        lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2),
                                 groups=2) ** 2, (x, w, b))
    assert tensor.autograd.gradgradcheck(lambda x: F.max_pool2d(x ** 3, 2, 1, 1), (x,))
    assert tensor.autograd.gradgradcheck(lambda x: F.avg_pool2d(x ** 3, 3, 2, 1), (x,))


class TinyCNN:
    """conv → relu → max pool → conv (groups) → avg pool → linear, on either library."""

    def __init__(self, lib, params):
        self.lib, self.params = lib, params

    def loss(self, x, target):
        f = _f(self.lib)
        w1, b1, w2, w3, b3 = self.params
        h = f.max_pool2d(f.conv2d(x, w1, b1, padding=1).tanh(), 2)
        h = f.avg_pool2d(f.conv2d(h, w2, stride=1, padding=1, groups=2).relu(), 2, 1)
        return f.cross_entropy(f.linear(h.flatten(1), w3, b3), target)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_hessian_vector_product_of_a_tiny_cnn_vs_torch(dtype):
    r = np.random.default_rng(6)
    shapes = [(4, 1, 3, 3), (4,), (4, 2, 3, 3), (3, 4 * 2 * 2), (3,)]
    params = [r.standard_normal(s) * 0.5 for s in shapes]
    vs = [r.standard_normal(s) for s in shapes]
    x, target = r.standard_normal((2, 1, 6, 6)), np.array([0, 2])
    hvps = []
    for lib in (tensor, torch):
        dt = getattr(lib, dtype)
        ps = [lib.tensor(p, dtype=dt, requires_grad=True) for p in params]
        loss = TinyCNN(lib, ps).loss(lib.tensor(x, dtype=dt), lib.tensor(target))
        grads = lib.autograd.grad(loss, ps, create_graph=True)
        dot = sum((g * lib.tensor(v, dtype=dt)).sum() for g, v in zip(grads, vs))
        hvps.append([h.detach().numpy() for h in lib.autograd.grad(dot, ps)])
    tol = dict(rtol=1e-9, atol=1e-12) if dtype == "float64" else dict(rtol=1e-3, atol=1e-4)
    for ours, theirs in zip(*hvps):
        assert np.abs(theirs).max() > 0  # a second derivative that is not trivially 0
        np.testing.assert_allclose(ours, theirs, **tol)


def test_gradient_penalty_trains_through_a_conv_module():
    """The WGAN-GP pattern with nn modules: ‖∂D/∂x‖² in the loss, one SGD step, the
    same parameters after it as torch's."""
    r = np.random.default_rng(7)
    x = r.standard_normal((2, 1, 5, 5))
    after = []
    for lib, mods in ((tensor, nn), (torch, torch.nn)):
        lib.manual_seed(0)
        net = mods.Sequential(mods.Conv2d(1, 2, 3), mods.Tanh(), mods.MaxPool2d(2),
                              mods.Flatten(), mods.Linear(2, 1)).double()
        values = np.random.default_rng(8)
        with lib.no_grad():
            for p in net.parameters():
                p.copy_(lib.tensor(values.standard_normal(tuple(p.shape))))
        xt = lib.tensor(x, requires_grad=True)
        out = net(xt).sum()
        (gx,) = lib.autograd.grad(out, xt, create_graph=True)
        loss = out + ((gx * gx).sum() - 1) ** 2
        loss.backward()
        with lib.no_grad():
            for p in net.parameters():
                p -= 0.1 * p.grad
        after.append([p.detach().numpy().copy() for p in net.parameters()])
    for ours, theirs in zip(*after):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
